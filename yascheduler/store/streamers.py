"""The registered streamers (streaming/liveness.py holds them in memory); written
behind (pending.Buffered)."""

from mongoengine import Document, FloatField, StringField

from .pending import Buffered
from .records import decoded, storing


class Streamer(Document):
    name = StringField(primary_key=True)
    registered_at = FloatField(required=True)
    last_seen_at = FloatField(required=True)
    meta = {"collection": "streamers"}


class StoredStreamers(Buffered):
    what = "streamer %s"

    def collection(self):
        return _collection()

    def names(self) -> list[str]:
        """Every registered streamer's name."""
        with storing("reading the registered streamers"):
            stored = list(_collection().find({}, {"_id": 1}))
        return list(decoded(stored, _name, "streamer"))

    def register(self, name: str, at: float) -> None:
        self._set(name, {"registered_at": at, "last_seen_at": at}, upsert=True)

    def seen(self, name: str, at: float) -> None:
        self._set(name, {"last_seen_at": at})

    def remove(self, name: str) -> None:
        self._delete(name)

    def clear(self) -> int:
        """Forget every streamer (`yascheduler flush`); how many there were."""
        self._forget_pending()
        with storing("deleting the streamers"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return Streamer._get_collection()


def _name(stored: dict) -> str:
    name = stored["_id"]
    if not isinstance(name, str):
        raise TypeError(f"its name is a {type(name).__name__}, not a text")
    return name
