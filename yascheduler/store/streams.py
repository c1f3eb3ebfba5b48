"""Which streamer is the master of each streamed radio (streaming/masters.py holds
it in memory).

Written behind (pending.Buffered), by `_id`, in bulk: a streamer starting
thousands of radios at once costs a few writes.
"""

from mongoengine import Document, FloatField, IntField, StringField

from .pending import Buffered
from .records import drop_indexes_on, keyed, storing


class RadioStream(Document):
    """Which streamer is the master of a radio, while one is."""

    uuid = StringField(primary_key=True)
    master = StringField(required=True)
    since = FloatField(required=True)
    epoch = IntField()  # its owner's fencing token (store/changes.py)
    meta = {"collection": "radio_streams"}


class StoredStreams(Buffered):
    what = "radio %s's master"

    def collection(self):
        return _collection()

    def masters(self) -> dict[str, str]:
        """Radio uuid -> its master streamer's name."""
        with storing("reading the radio masters"):
            stored = list(_collection().find({}, {"master": 1}))
        return keyed(stored, _master, "radio stream")

    def add(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had no master has one; a record left behind is overwritten."""
        self._replace(radio_uuid, {"master": master, "since": since}, radio=radio_uuid)

    def change(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had a master has another."""
        self._set(radio_uuid, {"master": master, "since": since}, upsert=True, radio=radio_uuid)

    def remove(self, radio_uuid: str) -> None:
        self._delete(radio_uuid, radio=radio_uuid)

    def drop_unread_indexes(self) -> list[str]:
        """Drop the index on `master` older versions made: nothing reads the store by
        a master (it is in memory); the names of those dropped."""
        return drop_indexes_on(_collection(), ["master"])

    def clear(self) -> int:
        self._forget_pending()
        with storing("deleting the radio masters"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return RadioStream._get_collection()


def _master(stored: dict) -> str:
    master = stored["master"]
    if not isinstance(master, str):
        raise TypeError(f"its master is a {type(master).__name__}, not a text")
    return master
