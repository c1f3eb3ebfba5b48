"""Named sequences, incremented atomically (the outbox takes its seqs from one)."""

from mongoengine import Document, IntField, StringField
from pymongo import ReturnDocument

from .records import storing


class Counter(Document):
    name = StringField(primary_key=True)
    value = IntField(default=0)
    meta = {"collection": "counters"}


class StoredCounters:
    def reserve(self, name: str, count: int) -> int:
        """The counter once `count` is added to it: the values up to it from its previous
        value on are the caller's, whoever else shares the store."""
        with storing("reserving %d values of counter %s", count, name):
            counter = _collection().find_one_and_update(
                {"_id": name},
                {"$inc": {"value": count}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        return counter["value"]

    def clear(self) -> int:
        with storing("deleting the counters"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return Counter._get_collection()
