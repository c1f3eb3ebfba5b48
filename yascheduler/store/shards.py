"""The shards radios are shared out in, each leased to one instance at a time.

A lease has an owner, an expiry and an epoch (a fencing token): taking a
shard over from another owner increments its epoch, so that writes still
carrying the old epoch are refused (store/fencing), and renewing it is
conditional on the epoch its owner holds: an owner whose lease was taken
learns it at its next renewal.
"""

from mongoengine import Document, FloatField, IntField, StringField
from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError

from .records import decoded, storing


class Shard(Document):
    number = IntField(primary_key=True)
    owner = StringField()  # None while free
    epoch = IntField(default=0)
    expires_at = FloatField(default=0.0)
    meta = {"collection": "shards"}


class StoredShards:
    def ensure(self, count: int) -> None:
        """Create the shards 0..count-1 that are not stored yet (free)."""
        with storing("creating the shards"):
            try:
                _collection().insert_many(
                    [
                        {"_id": n, "owner": None, "epoch": 0, "expires_at": 0.0}
                        for n in range(count)
                    ],
                    ordered=False,
                )
            except BulkWriteError as error:  # those already there: fine
                if any(e.get("code") != 11000 for e in error.details.get("writeErrors", [])):
                    raise

    def all(self) -> list[dict]:
        """Every shard: {"number", "owner", "epoch", "expires_at"}, by number."""
        with storing("reading the shards"):
            stored = list(_collection().find())
        return sorted(decoded(stored, _shard, "shard"), key=lambda shard: shard["number"])

    def owner_of(self, number: int, now: float) -> str | None:
        """The instance holding the shard's lease now; None if it is free or expired."""
        with storing("reading shard %d", number):
            stored = _collection().find_one({"_id": number, "expires_at": {"$gte": now}})
        return None if stored is None else stored.get("owner")

    def take(self, number: int, owner: str, now: float, expires_at: float) -> int | None:
        """Take a shard that is free or whose lease expired before `now`: its new epoch,
        or None if another owner holds it."""
        with storing("taking shard %d", number):
            taken = _collection().find_one_and_update(
                {"_id": number, "expires_at": {"$lt": now}},
                {"$set": {"owner": owner, "expires_at": expires_at}, "$inc": {"epoch": 1}},
                return_document=ReturnDocument.AFTER,
            )
        return None if taken is None else taken["epoch"]

    def renew(self, number: int, owner: str, epoch: int, expires_at: float) -> bool:
        """Extend the lease its owner holds at `epoch`; False if it lost it."""
        with storing("renewing shard %d", number):
            renewed = _collection().update_one(
                {"_id": number, "owner": owner, "epoch": epoch},
                {"$set": {"expires_at": expires_at}},
            )
        return renewed.matched_count == 1

    def release(self, number: int, owner: str, epoch: int) -> None:
        """Give a shard up at once (a clean stop, or rebalancing)."""
        with storing("releasing shard %d", number):
            _collection().update_one(
                {"_id": number, "owner": owner, "epoch": epoch},
                {"$set": {"owner": None, "expires_at": 0.0}},
            )

    def clear(self) -> int:
        with storing("deleting the shards"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return Shard._get_collection()


def _shard(stored: dict) -> dict:
    number, epoch = stored["_id"], stored.get("epoch", 0)
    if not isinstance(number, int) or not isinstance(epoch, int):
        raise TypeError("its number or epoch is not a whole number")
    return {
        "number": number,
        "owner": stored.get("owner"),
        "epoch": epoch,
        "expires_at": float(stored.get("expires_at") or 0.0),
    }
