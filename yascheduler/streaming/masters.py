"""Which streamer is the master of each streamed radio: in memory, and stored."""

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yascheduler.store.streams import StoredStreams


class Streams:
    def __init__(self, clock, store: "StoredStreams"):
        self.clock = clock
        self._store = store
        self.masters: dict[str, str] = {}
        # streamer -> the radios it is master of: a streamer dropped finds its radios in O(1)
        self._held: dict[str, set[str]] = {}

    def load(self) -> None:
        self.masters = {}
        self._held = {}
        self.adopt(lambda radio_uuid: True)

    def adopt(self, owned: Callable[[str], bool], shards=None) -> None:
        """Take in the stored masters of the radios this instance now owns (fleet): those
        of `shards` (the shards taken) alone are read, if given."""
        for radio_uuid, master in self._store.masters(shards).items():
            if owned(radio_uuid):
                self._forget(radio_uuid)
                self._remember(radio_uuid, master)

    def release(self, radio_uuids) -> None:
        """Forget radios another instance owns now; their records stay, for it."""
        for radio_uuid in radio_uuids:
            self._forget(radio_uuid)

    def master(self, radio_uuid: str) -> str | None:
        return self.masters.get(radio_uuid)

    def radios_of(self, streamer: str) -> list[str]:
        return list(self._held.get(streamer, ()))

    def start(self, radio_uuid: str, streamer: str) -> None:
        if self.masters.get(radio_uuid) == streamer:
            return
        # Queued for the store first: without a store writer (tools, tests) the write is
        # at once, and if it fails memory does not claim a master it never saved.
        if radio_uuid in self.masters:
            self._store.change(radio_uuid, streamer, self.clock.now())
        else:
            self._store.add(radio_uuid, streamer, self.clock.now())
        self._forget(radio_uuid)
        self._remember(radio_uuid, streamer)

    def stop(self, radio_uuid: str) -> None:
        self._forget(radio_uuid)
        self._store.remove(radio_uuid)

    def _remember(self, radio_uuid: str, streamer: str) -> None:
        self.masters[radio_uuid] = streamer
        self._held.setdefault(streamer, set()).add(radio_uuid)

    def _forget(self, radio_uuid: str) -> None:
        streamer = self.masters.pop(radio_uuid, None)
        held = self._held.get(streamer)
        if held is not None:
            held.discard(radio_uuid)
            if not held:
                del self._held[streamer]

    def count(self) -> int:
        return len(self.masters)
