"""The shards radios are shared out in, each leased to one instance at a time.

A lease has an owner, an expiry and an epoch (a fencing token): taking a
shard over from another owner increments its epoch, so that writes still
carrying the old epoch are refused (store/fencing), and renewing it is
conditional on the epoch its owner holds: an owner whose lease was taken
learns it at its next renewal.

A shard handed over (rebalancing, fleet/membership.py) is first marked
`handing_to` the next owner, its epoch incremented (the owner renews it at
that epoch; the next owner's writes carry it, the owner's own the one
before), then transferred: the next owner holds it at that same epoch. Taken
after an expiry meanwhile, its epoch is incremented again, above both.
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
    handing_to = StringField()  # the next owner while it is handed over radio by radio
    claim = StringField()  # which take wrote it last: see take_all
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
                    "$set": {
                        "owner": owner,
                        "expires_at": expires_at,
                        "handing_to": None,
                        "claim": claim,
                    },
                    "$inc": {"epoch": 1},
                },
            )
            ours = _collection().find({"_id": {"$in": numbers}, "claim": claim}, {"epoch": 1})
            return {stored["_id"]: stored["epoch"] for stored in ours}

    def renew_all(self, owner: str, epochs: dict[int, int], expires_at: float) -> set[int]:
        """Extend the leases its owner holds ({shard: epoch}), in two requests whatever
        their number (each waits behind the writes nx-27017 answers first: more make a
        beat slower than the lease under load): those renewed, the others lost."""
        if not epochs:
            return set()
        with storing("renewing %d shards", len(epochs)):
            _collection().update_many(
                {"_id": {"$in": sorted(epochs)}, "owner": owner},
                {"$set": {"expires_at": expires_at}},
            )
            # read after: one taken meanwhile (another owner, or another epoch of this
            # one's) is not renewed; the expiry it got, never read at an epoch held, is moot
            return self._held(owner, epochs)

    def _held(self, owner: str, epochs: dict[int, int]) -> set[int]:
        """Those of the shards ({shard: epoch}) the owner holds at that epoch."""
        if not epochs:
            return set()
        stored = _collection().find({"_id": {"$in": sorted(epochs)}, "owner": owner})
        return {shard["_id"] for shard in stored if shard.get("epoch") == epochs[shard["_id"]]}

    def release(self, number: int, owner: str, epoch: int) -> None:
        """Give a shard up at once (a clean stop)."""
        with storing("releasing shard %d", number):
            _collection().update_one(
                {"_id": number, "owner": owner, "epoch": epoch},
                {"$set": {"owner": None, "expires_at": 0.0, "handing_to": None}},
            )

    def hand(self, owner: str, epochs: dict[int, int], to: str) -> set[int]:
        """Mark shards their owner holds ({shard: epoch}) as handed to `to`, each at its
        epoch plus one (what it is renewed at and the next owner writes with from now
        on): those marked; the others were lost."""
        with storing("handing %d shards over", len(epochs)):
            held = self._held(owner, epochs)
            if held:
                _collection().update_many(
                    {"_id": {"$in": sorted(held)}, "owner": owner, "handing_to": None},
                    {"$set": {"handing_to": to}, "$inc": {"epoch": 1}},
                )
            return self._held(owner, {shard: epochs[shard] + 1 for shard in held})

    def transfer(self, number: int, owner: str, epoch: int, to: str, expires_at: float) -> bool:
        """The shard handed to `to` becomes its lease, at the same epoch; False if the
        owner lost it meanwhile."""
        with storing("transferring shard %d", number):
            moved = _collection().update_one(
                {"_id": number, "owner": owner, "epoch": epoch, "handing_to": to},
                {"$set": {"owner": to, "handing_to": None, "expires_at": expires_at}},
            )
        return moved.matched_count == 1

    def clear(self) -> int:
        with storing("deleting the shards"):
            return _collection().delete_many({}).deleted_count


def _claim(owner: str) -> str:
    """A mark of one take, to read back which shards it got: not the expiry it set,
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
        "handing_to": stored.get("handing_to"),
    }
