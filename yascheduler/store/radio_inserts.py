"""The new radios of a catalog file imported at start-up, written behind by the store
writer while the engine programs them from the import.

A first import of 100,000 radios costs nx-27017 some 13 s of inserts (each
document committed alone); programming them costs the service as long. Written
behind, the two overlap: the radios are in memory already (the import's
documents), the engine needs nothing of the store to program them. The writer
retries what the store could not take (capped backoff, store/writer.py); the
radios stay programmed from memory meanwhile. Only once every one of them is
stored is `then()` told (the service records the file's digest then): stopped
or killed before, or a radio refused for good by the store, the next start-up
finds the digest unrecorded and imports the file again, which inserts the
radios still missing (those stored are the file's already: left as they are).
"""

from collections.abc import Callable

import gevent.event

from .changes import INSERT, Change
from .packed_radios import packed
from .pending import Backlog, Buffered
from .radios import Radio


class RadioInserts(Buffered):
    what = "radio %s (imported at start-up)"

    def __init__(self, backlog: Backlog | None = None):
        super().__init__(backlog)
        self._unstored: set[str] = set()
        self._then: Callable[[], None] = lambda: None
        self.stored = gevent.event.Event()  # every radio queued so far is in the store
        self.stored.set()

    def collection(self):
        return Radio._get_collection()

    def insert_all(self, radios: list[dict], then: Callable[[], None]) -> None:
        """Queue the inserts of these new radios (stored documents, `_id` their uuid);
        `then()` once every one is stored (at once if there are none)."""
        if not radios:
            then()
            return
        self._unstored, self._then = {radio["_id"] for radio in radios}, then
        self.stored.clear()
        at = self.backlog.timer()
        for radio in radios:
            self._queue(radio["_id"], Change(INSERT, packed(radio), at), at_once=False)
        if self.backlog.immediate:
            self.write_now()

    def unstored(self) -> int:
        """How many of the radios queued are not in the store yet."""
        return len(self._unstored)

    def written(self, changes: dict) -> None:
        if not self._unstored:
            return
        self._unstored.difference_update(changes)
        if not self._unstored:
            self.stored.set()
            self._then()
