"""The registered streamers (streaming/liveness.py holds them in memory)."""

from mongoengine import Document, FloatField, StringField

from .records import decoded, storing


class Streamer(Document):
    name = StringField(primary_key=True)
    registered_at = FloatField(required=True)
    last_seen_at = FloatField(required=True)
    meta = {"collection": "streamers"}


class StoredStreamers:
    def names(self) -> list[str]:
        """Every registered streamer's name."""
        with storing("reading the registered streamers"):
            stored = list(_collection().find({}, {"_id": 1}))
        return list(decoded(stored, _name, "streamer"))

    def register(self, name: str, at: float) -> None:
        with storing("registering streamer %s", name):
            _collection().update_one(
                {"_id": name}, {"$set": {"registered_at": at, "last_seen_at": at}}, upsert=True
            )

    def seen(self, name: str, at: float) -> None:
        with storing("recording when streamer %s was last seen", name):
            _collection().update_one({"_id": name}, {"$set": {"last_seen_at": at}})

    def remove(self, name: str) -> None:
        with storing("removing streamer %s", name):
            _collection().delete_one({"_id": name})

    def clear(self) -> int:
        """Forget every streamer (`yascheduler flush`); how many there were."""
        with storing("deleting the streamers"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return Streamer._get_collection()


def _name(stored: dict) -> str:
    name = stored["_id"]
    if not isinstance(name, str):
        raise TypeError(f"its name is a {type(name).__name__}, not a text")
    return name
