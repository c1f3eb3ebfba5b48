"""The web app outbox's items, queued or parked (webapp/outbox.py keeps the head of
the queue in memory and decides what is written when).

An item's seq is its `_id`, and its `order` too: the queue is read in
`order`, indexed, rather than in `_id` order, which nx-27017 sorts as text
(1, 10, 2) while MongoDB sorts numbers as numbers. Items stored by the
version before `order` get it at start-up (`upgrade_legacy_items`). A
parked item has a `parked` sub-document, with its `at` always.
"""

from collections.abc import Collection
from typing import NamedTuple

from mongoengine import DictField, Document, FloatField, IntField, StringField

from .records import decoded, storing

# older versions kept seq in a field of its own, unique-indexed
LEGACY_SEQ_KEY = [("seq", 1)]
ORDER = "order"
# Every parked sub-document has its time `at`: a stray `parked: {}`, null, or `at: null`
# is not parked. Said with `$type`, and the queue as its `$nor`, because null and missing
# are told apart differently by each server: `$exists: false` matches null on nx-27017
# (not on MongoDB), and `{"parked.at": null}` misses `parked: null` in mongomock.
PARKED = {"parked.at": {"$type": "number"}}
QUEUED = {"$nor": [PARKED]}


class OutboxItem(Document):
    """A notification waiting for the web app."""

    seq = IntField(primary_key=True)
    kind = StringField(required=True)  # start_listening, stop_listening, stopped, songs_started
    radio_uuid = StringField(required=True)
    params = DictField()
    created_at = FloatField(required=True)
    attempts = IntField(default=0)
    # Set once the web app refused it for good: at, status, answer (an excerpt), attempts.
    parked = DictField(default=None)
    order = IntField()  # the seq again: the queue is read in this order
    meta = {"collection": "outbox", "indexes": [ORDER]}


class QueuedRecord(NamedTuple):
    seq: int
    # an item stored by another version may lack these: the sender discards what it
    # cannot send
    kind: str | None
    radio_uuid: str | None
    params: dict
    created_at: float | None
    attempts: int


class QueuedPage(NamedTuple):
    items: list[QueuedRecord]  # in seq order; records that cannot be decoded left out
    full: bool  # as many records as asked for were read: more may follow


class StoredOutbox:
    def upgrade_legacy_items(self) -> None:
        """Give items stored by older versions their seq as `_id`, and drop their seq
        index, which items without a seq field would break (they would all index as
        null)."""
        with storing("upgrading the outbox items of older versions"):
            collection = _collection()
            # found by its key: MongoDB named it seq_1, another server may name it otherwise
            for name, index in collection.index_information().items():
                if list(index["key"]) == LEGACY_SEQ_KEY:
                    collection.drop_index(name)
            for legacy in collection.find({"seq": {"$exists": True}}):
                upgraded = {key: value for key, value in legacy.items() if key != "seq"}
                upgraded["_id"] = legacy["seq"]
                # replace-or-insert, the `_id` in the replacement (a server may otherwise
                # give the upserted record one of its own); a crash between these two
                # writes is redone at next start
                collection.replace_one({"_id": legacy["seq"]}, upgraded, upsert=True)
                collection.delete_one({"_id": legacy["_id"]})
            _order_items_without_order(collection)

    def queued_count(self) -> int:
        with storing("counting the queued outbox items"):
            return _collection().count_documents(QUEUED)

    def parked_radios(self) -> dict[int, str | None]:
        """Seq -> radio uuid of every parked item."""
        with storing("reading the parked outbox items"):
            stored = list(_collection().find(PARKED, {"radio_uuid": 1}))
        return dict(decoded(stored, _parked_radio, "parked outbox item"))

    def queued_after(self, seq: int | None, limit: int) -> QueuedPage:
        """Up to `limit` queued items, in seq order, after `seq` (from the first if None)."""
        after = {} if seq is None else {ORDER: {"$gt": seq}}
        with storing("reading the outbox queue after seq %s", seq):
            stored = list(_collection().find({**after, **QUEUED}).sort(ORDER, 1).limit(limit))
        return QueuedPage(list(decoded(stored, _queued, "outbox item")), len(stored) == limit)

    def insert(self, seq: int, kind: str, radio_uuid: str, params: dict, created_at: float) -> None:
        item = {
            "_id": seq,
            "kind": kind,
            "radio_uuid": radio_uuid,
            "params": params,
            "created_at": created_at,
            "attempts": 0,
            ORDER: seq,
        }
        with storing("storing outbox item %d", seq):
            _collection().insert_one(item)

    def delete(self, seqs: Collection[int]) -> None:
        with storing("deleting %d outbox items", len(seqs)):
            _collection().delete_many(_ids_filter(seqs))

    def record_attempt(self, seqs: Collection[int]) -> None:
        with storing("counting an attempt of %d outbox items", len(seqs)):
            _collection().update_many(_ids_filter(seqs), {"$inc": {"attempts": 1}})

    def park(self, seq: int, parked: dict) -> None:
        """`parked`: when and why (`at` required)."""
        with storing("parking outbox item %d", seq):
            _collection().update_one({"_id": seq}, {"$set": {"parked": parked}})

    def parked_documents(self, seqs: list[int]) -> list[dict]:
        """The stored documents of these parked items, in the order given (the API shows
        them as stored); those no longer stored left out."""
        with storing("reading %d parked outbox items", len(seqs)):
            stored = [_collection().find_one({"_id": seq}) for seq in seqs]
        return [document for document in stored if document is not None]

    def unpark(self, seqs: list[int] | None = None, radio_uuid: str | None = None) -> None:
        """Queue parked items again: those of `seqs`, else of `radio_uuid`, else all."""
        with storing("queueing parked outbox items again"):
            _collection().update_many(_parked(seqs, radio_uuid), {"$unset": {"parked": ""}})

    def discard_parked(self, seqs: list[int] | None = None, radio_uuid: str | None = None) -> None:
        """Delete parked items: those of `seqs`, else of `radio_uuid`, else all."""
        with storing("discarding parked outbox items"):
            _collection().delete_many(_parked(seqs, radio_uuid))

    def clear(self) -> int:
        with storing("deleting the outbox"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return OutboxItem._get_collection()


def _order_items_without_order(collection) -> None:
    """Give their `order` (their seq) to the items stored without it (null or missing
    alike), once: one by one, as mongomock's bulk_write takes no UpdateOne of pymongo 4."""
    for item in list(collection.find({ORDER: None}, {"_id": 1})):
        collection.update_one({"_id": item["_id"]}, {"$set": {ORDER: item["_id"]}})


def _ids_filter(seqs: Collection[int]) -> dict:
    # One item (every notification but songs_started) by its exact _id: the
    # lookup the in-memory store answers without a scan.
    if len(seqs) == 1:
        return {"_id": next(iter(seqs))}
    return {"_id": {"$in": list(seqs)}}


def _parked(seqs: list[int] | None, radio_uuid: str | None) -> dict:
    if seqs is not None:
        return {**PARKED, "_id": {"$in": list(seqs)}}
    if radio_uuid is not None:
        return {**PARKED, "radio_uuid": radio_uuid}
    return dict(PARKED)


def _seq(stored: dict) -> int:
    seq = stored["_id"]
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise TypeError(f"its seq is a {type(seq).__name__}, not a number")
    return seq


def _parked_radio(stored: dict) -> tuple[int, str | None]:
    return _seq(stored), stored.get("radio_uuid")


def _queued(stored: dict) -> QueuedRecord:
    return QueuedRecord(
        _seq(stored),
        stored.get("kind"),
        stored.get("radio_uuid"),
        stored.get("params", {}),
        stored.get("created_at"),
        stored.get("attempts", 0),
    )
