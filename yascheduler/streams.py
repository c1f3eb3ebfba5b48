"""Which streamer is the master of each streamed radio.

Writes go straight to the collection, by `_id`: a streamer starting
thousands of radios at once must not pay MongoEngine's query building
for each.
"""

from pymongo.errors import DuplicateKeyError

from . import models


class Streams:
    def __init__(self, clock):
        self.clock = clock
        self.masters: dict[str, str] = {}

    def load(self) -> None:
        self.masters = {stream.uuid: stream.master for stream in models.RadioStream.objects}

    def master(self, radio_uuid: str) -> str | None:
        return self.masters.get(radio_uuid)

    def radios_of(self, streamer: str) -> list[str]:
        return [uuid for uuid, master in self.masters.items() if master == streamer]

    def start(self, radio_uuid: str, streamer: str) -> None:
        if self.masters.get(radio_uuid) == streamer:
            return
        # Stored first: if the store fails, memory does not claim a master it never saved.
        fields = {"master": streamer, "since": self.clock.now()}
        if radio_uuid in self.masters or not _inserted(radio_uuid, fields):
            _collection().update_one({"_id": radio_uuid}, {"$set": fields}, upsert=True)
        self.masters[radio_uuid] = streamer

    def stop(self, radio_uuid: str) -> None:
        self.masters.pop(radio_uuid, None)
        _collection().delete_one({"_id": radio_uuid})

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
