"""A catalog import taken in by the running service: the users it changed, the radios
it created or changed programmed, those it deleted or made not ready stopped."""

import logging

from yascheduler.catalog.forms import forget_shared
from yascheduler.catalog.importer import CatalogChange
from yascheduler.programming.catalog_view import radio_from_stored
from yascheduler.support.freed_memory import spare_from_the_collector

log = logging.getLogger("yascheduler.service")


class CatalogChanges:
    def __init__(self, users, programmer, stations, streams):
        self.users = users
        self.programmer = programmer
        self.stations = stations
        self.streams = streams
        # among several instances: the radios this one programs (app/fleet.py); the
        # others take in the import when they next take those radios' shards
        self.owns = lambda radio_uuid: True

    def apply(self, change: CatalogChange) -> None:
        if change.users:
            self.users.load()
        radios = [radio_from_stored(stored) for stored in change.stored_radios]
        forget_shared()
        radios = [radio for radio in radios if self.owns(radio.uuid)]
        self.programmer.set_radios([radio for radio in radios if radio.ready])
        for radio in radios:
            if not radio.ready:
                self._retire(radio.uuid, "not ready")
        for radio_uuid in filter(self.owns, change.deleted):
            self._retire(radio_uuid, "deleted")
        spare_from_the_collector()
        log.info("catalog applied: %s", change.summary())

    def stop_streams_of_unprogrammed_radios(self) -> None:
        """Radios deleted or made not ready while the service was down stop being streamed."""
        for radio_uuid in list(self.streams.masters):
            if not self.programmer.is_programmed(radio_uuid):
                self.stations.stop_stream(radio_uuid, "no longer in the catalog", tell_master=True)

    def _retire(self, radio_uuid: str, why: str) -> None:
        self.programmer.remove_radio(radio_uuid)
        self.stations.stop_stream(radio_uuid, why, tell_master=True)
