"""The web app outbox: notifications waiting for the web app, in seq order, durable.

An item is stored (models.OutboxItem, its seq the `_id`) before it counts
as written, and deleted only once the web app took it, so a restart loses
nothing. The head of the outbox is kept in memory as well, in seq order,
so that the sender never asks the store what to send next: the store is
read at start-up, and again only after more than `window` items waited at
once (those past the window wait in the store alone, so that a long
outage of the web app does not fill the memory).

An item the web app refused for good is parked: it stays in the store with
a `parked` sub-document (when, the HTTP status, an excerpt of the answer,
the attempts), out of the queue and of the backlog, until an operator
retries it (back into the queue, in seq order) or discards it (deleted).
"""

from collections import deque
from dataclasses import dataclass
from itertools import islice

import gevent.lock
from pymongo import ReturnDocument

from yascheduler.store import models

SEQ_COUNTER = "outbox"
# Seqs are reserved from the counter a block at a time: one store write per
# block instead of one per item, and seqs still grow across restarts.
SEQ_BLOCK = 1000
WINDOW = 10_000
LEGACY_SEQ_INDEX = "seq_1"  # older versions kept seq in a field of its own, unique
# Every parked sub-document has its `at`: a stray `parked: {}` or null is not parked.
PARKED = {"parked.at": {"$exists": True}}
QUEUED = {"parked.at": {"$exists": False}}


@dataclass(eq=False)  # items are told apart by identity: their seqs differ anyway
class Item:
    seq: int
    kind: str
    radio_uuid: str
    params: dict
    created_at: float
    attempts: int = 0


@dataclass(frozen=True)
class Selection:
    """Parked items an operator names: by seqs, or of one radio, or (neither) all."""

    seqs: tuple[int, ...] | None = None
    radio_uuid: str | None = None

    def query(self) -> dict:
        if self.seqs is not None:
            return {**PARKED, "_id": {"$in": list(self.seqs)}}
        if self.radio_uuid is not None:
            return {**PARKED, "radio_uuid": self.radio_uuid}
        return dict(PARKED)


class NotParked(LookupError):
    """Seqs named for a retry or a discard that are not parked items."""

    def __init__(self, seqs: list[int]):
        super().__init__("no parked item with seq " + ", ".join(map(str, seqs)))
        self.seqs = seqs


class Outbox:
    def __init__(self, window: int = WINDOW):
        self.window = window
        self._head: deque[Item] = deque()
        self._last_seq: int | None = None  # the greatest seq taken into memory
        self._spilled = False  # True while stored items wait behind those in memory
        self._count = 0
        # seq -> radio uuid of every parked item: counted, listed and selected without
        # a scan of the store, which holds the whole backlog.
        self._parked: dict[int, str] = {}
        self._next_seq = self._seq_limit = 0
        # Taking a seq, storing the item and queueing it happen under one lock,
        # so that the queue is in seq order, and a refill sees every item
        # stored behind it; parking, retrying and discarding too, so that none
        # crosses a retry reading the memory again.
        self._lock = gevent.lock.Semaphore()

    def __len__(self) -> int:
        """How many items wait, in memory or not; parked ones do not."""
        return self._count

    def parked_count(self) -> int:
        return len(self._parked)

    def load(self) -> None:
        """Take in the stored backlog (at start-up, before anything is appended)."""
        with self._lock:
            _upgrade_legacy_items()
            self._count = _collection().count_documents(QUEUED)
            parked = _collection().find(PARKED, {"radio_uuid": 1})
            self._parked = {stored["_id"]: stored.get("radio_uuid") for stored in parked}
            self._reload()

    def append(self, kind: str, radio_uuid: str, params: dict, created_at: float) -> Item:
        with self._lock:
            item = Item(self._new_seq(), kind, radio_uuid, params, created_at)
            _collection().insert_one(_document(item))
            self._count += 1
            if self._spilled or len(self._head) >= self.window:
                self._spilled = True
            else:
                self._head.append(item)
                self._last_seq = item.seq
        return item

    def head(self, count: int) -> list[Item]:
        """Up to `count` items from the head of the outbox, oldest first."""
        if not self._head and self._spilled:
            with self._lock:
                self._refill()
        return list(islice(self._head, count))

    def remove(self, items: list[Item]) -> None:
        """Delete items taken from the head (the web app took them, or they are discarded)."""
        _collection().delete_many(_ids_filter(items))
        self._forget(items)
        self._count -= len(items)

    def park(self, item: Item, parked: dict) -> None:
        """Set an item taken from the head aside: `parked` says when and why (`at` required)."""
        with self._lock:
            _collection().update_one({"_id": item.seq}, {"$set": {"parked": parked}})
            self._forget([item])
            self._count -= 1
            self._parked[item.seq] = item.radio_uuid

    def record_attempt(self, items: list[Item]) -> None:
        _collection().update_many(_ids_filter(items), {"$inc": {"attempts": 1}})
        for item in items:
            item.attempts += 1

    def oldest_created_at(self) -> float | None:
        head = self.head(1)
        return head[0].created_at if head else None

    def parked_page(self, radio_uuid: str | None, skip: int, limit: int) -> tuple[int, list]:
        """(how many are parked, of the radio if given; the stored documents of a page of
        them, in seq order)."""
        seqs = self._selected(Selection(radio_uuid=radio_uuid))
        stored = (_collection().find_one({"_id": seq}) for seq in seqs[skip : skip + limit])
        return len(seqs), [document for document in stored if document is not None]

    def retry(self, selection: Selection) -> list[int]:
        """Put parked items back into the queue, in seq order with the others; their seqs."""
        with self._lock:
            seqs = self._selected(selection)
            if seqs:
                _collection().update_many(selection.query(), {"$unset": {"parked": ""}})
                self._count += len(seqs)
                self._unpark(seqs)
                # Their seqs are older than most of the queue: read it again from the
                # store, in seq order, rather than sort them into the memory.
                self._reload()
        return seqs

    def discard(self, selection: Selection) -> list[int]:
        """Delete parked items for good; their seqs."""
        with self._lock:
            seqs = self._selected(selection)
            if seqs:
                _collection().delete_many(selection.query())
                self._unpark(seqs)
        return seqs

    def _selected(self, selection: Selection) -> list[int]:
        """The seqs of the parked items selected, in order; NotParked if a seq named is
        not one."""
        if selection.seqs is not None:
            missing = sorted(set(selection.seqs) - self._parked.keys())
            if missing:
                raise NotParked(missing)
            return sorted(set(selection.seqs))
        wanted = selection.radio_uuid
        return sorted(s for s, radio in self._parked.items() if wanted in (None, radio))

    def _unpark(self, seqs: list[int]) -> None:
        for seq in seqs:
            del self._parked[seq]

    def _forget(self, items: list[Item]) -> None:
        """Take items out of memory: found at the head, as the sender takes them from it,
        unless a retry read the memory again while they were being sent."""
        for index, item in enumerate(items):
            if not self._head or self._head[0] is not item:
                seqs = {left.seq for left in items[index:]}
                self._head = deque(kept for kept in self._head if kept.seq not in seqs)
                return
            self._head.popleft()

    def _reload(self) -> None:
        """Memory read again from the store, from the oldest queued item; under the lock."""
        self._head.clear()
        self._last_seq, self._spilled = None, True
        self._refill()

    def _refill(self) -> None:
        """The next stored items into memory; under the lock, so that none is missed."""
        if self._head or not self._spilled:
            return
        after = {} if self._last_seq is None else {"_id": {"$gt": self._last_seq}}
        stored = list(_collection().find({**after, **QUEUED}).sort("_id", 1).limit(self.window))
        self._head.extend(map(_item, stored))
        if stored:
            self._last_seq = stored[-1]["_id"]
        self._spilled = len(stored) == self.window

    def _new_seq(self) -> int:
        if self._next_seq == self._seq_limit:
            self._seq_limit = _reserve_seqs(SEQ_BLOCK)
            self._next_seq = self._seq_limit - SEQ_BLOCK
        self._next_seq += 1
        return self._next_seq


def _collection():
    return models.OutboxItem._get_collection()


def _reserve_seqs(count: int) -> int:
    """The counter once `count` is added to it: the seqs up to it from its previous value
    on are ours, whoever else shares the store."""
    counter = models.Counter._get_collection().find_one_and_update(
        {"_id": SEQ_COUNTER},
        {"$inc": {"value": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return counter["value"]


def _ids_filter(items: list[Item]) -> dict:
    # One item (every notification but songs_started) by its exact _id: the
    # lookup the in-memory store answers without a scan.
    if len(items) == 1:
        return {"_id": items[0].seq}
    return {"_id": {"$in": [item.seq for item in items]}}


def _document(item: Item) -> dict:
    return {
        "_id": item.seq,
        "kind": item.kind,
        "radio_uuid": item.radio_uuid,
        "params": item.params,
        "created_at": item.created_at,
        "attempts": item.attempts,
    }


def _item(document: dict) -> Item:
    # .get: an item stored by another version may lack a field; the sender
    # discards what it cannot send.
    return Item(
        document["_id"],
        document.get("kind"),
        document.get("radio_uuid"),
        document.get("params", {}),
        document.get("created_at"),
        document.get("attempts", 0),
    )


def _upgrade_legacy_items() -> None:
    """Give items stored by older versions their seq as `_id`, and drop their seq index,
    which items without a seq field would break (they would all index as null)."""
    collection = _collection()
    if LEGACY_SEQ_INDEX in collection.index_information():
        collection.drop_index(LEGACY_SEQ_INDEX)
    for legacy in collection.find({"seq": {"$exists": True}}):
        upgraded = {key: value for key, value in legacy.items() if key not in ("_id", "seq")}
        # replace-or-insert: a crash between these two writes is redone at next start
        collection.replace_one({"_id": legacy["seq"]}, upgraded, upsert=True)
        collection.delete_one({"_id": legacy["_id"]})
