"""Changes waiting for the store: each repository's, per `_id`, and the backlog they
share (its bound, the count the writer's barrier reads, when the oldest arrived).

A repository that writes behind is a `Buffered`: its write methods queue a
change (changes.py merges it with the one already waiting for that
document), and the writer (writer.py) takes them all, writes them, and tells
the repository they were written, or puts them back under the newer ones.
A repository made without a backlog (the tools, one part's tests) writes
each change at once, raising StoreError if the store refuses it.

The backlog is bounded: at `limit` waiting changes, a change to a document
that has none waiting is dropped (counted; logged once each time the bound
is reached). Changes to waiting documents still merge: memory stays the
source, and what is waiting is written once the store is back.

Each change queued is numbered (`Backlog.queued`, the barrier's marks); the
changes of a radio's own state are noted by radio (radio_changes.py), so that
a message about one radio waits for that radio's changes only. A change taken
by the writer stays unwritten, in flight, until its chunk of the bulk write
has landed.
"""

import logging
import time
from collections.abc import Callable, Iterable

import gevent.event

from yascheduler.support.errors import StoreError

from . import bulk
from .changes import DELETE, INSERT, REPLACE, SET, Change, merged
from .radio_changes import RadioChanges

log = logging.getLogger("yascheduler.store")

MAX_PENDING = 1_000_000


class Backlog:
    def __init__(self, limit: int = MAX_PENDING, immediate: bool = False, timer=time.monotonic):
        self.limit = limit
        self.immediate = immediate  # no writer: each change is written as it comes
        self.timer = timer
        self.queues: list[Buffered] = []
        self.queued = 0  # changes queued since the start: the writer's barrier marks
        self.radios = RadioChanges()  # which radios have changes unwritten
        self.since: float | None = None  # when the oldest change not yet taken arrived
        self.arrived = gevent.event.Event()  # set when a change comes to an empty backlog
        self.dropped = 0  # changes dropped at the bound
        self.full = False

    def pending(self) -> int:
        return sum(len(queue) for queue in self.queues)

    def admits_another(self) -> bool:
        """Whether a change to a document with none waiting can be queued (else counted)."""
        if self.pending() < self.limit:
            self.full = False
            return True
        self.dropped += 1
        if not self.full:
            self.full = True
            log.error(
                "store backlog full: %d changes wait for the store; changes to other "
                "documents are dropped (not stored) until it takes them",
                self.limit,
            )
        return False

    def noted(self) -> None:
        self.queued += 1
        if self.since is None:
            self.since = self.timer()
            self.arrived.set()


class Buffered:
    """What a repository that writes behind offers the writer. A subclass sets `what`
    (how a document is named in a log line, `%s` for its `_id`), `secret` (its `_id`
    is not shown), `ordered` (its writes keep their order) and `collection()`."""

    what = "document %s"
    secret = False
    ordered = False

    def __init__(self, backlog: Backlog | None = None):
        self.backlog = backlog if backlog is not None else Backlog(immediate=True)
        self.backlog.queues.append(self)
        self._changes: dict = {}  # _id -> Change, the oldest first
        self._taken: dict = {}  # _id -> Change taken by the writer, not yet landed
        # radio uuid -> the fencing token its writes carry (changes.py); None: unfenced
        self.epoch_of: Callable[[str], int] | None = None
        # radio uuid -> the highest epoch its document may hold beside this owner's, if
        # another may write it too (a shard's document while handed over: changes.py)
        self.fence_of: Callable[[str], int] | None = None

    def __len__(self) -> int:
        return len(self._changes)

    def collection(self):
        raise NotImplementedError

    def describe(self, key) -> str:
        """The document, as a log line names it (a secret `_id` is not shown)."""
        return self.what if self.secret else self.what % (key,)

    # --- what the repository's write methods call --------------------------------------

    def _insert(self, key, document: dict, radio: str | None = None) -> None:
        self._queue(key, self._fenced(Change(INSERT, document, self.backlog.timer()), radio))

    def _replace(self, key, document: dict, radio: str | None = None) -> None:
        self._queue(key, self._fenced(Change(REPLACE, document, self.backlog.timer()), radio))

    def _replace_all(self, documents: dict, radio_keyed: bool = False) -> None:
        """Replace many documents ({_id: document}, fenced if keyed by radio uuid);
        without a writer, in one write."""
        at = self.backlog.timer()
        for key, document in documents.items():
            change = self._fenced(Change(REPLACE, document, at), key if radio_keyed else None)
            self._queue(key, change, at_once=False)
        if self.backlog.immediate and documents:
            self.write_now()

    def _set(self, key, fields: dict, upsert: bool = False, radio: str | None = None) -> None:
        self._queue(key, self._fenced(Change(SET, fields, self.backlog.timer(), upsert), radio))

    def _delete(self, key, radio: str | None = None) -> None:
        self._queue(key, self._fenced(Change(DELETE, None, self.backlog.timer()), radio))

    def _fenced(self, change: Change, radio: str | None) -> Change:
        """A change of a radio's document carries the fencing token of its owner now, and
        the radio (for the barrier)."""
        if radio is not None:
            change.radio = radio
            if self.epoch_of is not None:
                change.epoch = self.epoch_of(radio)
            if self.fence_of is not None:
                change.fence = self.fence_of(radio)
        return change

    def _queue(self, key, change: Change, at_once: bool = True) -> None:
        change.seq = self.backlog.queued + 1
        older = self._changes.get(key)
        if older is None:
            if not self.backlog.admits_another():
                return
            self._changes[key] = change
        else:
            combined = merged(older, change)
            if combined is None:
                del self._changes[key]
            else:
                self._changes[key] = combined
        if change.radio is not None:
            self.backlog.radios.noted(change.radio, self, key)
        self.backlog.noted()
        if at_once and self.backlog.immediate:
            self.write_now()

    def _forget_pending(self) -> None:
        """Drop what waits (the collection is being cleared)."""
        self._changes = {}
        self.backlog.radios.forget_written()

    def first_unwritten(self, key, radio: str | None = None) -> int | None:
        """The mark of document `key`'s oldest change waiting or being written, if any
        (a document of one radio's state: `radio` is that one)."""
        change = self._taken.get(key) or self._changes.get(key)
        return None if change is None else change.seq

    # --- what the writer calls ---------------------------------------------------------

    def take(self) -> dict:
        """Every change waiting, {_id: Change}; the repository holds them no more."""
        taken, self._changes = self._changes, {}
        self._taken = dict(taken)
        return taken

    def in_flight(self, key) -> bool:
        """Document `key` has a change taken by the writer that has not landed yet."""
        return key in self._taken

    def take_waiting(self, keys) -> dict:
        """The changes waiting of these documents, {_id: Change}, as `take` gives them;
        not those of a document with a change in flight (its newer one waits for it)."""
        taken = {}
        for key in keys:
            if key not in self._taken and (change := self._changes.pop(key, None)) is not None:
                taken[key] = change
        self._taken.update(taken)
        return taken

    def landed(self, changes: dict) -> None:
        """These changes taken are written, or dropped for good: no longer in flight."""
        radios = {}
        for key, change in changes.items():
            self._taken.pop(key, None)
            if change.radio is not None:
                radios[key] = self._radios_of(key, change)
        if radios:
            self.backlog.radios.landed(self, radios)

    def _radios_of(self, key, change: Change) -> Iterable[str]:
        """The radios whose own state the change of document `key` holds."""
        return (change.radio,)

    def written(self, changes: dict) -> None:
        """These changes taken are in the store."""

    def failed(self, changes: dict) -> None:
        """These changes taken were not written: back, under those queued since."""
        back = {}
        for key, change in changes.items():
            self._taken.pop(key, None)
            change.tried = True  # it may have been written: again, idempotently
            newer = self._changes.pop(key, None)
            combined = change if newer is None else merged(change, newer)
            if combined is not None:
                back[key] = combined
        back.update(self._changes)
        self._changes = back

    def write_now(self) -> None:
        """Write what waits, at once; StoreError (saying what) if the store refuses it
        (what it could not take, it may later: it waits still)."""
        taken = self.take()
        outcome = write_taken(self, taken)
        failures = outcome.refused + [
            (key, f"{type(outcome.error).__name__}: {outcome.error}") for key in outcome.retry
        ]
        if failures:
            key, why = failures[0]
            doing = "deleting" if taken[key].kind == DELETE else "storing"
            raise StoreError(f"{doing} {self.describe(key)} failed: {why}") from outcome.error


def write_taken(
    repository: Buffered,
    changes: dict,
    on_written: Callable[[dict], None] | None = None,
    answered: Callable[[], None] | None = None,
    first: Callable[[], Iterable] | None = None,
):
    """Write changes taken from the repository, and tell it what became of them (each
    chunk's as it lands); `on_written(changes)` is told of those written, `answered()`
    of each chunk; `first()` names keys to write before the others (bulk.write)."""

    def landed(part: dict) -> None:
        repository.landed(part)
        if answered is not None:
            answered()

    outcome = bulk.write(repository, changes, landed=landed, first=first)
    if outcome.written:
        repository.written(outcome.written)
        if on_written is not None:
            on_written(outcome.written)
    if outcome.retry:
        repository.failed(outcome.retry)
    return outcome
