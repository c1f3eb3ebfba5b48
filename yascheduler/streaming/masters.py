"""Which streamer is the master of each streamed radio.

Writes go straight to the collection, by `_id`: a streamer starting
thousands of radios at once must not pay MongoEngine's query building
for each.
"""

from pymongo.errors import DuplicateKeyError

from yascheduler.store import models


class Streams:
    def __init__(self, clock):
        self.clock = clock
        self.masters: dict[str, str] = {}
        # streamer -> the radios it is master of: a streamer dropped finds its radios in O(1)
        self._held: dict[str, set[str]] = {}

    def load(self) -> None:
        self.masters = {}
        self._held = {}
        for stream in models.RadioStream.objects:
            self._remember(stream.uuid, stream.master)

    def master(self, radio_uuid: str) -> str | None:
        return self.masters.get(radio_uuid)

    def radios_of(self, streamer: str) -> list[str]:
        return list(self._held.get(streamer, ()))

    def start(self, radio_uuid: str, streamer: str) -> None:
        if self.masters.get(radio_uuid) == streamer:
            return
        # Stored first: if the store fails, memory does not claim a master it never saved.
        fields = {"master": streamer, "since": self.clock.now()}
        if radio_uuid in self.masters or not _inserted(radio_uuid, fields):
            _collection().update_one({"_id": radio_uuid}, {"$set": fields}, upsert=True)
        self._forget(radio_uuid)
        self._remember(radio_uuid, streamer)

    def stop(self, radio_uuid: str) -> None:
        self._forget(radio_uuid)
        _collection().delete_one({"_id": radio_uuid})

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


def _collection():
    return models.RadioStream._get_collection()


def _inserted(radio_uuid: str, fields: dict) -> bool:
    """Insert the radio's stream document; False if one is there already (left behind
    by a delete that failed). An insert costs half an upsert in the in-memory store."""
    try:
        _collection().insert_one({"_id": radio_uuid, **fields})
    except DuplicateKeyError:
        return False
    return True
