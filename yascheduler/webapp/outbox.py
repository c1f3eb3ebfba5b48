"""The web app outbox: notifications waiting for the web app, in seq order, durable.

An item appended is written behind (store/outbox.py gives it its seq, its
key, as it writes it), and it joins the head of the outbox only once it is
stored: nothing reaches the web app that the store does not hold. It is
deleted only once the web app took it, so a restart loses nothing. The head
is kept in memory, in seq order, so that the sender never asks the store
what to send next: the store is read at start-up, and again only after more
than `window` items waited at once (those past the window wait in the store
alone, so that a long outage of the web app does not fill the memory).

An item the web app refused for good is parked: it stays in the store with
a `parked` sub-document (when, the HTTP status, an excerpt of the answer,
the attempts), out of the queue and of the backlog, until an operator
retries it (back into the queue, in seq order) or discards it (deleted).
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

import gevent.lock
from yascheduler.support.errors import NotFoundError, StoreError

if TYPE_CHECKING:
    from yascheduler.store.outbox import QueuedRecord, StoredOutbox

WINDOW = 10_000


@dataclass(eq=False)  # items are told apart by identity: their seqs differ anyway
class Item:
    seq: int | None  # None until it is written
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


class NotParked(NotFoundError):
    """Seqs named for a retry or a discard that are not parked items."""

    def __init__(self, seqs: list[int]):
        super().__init__("no parked item with seq " + ", ".join(map(str, seqs)), seqs=seqs)
        self.seqs = seqs


class Outbox:
    """`write_now()` writes every change waiting for the store (the store writer's),
    before an operator's action reads the store again; `on_stored()` is told when
    items were stored (the sender may send them)."""

    def __init__(
        self,
        items: "StoredOutbox",
        window: int = WINDOW,
        write_now: Callable[[], None] | None = None,
    ):
        self._items = items
        items.on_stored = self._stored
        self._write_now = write_now or items.write_now
        self.on_stored: Callable[[], None] = lambda: None
        self.window = window
        self._head: deque[Item] = deque()
        self._last_seq: int | None = None  # the greatest seq taken into memory
        self._spilled = False  # True while stored items wait behind those in memory
        self._count = 0
        # seq -> radio uuid of every parked item: counted, listed and selected without
        # a scan of the store, which holds the whole backlog.
        self._parked: dict[int, str] = {}
        # Taking in items stored and refilling from the store happen under one
        # lock, so that the queue is in seq order and none is missed or taken
        # twice; parking, retrying and discarding too, so that none crosses a
        # retry reading the memory again.
        self._lock = gevent.lock.RLock()

    def __len__(self) -> int:
        """How many items wait, in memory or not; parked ones do not."""
        return self._count

    def parked_count(self) -> int:
        return len(self._parked)

    def load(self) -> None:
        """Take in the stored backlog (at start-up, before anything is appended)."""
        with self._lock:
            self._items.upgrade_legacy_items()
            self._count = self._items.queued_count()
            self._parked = self._items.parked_radios()
            self._reload()

    def append(self, kind: str, radio_uuid: str, params: dict, created_at: float) -> Item:
        """Queue a notification; it joins the head once stored. Dropped (logged by the
        store) if the store's backlog is full."""
        item = Item(None, kind, radio_uuid, params, created_at)
        self._count += 1  # before it is stored: it may be at once, and sent
        if not self._items.insert(item):
            self._count -= 1
        return item

    def _stored(self, items: list[Item]) -> None:
        """Items written, in seq order: into the head, unless a refill read them already
        or they are past the window."""
        with self._lock:
            for item in items:
                if self._last_seq is not None and item.seq <= self._last_seq:
                    continue
                if self._spilled or len(self._head) >= self.window:
                    self._spilled = True
                else:
                    self._head.append(item)
                    self._last_seq = item.seq
        self.on_stored()

    def head(self, count: int) -> list[Item]:
        """Up to `count` items from the head of the outbox, oldest first."""
        if not self._head and self._spilled:
            with self._lock:
                self._refill()
        return list(islice(self._head, count))

    def remove(self, items: list[Item]) -> None:
        """Delete items taken from the head (the web app took them, or they are discarded)."""
        self._items.delete([item.seq for item in items])
        self._forget(items)
        self._count -= len(items)

    def park(self, item: Item, parked: dict) -> None:
        """Set an item taken from the head aside: `parked` says when and why (`at` required)."""
        with self._lock:
            self._items.park(item.seq, parked)
            self._forget([item])
            self._count -= 1
            self._parked[item.seq] = item.radio_uuid

    def record_attempt(self, items: list[Item]) -> None:
        for item in items:
            item.attempts += 1
        self._items.attempted({item.seq: item.attempts for item in items})

    def oldest_created_at(self) -> float | None:
        """Of the oldest item stored; None if none is, or the store cannot say now."""
        try:
            head = self.head(1)
        except StoreError:
            return None
        return head[0].created_at if head else None

    def parked_page(self, radio_uuid: str | None, skip: int, limit: int) -> tuple[int, list]:
        """(how many are parked, of the radio if given; the stored documents of a page of
        them, in seq order)."""
        seqs = self._selected(Selection(radio_uuid=radio_uuid))
        if seqs:
            self._write_now()  # the items parked a moment ago too
        return len(seqs), self._items.parked_documents(seqs[skip : skip + limit])

    def retry(self, selection: Selection) -> list[int]:
        """Put parked items back into the queue, in seq order with the others; their seqs."""
        with self._lock:
            seqs = self._selected(selection)
            if seqs:
                # the store holds what memory knows, before it is changed and read again
                self._write_now()
                self._items.unpark(selection.seqs, selection.radio_uuid)
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
                self._write_now()
                self._items.discard_parked(selection.seqs, selection.radio_uuid)
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
        page = self._items.queued_after(self._last_seq, self.window)
        self._head.extend(map(_item, page.items))
        if page.items:
            self._last_seq = page.items[-1].seq
        self._spilled = page.full


def _item(stored: "QueuedRecord") -> Item:
    return Item(
        stored.seq,
        stored.kind,
        stored.radio_uuid,
        stored.params,
        stored.created_at,
        stored.attempts,
    )
