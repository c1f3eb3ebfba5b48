"""The shards radios are shared out in, each leased to one instance at a time.

A lease has an owner, an expiry and an epoch (a fencing token): taking a
shard over from another owner increments its epoch, so that writes still
carrying the old epoch are refused (store/fencing), and renewing it is
conditional on the epoch its owner holds: an owner whose lease was taken
learns it at its next renewal.
"""

import uuid

from mongoengine import Document, FloatField, IntField, StringField
from pymongo.errors import BulkWriteError

from .records import decoded, storing


class Shard(Document):
    number = IntField(primary_key=True)
    owner = StringField()  # None while free
    epoch = IntField(default=0)
    expires_at = FloatField(default=0.0)
    claim = StringField()  # who wrote the lease last, and when: see take_all
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

    def take_all(self, numbers: list[int], owner: str, now: float, expires_at: float) -> dict:
        """Take those of the shards that are free or whose lease expired before `now`, in
        one write (each shard's update is atomic: of two instances taking at once, one
        gets it); {shard: its new epoch} of those this owner got."""
        if not numbers:
            return {}
        claim = _claim(owner)
        with storing("taking %d shards", len(numbers)):
            _collection().update_many(
                {"_id": {"$in": numbers}, "expires_at": {"$lt": now}},
                {
                    "$set": {"owner": owner, "expires_at": expires_at, "claim": claim},
                    "$inc": {"epoch": 1},
                },
            )
            ours = _collection().find({"_id": {"$in": numbers}, "claim": claim}, {"epoch": 1})
            return {stored["_id"]: stored["epoch"] for stored in ours}

    def renew_all(self, held: dict[int, int], owner: str, expires_at: float) -> set[int]:
        """Extend every lease its owner holds ({shard: epoch}) in one write, not a round
        trip each (a beat that takes long is a window for a kill between the heartbeat
        and the last renewal); the shards renewed, without those it lost."""
        if not held:
            return set()
        held_now = {"owner": owner, "$or": [{"_id": n, "epoch": e} for n, e in held.items()]}
        claim = _claim(owner)
        with storing("renewing %d shards", len(held)):
            renewed = _collection().update_many(
                held_now, {"$set": {"expires_at": expires_at, "claim": claim}}
            )
            if renewed.matched_count == len(held):
                return set(held)
            return {stored["_id"] for stored in _collection().find({"claim": claim}, {"_id": 1})}

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


def _claim(owner: str) -> str:
    """A mark of one write, to read back which shards it changed: not the expiry it set,
    which nx-27017 stores rounded (to 15 significant digits: 10 µs of a Unix time), so
    that an equality on it finds nothing there (MongoDB keeps the double exact)."""
    return f"{owner}/{uuid.uuid4().hex}"


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
