"""The running instances of yascheduler sharing this store: one record each, its
heartbeat renewed while it runs (yascheduler/fleet/membership.py)."""

from mongoengine import DictField, Document, FloatField, StringField
from pymongo.errors import DuplicateKeyError

from .records import decoded, storing


class Instance(Document):
    id = StringField(primary_key=True)
    started_at = FloatField(required=True)
    heartbeat_at = FloatField(required=True)
    # what the fleet shows of it: host, pid, HTTP address, radios owned, load...
    facts = DictField()
    meta = {"collection": "instances", "indexes": ["heartbeat_at"]}


class StoredInstances:
    def claim(self, instance_id: str, now: float, stale_before: float, facts: dict) -> bool:
        """Record this instance as running; False if one with this id is alive (its
        heartbeat is at `stale_before` or later)."""
        record = {"started_at": now, "heartbeat_at": now, "facts": facts}
        with storing("registering instance %s", instance_id):
            taken_over = _collection().find_one_and_update(
                {"_id": instance_id, "heartbeat_at": {"$lt": stale_before}},
                {"$set": record},
            )
            if taken_over is not None:
                return True
            try:
                _collection().insert_one({"_id": instance_id, **record})
            except DuplicateKeyError:
                return False  # there, and alive
        return True

    def beat(self, instance_id: str, at: float, facts: dict) -> None:
        with storing("renewing instance %s's heartbeat", instance_id):
            _collection().update_one(
                {"_id": instance_id}, {"$set": {"heartbeat_at": at, "facts": facts}}
            )

    def all(self) -> list[dict]:
        """Every instance recorded, alive or not: {"id", "started_at", "heartbeat_at", "facts"}."""
        with storing("reading the instances"):
            stored = list(_collection().find())
        return list(decoded(stored, _instance, "instance"))

    def remove(self, instance_id: str) -> None:
        with storing("removing instance %s", instance_id):
            _collection().delete_one({"_id": instance_id})

    def forget_dead(self, before: float) -> int:
        """Remove the records whose last heartbeat is older than `before` (one that
        claims its id meanwhile has a new heartbeat: it stays)."""
        with storing("removing the instances dead since %.0f", before):
            return _collection().delete_many({"heartbeat_at": {"$lt": before}}).deleted_count

    def clear(self) -> int:
        with storing("deleting the instances"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return Instance._get_collection()


def _instance(stored: dict) -> dict:
    if not isinstance(stored["_id"], str) or not isinstance(stored["heartbeat_at"], int | float):
        raise TypeError("its id or heartbeat is not what an instance has")
    return {
        "id": stored["_id"],
        "started_at": stored.get("started_at"),
        "heartbeat_at": float(stored["heartbeat_at"]),
        "facts": dict(stored.get("facts") or {}),
    }
