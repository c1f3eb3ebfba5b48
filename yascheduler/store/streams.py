"""Which streamer is the master of each streamed radio (streaming/masters.py holds
it in memory).

Written behind (pending.Buffered), by `_id`, in bulk: a streamer starting
thousands of radios at once costs a few writes.
"""

from collections.abc import Iterable

from mongoengine import Document, FloatField, IntField, StringField

from yascheduler.support.shards import shard_of

from .pending import Buffered
from .records import drop_indexes_on, keyed, storing
from .sharded import SHARD, fill_shards, of_shards


class RadioStream(Document):
    """Which streamer is the master of a radio, while one is."""

    uuid = StringField(primary_key=True)
    master = StringField(required=True)
    since = FloatField(required=True)
    epoch = IntField()  # its owner's fencing token (store/changes.py)
    shard = IntField()  # its radio's (store/sharded.py): a take reads its shards' alone
    meta = {"collection": "radio_streams", "indexes": [SHARD]}


class StoredStreams(Buffered):
    what = "radio %s's master"

    def collection(self):
        return _collection()

    def masters(self, shards: Iterable[int] | None = None) -> dict[str, str]:
        """Radio uuid -> its master streamer's name (of the radios of `shards`, if given)."""
        with storing("reading the radio masters"):
            stored = list(_collection().find(of_shards(shards), {"master": 1}))
        return keyed(stored, _master, "radio stream")

    def add(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had no master has one; a record left behind is overwritten."""
        stored = {"master": master, "since": since, SHARD: shard_of(radio_uuid)}
        self._replace(radio_uuid, stored, radio=radio_uuid)

    def change(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had a master has another."""
        changed = {"master": master, "since": since, SHARD: shard_of(radio_uuid)}
        self._set(radio_uuid, changed, upsert=True, radio=radio_uuid)

    def remove(self, radio_uuid: str) -> None:
        self._delete(radio_uuid, radio=radio_uuid)

    def drop_unread_indexes(self) -> list[str]:
        """Drop the index on `master` older versions made: nothing reads the store by
        a master (it is in memory); the names of those dropped."""
        return drop_indexes_on(_collection(), ["master"])

    def fill_shards(self) -> int:
        """Give their shard to the masters an older version stored without it; how many."""
        return fill_shards(_collection())

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
