"""The store writer: one part (support.supervisor's shape) writing every repository's
changes behind, in bulk, at most `write_delay` after they happen.

Each turn takes every change waiting (pending.Buffered.take: one per
document, merged), writes them repository by repository in a fixed order
(the outbox last: an item the web app may be sent is stored after the
changes queued before it), and tells each repository what was written; what
could not be is put back under the newer changes and tried again after a
capped backoff. A change refused for good is logged with what it was, and
dropped.

The barrier: `mark(radio)` numbers the changes queued so far; `holds(mark)`
is True until the radio's own changes among them (its stream, timeline,
sessions, requests taken: radio_changes.py) are written, each as soon as the chunk of the
bulk write that holds it has landed, so that the bus keeps back the
messages about a radio that follow a change of its state until that state
is stored, and not until the other radios' are; `mark(None)` waits for every
change queued so far. A radio named by a mark goes first: its changes that the
turn has yet to send lead their repository's next chunk, those taken by no turn
yet are written at once, between two chunks (a `play` waits for its radio's
timeline, not for a backlog of 100,000 other radios' writes ahead of it).
The bus, holding one, calls `hurry()`: what waits is written at once rather
than `write_delay` after it came, so a `play` waits for one write, not more.
`store_radios(radios, within)`
is the same for the fleet: a radio let go to another instance is read there once its
changes are stored, and not once the whole backlog is. It holds nothing
while the store is known unreachable (a write failed, or one has been in
flight for more than STALLED_AFTER): then the service runs from memory, and
the messages go unstored (the bus counts them). While nothing waits, the
store is pinged every IDLE_PING seconds, so that its state is known anyway.
"""

import logging
import time
from collections.abc import Callable
from typing import NamedTuple

import gevent
import gevent.event
import gevent.lock

from yascheduler.support.errors import StoreError

from .pending import Backlog, Buffered, write_taken

log = logging.getLogger("yascheduler.store")

FIRST_RETRY = 0.1
MAX_RETRY = 2.0
# seconds the store may take to answer a write before it counts as unreachable
STALLED_AFTER = 1.0
IDLE_PING = 1.0


class Mark(NamedTuple):
    """What a message waits for: the changes of `radio` (every change, if None) queued
    up to `seq`."""

    radio: str | None
    seq: int


class Writer:
    name = "store-writer"

    def __init__(
        self,
        backlog: Backlog,
        repositories: list[Buffered],
        write_delay: float,
        ping: Callable[[], None],
        metrics=None,
        timer=time.monotonic,
    ):
        self.backlog = backlog
        self.repositories = repositories  # in the order they are written
        self.write_delay = write_delay
        self._ping = ping
        self._metrics = metrics
        self._timer = timer
        self._lock = gevent.lock.RLock()  # one write at a time: the loop's, or write_now's
        self.written_mark = 0  # every change up to this mark is stored (or dropped)
        self.reachable = True
        self.last_error = ""
        self.unreachable_since: float | None = None
        self.failures = 0  # turns in a row that left changes unwritten
        self._writing_since: float | None = None
        self._in_flight = 0  # changes taken by the write in progress
        self._last_ping = timer()
        self._first_failed = ""  # what the first change left unwritten was, for the log
        # told when writes moved on: the radios whose writes landed (None: any may have)
        self.listeners: list[Callable[[set[str] | None], None]] = []
        self._hurried = False  # a message waits for what is queued: write it now
        self._urgent: set[str] = set()  # radios messages wait for, not yet put first
        self._turn: dict[Buffered, dict] = {}  # the turn's changes not yet being written
        self._writing: Buffered | None = None  # the repository the turn writes now
        self._first: dict[Buffered, set] = {}  # its keys to write before its others
        self._putting_first = False
        self._urgent_left: tuple[int, BaseException | None] = (0, None)
        # waits, between two chunks, while another's store calls go first (the fleet's beat)
        self.gives_way: Callable[[], None] = lambda: None

    # --- the barrier (streaming.bus) ----------------------------------------------------

    def mark(self, radio: str | None = None) -> Mark:
        if radio is not None and radio in self.backlog.radios:
            self._urgent.add(radio)  # a message will wait for these: they go first
        return Mark(radio, self.backlog.queued)

    def hurry(self) -> None:
        """A message waits for the changes queued so far: write them without waiting for
        write_delay (while one waits, writes follow one another, each taking what came
        during the one before)."""
        self._hurried = True
        self.backlog.arrived.set()

    def stored(self, mark: Mark) -> bool:
        """True once the changes `mark` names are written (or dropped)."""
        if mark.seq <= self.written_mark:
            return True
        return mark.radio is not None and self.backlog.radios.stored(mark.radio, mark.seq)

    def store_radios(self, radios, within: float) -> bool:
        """Store the changes of `radios` queued so far ahead of the others', and wait for
        them, `within` seconds at most: True once stored; False if the store failed or
        the bound passed first (what is left is written behind as usual)."""
        waiting = {mark.radio: mark for mark in map(self.mark, radios)}
        moved, landed = gevent.event.Event(), {None}  # None: any radio's writes may have

        def told(radios) -> None:
            landed.update((None,) if radios is None else radios)
            moved.set()

        self.listeners.append(told)
        deadline = self._timer() + within
        try:
            while True:
                moved.clear()
                # those whose writes landed alone: 50,000 radios let go, after each chunk
                looked = list(waiting) if None in landed else landed & waiting.keys()
                landed.clear()
                for radio in [radio for radio in looked if self.stored(waiting[radio])]:
                    del waiting[radio]
                left = deadline - self._timer()
                if not waiting or not self.reachable or left <= 0:
                    return not waiting
                # all again (a set's update each): a newer change of a document the turn
                # was writing waited for that write, and goes at the next chunk
                self._urge(waiting)
                moved.wait(left)
        finally:
            self.listeners.remove(told)

    def _urge(self, radios) -> None:
        """These radios' changes go first: now if no turn is under way, else at the next
        chunk of the one that is (or at the next turn, if it is past its last chunk)."""
        self._urgent.update(radio for radio in radios if radio in self.backlog.radios)
        if not self._urgent:
            return
        if self._lock.acquire(blocking=False):
            try:
                self._write_first_now()
            finally:
                self._lock.release()
        else:
            self.hurry()

    def _write_first_now(self) -> None:
        """Write the changes of the radios marked, and nothing else (the lock held)."""
        self._writing_since, self._urgent_left = self._timer(), (0, None)
        try:
            self._put_first()
        finally:
            tried, self._writing_since, self._in_flight = self._in_flight, None, 0
        left, error = self._urgent_left
        if left:
            self._unreachable(error, left)
        elif tried:  # the store answered
            self._reachable_again()
        self._tell(None)

    def holds(self, mark: Mark) -> bool:
        """True while changes `mark` names wait and the store is writing them."""
        return not self.stored(mark) and self.answers()

    def unreachable_for(self) -> float | None:
        """Seconds since the store stopped answering; None while it answers."""
        since = self.unreachable_since
        return None if since is None else self._timer() - since

    def unwritten(self) -> int:
        """Changes not yet in the store: waiting, or being written."""
        return self.backlog.pending() + self._in_flight

    def caught_up(self) -> bool:
        """Everything queued so far is in the store (or was dropped)."""
        return self.written_mark >= self.backlog.queued and not self.backlog.pending()

    def answers(self) -> bool:
        """The store is reachable: the last write or ping went through, and a write in
        flight has had an answer within STALLED_AFTER."""
        writing = self._writing_since
        stalled = writing is not None and self._timer() - writing > STALLED_AFTER
        return self.reachable and not stalled

    # --- the part ---------------------------------------------------------------------

    @property
    def wakeup(self):
        """Deaf while it backs off: the changes that come meanwhile wait for the retry."""
        return None if self.failures else self.backlog.arrived

    def loop(self) -> float | None:
        """One turn: write what waits once its oldest change is `write_delay` old (at once
        when retrying); the wait before the next turn."""
        self.backlog.arrived.clear()
        since = self.backlog.since
        if since is None:  # nothing waits
            return self._ping_when_due()
        hurried = self.failures or self._hurried
        due = 0.0 if hurried else since + self.write_delay - self._timer()
        if due > 0:
            return due
        self.write_pending()
        return self._retry_wait() if self.failures else 0

    def _retry_wait(self) -> float:
        return min(MAX_RETRY, FIRST_RETRY * 2 ** min(self.failures - 1, 8))

    def _ping_when_due(self) -> float:
        """While nothing waits, the store is asked whether it answers (at once after a
        failure, then every IDLE_PING seconds)."""
        wait = 0.0 if self.failures else self._last_ping + IDLE_PING - self._timer()
        if wait > 0:
            return wait
        self._last_ping = self._timer()
        try:
            self._ping()
        except StoreError as error:
            self._unreachable(error.__cause__ or error, 0)
            return self._retry_wait()
        self._reachable_again()
        return IDLE_PING

    def write_now(self) -> None:
        """Write everything queued so far, now (an admin action that reads the store
        next, the service stopping); StoreError if some of it could not be."""
        left = self.write_pending()
        if left:
            raise StoreError(f"writing {left} waiting changes failed: {self.last_error}")

    def write_pending(self) -> int:
        """Write what waits; how many changes were left unwritten."""
        with self._lock:
            mark = self.backlog.queued
            self.backlog.since, self._hurried = None, False
            began = self._writing_since = self._timer()
            try:
                tried, left, error = self._write_all()
            finally:
                self._writing_since, self._in_flight = None, 0
            if tried and self._metrics is not None:
                self._metrics.store_write_seconds.observe(self._timer() - began)
            if left:
                if self.backlog.since is None:  # what is left waits since now, at the latest
                    self.backlog.since = self._timer()
                self._unreachable(error, left)
            else:
                self.written_mark = max(self.written_mark, mark)
                if tried:  # the store answered: it is reachable
                    self._reachable_again()
            self._tell(None)  # a turn ended: its marks, or the store's state, moved
            return left

    def _write_all(self) -> tuple[int, int, BaseException | None]:
        """Take and write every repository's changes: (how many were tried, how many were
        left, why)."""
        try:
            # the last first: the outbox reserves its seqs as it gives its items (a round
            # trip that may fail), before the others give theirs
            taken = [(repository, repository.take()) for repository in reversed(self.repositories)]
        except StoreError as error:
            pending = self.backlog.pending()
            return pending, pending, error.__cause__ or error
        taken.reverse()
        tried, left, error = sum(len(changes) for _, changes in taken), 0, None
        self._in_flight = tried
        self._turn, self._urgent_left = dict(taken), (0, None)
        try:
            self._put_first()  # the radios marked before the turn
            for repository, changes in taken:
                del self._turn[repository]
                if not changes:
                    continue
                if error is not None:  # the store failed already: the rest waits for the retry
                    repository.failed(changes)
                    left += len(changes)
                    continue
                self._writing = repository
                outcome = self._write(
                    repository, changes, lambda r=repository: self._first.setdefault(r, set())
                )
                self._writing = None
                if outcome.retry:
                    left, error = left + len(outcome.retry), outcome.error
        finally:
            self._turn, self._first, self._writing = {}, {}, None
        urgent_left, urgent_error = self._urgent_left
        return tried, left + urgent_left, error or urgent_error

    def _write(self, repository: Buffered, changes: dict, first=None):
        outcome = write_taken(repository, changes, self._count_written, self._answered, first)
        for key, why in outcome.refused:
            log.error("store refused for good %s: %s", repository.describe(key), why)
            self._count("store_changes_refused", 1)
        if outcome.retry:
            self._first_failed = repository.describe(next(iter(outcome.retry)))
        return outcome

    def _put_first(self) -> None:
        """The changes of the radios that messages wait for go before the turn's others:
        in the repository being written, at the head of its next chunk; the rest (in a
        repository not reached yet, or queued since the turn began) written now."""
        if not self._urgent or self._putting_first:
            return
        radios, self._urgent = self._urgent, set()
        now: dict[Buffered, dict] = {}
        for radio in radios:
            for repository, key in self.backlog.radios.documents_of(radio):
                turn = self._turn.get(repository)
                if repository is self._writing and repository.in_flight(key):
                    self._first.setdefault(repository, set()).add(key)
                elif turn is not None and key in turn:
                    now.setdefault(repository, {})[key] = turn.pop(key)
                else:
                    waiting = repository.take_waiting([key])
                    self._in_flight += len(waiting)
                    now.setdefault(repository, {}).update(waiting)
        self._putting_first = True
        try:
            for repository in self.repositories:  # in their order, as a turn writes them
                if changes := now.get(repository):
                    outcome = self._write(repository, changes)
                    if outcome.retry:
                        left, _ = self._urgent_left
                        self._urgent_left = (left + len(outcome.retry), outcome.error)
        finally:
            self._putting_first = False

    def _answered(self) -> None:
        """The store answered a chunk: a long turn of many is not a stall, the messages
        waiting for that chunk may go, and a fleet beat under way goes before the next."""
        self._writing_since = None  # nothing in flight while it gives way
        self._tell(self.backlog.radios.take_landed())
        self.gives_way()
        self._writing_since = self._timer()
        self._put_first()  # the radios marked meanwhile

    def _tell(self, radios: set[str] | None) -> None:
        for listener in self.listeners:
            listener(radios)

    def _count_written(self, written: dict) -> None:
        if self._metrics is None:
            return
        now = self._timer()
        self._metrics.store_documents_written.inc(len(written))
        observe = self._metrics.store_write_delay.observe
        for change in written.values():
            observe(now - change.at)

    def _count(self, name: str, count: int) -> None:
        if self._metrics is not None:
            getattr(self._metrics, name).inc(count)

    def _unreachable(self, error: BaseException | None, left: int) -> None:
        self.failures += 1
        self.last_error = f"{type(error).__name__}: {error}"
        self._count("store_write_failures", 1)
        if self.reachable:
            self.reachable = False
            self.unreachable_since = self._timer()
            what = f"; {left} changes wait, {self._first_failed} first" if left else ""
            log.warning("store unreachable (%s)%s; retrying", self.last_error, what)
        else:
            log.debug("store still unreachable (%s): %d changes wait", self.last_error, left)

    def _reachable_again(self) -> None:
        if not self.reachable:
            log.warning(
                "store reachable again after %.1fs: everything waiting written",
                self._timer() - self.unreachable_since,
            )
        self.reachable = True
        self.unreachable_since = None
        self.failures = 0
        self.last_error = ""
