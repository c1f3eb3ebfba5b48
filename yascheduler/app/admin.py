"""What the HTTP API's admin endpoints do: import a catalog into the running service,
take a listener's request, resend or drop parked web app notifications."""

import logging

import gevent.event

from yascheduler.catalog import importer
from yascheduler.support.errors import StoreError
from yascheduler.webapp.outbox import Selection

log = logging.getLogger("yascheduler.outbox")

SEQS_LOGGED = 10
START_UP_IMPORT_WAIT = 10.0  # seconds an import through the API waits for it


class Admin:
    def __init__(
        self, admin_token: str | None, catalog_store, catalog_changes, notifier, song_requests
    ):
        self.admin_token = admin_token
        self._song_requests = song_requests  # song_requests.SongRequests
        self._catalog_store = catalog_store
        self._catalog_changes = catalog_changes
        self._notifier = notifier
        # among several instances: the others told, for the radios they program (app/fleet.py)
        self.imported = lambda change: None
        # set while the radios the start-up import writes behind are all stored (an import
        # checked against a store still without some would insert them a second time)
        self.start_up_import_stored = gevent.event.Event()
        self.start_up_import_stored.set()

    def import_catalog(self, body: bytes) -> dict:
        """Import and apply a catalog (CatalogError if it breaks a rule: nothing changed;
        StoreError, HTTP 503, while the start-up import is still being stored)."""
        if not self.start_up_import_stored.wait(START_UP_IMPORT_WAIT):
            raise StoreError(
                "the catalog file imported at start-up is still being stored: try again later"
            )
        change = importer.import_catalog(body, self._catalog_store)
        self._catalog_changes.apply(change)
        self.imported(change)
        return {
            "radios": [stored["_id"] for stored in change.stored_radios],
            "deleted": change.deleted,
            "users": change.users,
        }

    def request_song(self, radio_uuid: str, body: bytes) -> dict:
        """A listener's request, taken (song_requests.SongRequests.submit)."""
        return self._song_requests.submit(radio_uuid, body)

    def retry_parked(self, named: dict) -> dict:
        """Parked items back into the queue (NotParked for a seq named that is not one)."""
        seqs = self._notifier.outbox.retry(Selection(**named))
        if seqs:
            log.info("outbox: %d parked items retried: seqs %s", len(seqs), shown_seqs(seqs))
            self._notifier.wakeup.set()  # the sender may be waiting on an empty queue
        return {"retried": seqs, "outbox_parked": self._notifier.outbox.parked_count()}

    def discard_parked(self, named: dict) -> dict:
        """Parked items deleted (NotParked for a seq named that is not one)."""
        seqs = self._notifier.outbox.discard(Selection(**named))
        if seqs:
            log.info("outbox: %d parked items discarded: seqs %s", len(seqs), shown_seqs(seqs))
        return {"discarded": seqs, "outbox_parked": self._notifier.outbox.parked_count()}


def shown_seqs(seqs: list[int]) -> str:
    more = f" and {len(seqs) - SEQS_LOGGED} more" if len(seqs) > SEQS_LOGGED else ""
    return ", ".join(map(str, seqs[:SEQS_LOGGED])) + more
