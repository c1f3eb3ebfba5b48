"""What the HTTP API's admin endpoints do: import a catalog into the running service,
take a listener's request, resend or drop parked web app notifications."""

import logging

from yascheduler.catalog import importer
from yascheduler.webapp.outbox import Selection

log = logging.getLogger("yascheduler.outbox")

SEQS_LOGGED = 10


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

    def import_catalog(self, body: bytes) -> dict:
        """Import and apply a catalog (CatalogError if it breaks a rule: nothing changed)."""
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
