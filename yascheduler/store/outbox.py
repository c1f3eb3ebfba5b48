"""The web app outbox's items, queued or parked (webapp/outbox.py keeps the head of
the queue in memory and decides what is written when).

An item's seq is its `_id`, and its `order` too: the queue is read in
`order`, indexed, rather than in `_id` order, which nx-27017 sorts as text
(1, 10, 2) while MongoDB sorts numbers as numbers. Items stored by the
version before `order` get it at start-up (`upgrade_legacy_items`). A
parked item has a `parked` sub-document, with its `at` always.

Items are written behind (pending.Buffered), in seq order, and their seq is
given as they are written, not as they are appended: seqs are reserved from
a counter a block at a time, and a store that does not answer would
otherwise stop new notifications. `on_stored` is told of the items written.
"""

from collections.abc import Callable, Collection, Mapping
from typing import NamedTuple, Protocol

from mongoengine import DictField, Document, FloatField, IntField, StringField

from .changes import INSERT, Change
from .counters import StoredCounters
from .pending import Backlog, Buffered
from .records import decoded, storing

SEQ_COUNTER = "outbox"
# Seqs are reserved a block at a time: one store write per block instead of one
# per item, and seqs still grow across restarts.
SEQ_BLOCK = 1000

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


class NewItem(Protocol):
    """An item appended (webapp.outbox.Item): its seq is None until it is given one."""

    seq: int | None
    kind: str
    radio_uuid: str
    params: dict
    created_at: float


class StoredOutbox(Buffered):
    what = "outbox item %s"
    ordered = True  # inserted in seq order: a reader never sees a seq before a smaller one

    def __init__(self, backlog: Backlog | None = None, counters: StoredCounters | None = None):
        super().__init__(backlog)
        self._counters = counters or StoredCounters()
        self._new: list[tuple[NewItem, float]] = []  # appended, not yet given a seq
        self._unconfirmed: dict[int, NewItem] = {}  # given a seq, not yet written
        self._next_seq = self._seq_limit = 0
        self.on_stored: Callable[[list[NewItem]], None] | None = None

    def __len__(self) -> int:
        return super().__len__() + len(self._new)

    def collection(self):
        return _collection()

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

    def insert(self, item: NewItem) -> bool:
        """Queue a new item, to be given its seq as it is written; False if the backlog
        is full (it is dropped)."""
        if not self.backlog.admits_another():
            return False
        self._new.append((item, self.backlog.timer()))
        self.backlog.noted()
        if self.backlog.immediate:
            self.write_now()
        return True

    def delete(self, seqs: Collection[int]) -> None:
        for seq in seqs:
            self._unconfirmed.pop(seq, None)
            self._delete(seq)

    def attempted(self, attempts: Mapping[int, int]) -> None:
        """Items tried again: {seq: attempts so far}."""
        for seq, count in attempts.items():
            self._set(seq, {"attempts": count})

    def park(self, seq: int, parked: dict) -> None:
        """`parked`: when and why (`at` required)."""
        self._set(seq, {"parked": parked})

    def take(self) -> dict:
        """Every change waiting, the new items given their seqs first (StoreError if the
        seqs cannot be reserved: the new items wait, still without)."""
        count = len(self._new)
        if count:
            seqs = self._reserve(count)  # a round trip: more may be appended meanwhile
            given, self._new = self._new[:count], self._new[count:]
            for seq, (item, at) in zip(seqs, given):
                item.seq = seq
                self._unconfirmed[seq] = item
                self._changes[seq] = Change(INSERT, _document(item), at)
        return super().take()

    def written(self, changes: dict) -> None:
        stored = [self._unconfirmed.pop(seq) for seq in changes if seq in self._unconfirmed]
        if stored and self.on_stored is not None:
            self.on_stored(sorted(stored, key=lambda item: item.seq))

    def _reserve(self, count: int) -> range:
        """`count` new seqs, in order, from the block in hand or new ones."""
        if self._seq_limit - self._next_seq < count:
            block = max(SEQ_BLOCK, count)
            # the seqs up to the limit from the block's start are ours, whoever else
            # shares the store; what was left of the block in hand is let go
            self._seq_limit = self._counters.reserve(SEQ_COUNTER, block)
            self._next_seq = self._seq_limit - block
        first = self._next_seq + 1
        self._next_seq += count
        return range(first, first + count)

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
        self._forget_pending()
        self._new, self._unconfirmed = [], {}
        with storing("deleting the outbox"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return OutboxItem._get_collection()


def _order_items_without_order(collection) -> None:
    """Give their `order` (their seq) to the items stored without it (null or missing
    alike), once: one by one, as mongomock's bulk_write takes no UpdateOne of pymongo 4."""
    for item in list(collection.find({ORDER: None}, {"_id": 1})):
        collection.update_one({"_id": item["_id"]}, {"$set": {ORDER: item["_id"]}})


def _document(item: NewItem) -> dict:
    return {
        "kind": item.kind,
        "radio_uuid": item.radio_uuid,
        "params": item.params,
        "created_at": item.created_at,
        "attempts": 0,
        ORDER: item.seq,
    }


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
