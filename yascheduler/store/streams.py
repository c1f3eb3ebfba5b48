"""Which streamer is the master of each streamed radio (streaming/masters.py holds
it in memory).

Writes go straight to the collection, by `_id`: a streamer starting
thousands of radios at once must not pay MongoEngine's query building
for each.
"""

from mongoengine import Document, FloatField, StringField
from pymongo.errors import DuplicateKeyError

from .records import keyed, storing


class RadioStream(Document):
    """Which streamer is the master of a radio, while one is."""

    uuid = StringField(primary_key=True)
    master = StringField(required=True)
    since = FloatField(required=True)
    meta = {"collection": "radio_streams", "indexes": ["master"]}


class StoredStreams:
    def masters(self) -> dict[str, str]:
        """Radio uuid -> its master streamer's name."""
        with storing("reading the radio masters"):
            stored = list(_collection().find({}, {"master": 1}))
        return keyed(stored, _master, "radio stream")

    def add(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had no master has one. An insert costs half an upsert in the
        in-memory store; a record left behind by a stop that failed is overwritten."""
        fields = {"master": master, "since": since}
        with storing("storing radio %s's master", radio_uuid):
            try:
                _collection().insert_one({"_id": radio_uuid, **fields})
            except DuplicateKeyError:
                _collection().update_one({"_id": radio_uuid}, {"$set": fields}, upsert=True)

    def change(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had a master has another."""
        with storing("storing radio %s's master", radio_uuid):
            _collection().update_one(
                {"_id": radio_uuid}, {"$set": {"master": master, "since": since}}, upsert=True
            )

    def remove(self, radio_uuid: str) -> None:
        with storing("removing radio %s's master", radio_uuid):
            _collection().delete_one({"_id": radio_uuid})

    def clear(self) -> int:
        with storing("deleting the radio masters"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return RadioStream._get_collection()


def _master(stored: dict) -> str:
    master = stored["master"]
    if not isinstance(master, str):
        raise TypeError(f"its master is a {type(master).__name__}, not a text")
    return master
