"""Redis pub/sub: the connection, the state of the subscription, and the publisher.

The subscriber (a part, in support.supervisor's shape; subscriber.py) reconnects
with capped exponential backoff when Redis goes away. The deliveries watcher
(liveness.Streamers) is told how many subscribers each message to a
streamer reached (PUBLISH answers it), which publishes failed, and when the
subscription is back, so that a streamer that missed messages is brought
back in step.

Outgoing messages are queued and sent by the publisher (a part too), which
sends everything queued since its last turn in one pipeline: the
subscriber yields only every subscriber.MESSAGES_PER_TURN messages while it has more
to read, so the replies to a burst of requests leave together, in order, in a
few writes, and a burst of thousands never holds the scheduler loop for
longer than a few milliseconds.

The messages that follow a change of a radio's state (HELD) are sent only
once that radio's changes queued before them are in the store, so that what a
streamer was told survives a crash: a radio's state is its stream (who its
master is), its timeline (which track, from when), its listener sessions and
its song requests taken (store/radio_changes.py), and each held kind must not
overtake it:
- `play`: the track and slot it names are the radio's timeline (a restart
  never sends another track for the same slot), sent to the master its
  stream names, a requested song's request stored as taken (a restart does
  not play it again);
- `radio_started`: the streamer is the radio's master (a restart keeps
  sending it the radio's plays), its sessions of a master taken over closed;
- `radio_stopped`: the radio's stream ended or moved (a restart does not send
  the streamer that radio's plays again), its sessions closed.
A held message about no radio would wait for every change queued before it;
none is sent today. What the web app is told goes through the outbox, stored
first (webapp/outbox.py), and the play history is no streamer's business:
neither holds a message. The publisher takes each one's mark from the store
writer (the barrier) as it first sees it, after the turn that published it,
which queued that turn's writes, has ended (a play decided ahead takes its mark
as it is queued: its segment was queued in an earlier event, and that its own
event sent it is not written but told by the instance's send marks, which wait
for it to be published: fleet/send_marks.py; each is also recorded in Redis by
the transaction that publishes it: streaming/sent_record.py); it holds them, in
order per radio, until the barrier passes that mark (as soon as the chunk of the
bulk write that holds the radio's change has landed), and hurries the writer
meanwhile (what waits is written at once, not write_delay later). A message about
a radio whose state is stored already goes at once. The messages of one radio keep
their order; those of different radios may overtake one another (a radio whose
stream is written first is told first). The barrier holds nothing while the
store is known unreachable: the service runs from memory, and what is sent then
is counted (`sent_unstored`). The others (test replies, pings,
user_authentication answers, radio_unknown, radio_exists) change nothing and go
at once. A `play`'s `delay` and `offset` are computed as it is sent, from the
absolute times of its PlayCommand.

Among several instances a `play` goes only while this instance may send for its radio
(`sends_play_of`). One released while the radio's lease here is overdue for renewal but
not expired (`keeps_for`: a slow store, a pause) is kept, in order, and goes once a
beat renews the lease; at the lease's expiry, or once the renewal is refused, it is
dropped (logged, counted: `dropped_not_owned`): a stale owner sends no play once
another may have taken the radio (fleet/overdue.py keeps the incoming messages the
same way). `radio_started` and `radio_stopped` answer a request this instance acted on
while it owned the radio, and go whatever: dropped at an expiry, the streamer that
asked would never hear (301 radios never started in a failover run that did).
"""

import logging
import socket
from collections import deque
from collections.abc import Callable
from typing import NamedTuple, Protocol

import gevent
import gevent.event

from . import protocol, sent_record
from yascheduler.programming import PlayCommand
from yascheduler.support.freed_memory import collector_paused
from yascheduler.support.metrics import Metrics
from yascheduler.support.redact import redact
from yascheduler.support.redis_client import REDIS_AWAY, redis_client

log = logging.getLogger("yascheduler.bus")

FIRST_RETRY = 0.1
# short: a streamer that resubscribed first is brought in step once we are back (PROTOCOL.md)
MAX_RETRY = 0.5
# including a Sentinel-managed master being replaced (redis_client.py)
REDIS_ERRORS = REDIS_AWAY
# TCP keepalive: probe after 5 s of silence, every 2 s, give up after 3 unanswered probes
KEEPALIVE = {socket.TCP_KEEPIDLE: 5, socket.TCP_KEEPINTVL: 2, socket.TCP_KEEPCNT: 3}
HELD = frozenset({"play", "radio_started", "radio_stopped"})
# while messages are held: how often the publisher looks again, whatever it is told
HOLD_CHECK = 0.25


class Outgoing(NamedTuple):
    streamer: str
    kind: str
    payload: bytes | None  # None for a play, encoded when sent
    play: tuple[str, PlayCommand] | None = None  # (radio uuid, command)
    radio: str | None = None  # the radio it is about, if any
    queued_at: float = 0.0  # a play's: when the engine queued it (its hold is measured)
    mark: object = None  # a play decided ahead's: taken as it was queued
    due_at: float | None = None  # a play decided ahead's: when its send was due


class Barrier(Protocol):
    """The store writer, as the publisher waits on it (store.writer.Writer)."""

    def mark(self, radio: str | None) -> object:
        """What a message about `radio` (None: about none) waits for: the radio's changes
        queued so far (every change queued so far)."""

    def stored(self, mark) -> bool:
        """True once the changes `mark` names are in the store."""

    def holds(self, mark) -> bool:
        """True while changes `mark` names wait and the store is writing them."""

    def hurry(self) -> None:
        """A message waits: write what is queued now."""

    def answers(self) -> bool:
        """The store is reachable (while not, nothing is held)."""


class Deliveries(Protocol):
    """Told what became of the messages to streamers (streamers.Streamers)."""

    def delivered(self, streamer: str, kind: str, receivers: int) -> None: ...

    def undelivered(self, streamers: set[str]) -> None: ...

    def resubscribed(self) -> None: ...


def retry_delay(attempt: int, first: float = FIRST_RETRY, cap: float = MAX_RETRY) -> float:
    """Seconds to wait before reconnection attempt number `attempt` (0-based)."""
    return min(cap, first * 2**attempt)


class Bus:
    """The connection to Redis, the state of the subscription, and the outgoing queue."""

    def __init__(self, url: str, metrics: Metrics, clock):
        self.url = url
        self.metrics = metrics
        self.clock = clock
        self.deliveries: Deliveries | None = None
        self.client = redis_client(
            url,
            socket_connect_timeout=2,
            socket_keepalive=True,
            # a peer gone without a word (a machine lost) is found out in about 11 s, not
            # after the system's two hours: the subscriber's read then fails and it moves on
            socket_keepalive_options=KEEPALIVE,
        )
        self.connected = False
        self.connected_since: float | None = None
        self.subscriptions = 0
        self._outgoing: list[Outgoing] = []
        # radio uuid (None: about no radio) -> its messages held, in order, with their marks
        self._held: dict[str | None, deque[tuple[object, Outgoing]]] = {}
        self._recheck: set[str | None] = set()  # held radios whose writes have landed
        self._recheck_all = False
        self._holding = 0
        self._publishing: list[Outgoing] | tuple = ()  # the batch being published
        self.barrier: Barrier | None = None
        self.queued = gevent.event.Event()
        # among several instances: a play goes only while this one owns its radio (a
        # paused instance, back, sends nothing for a radio another took meanwhile)
        self.sends_play_of: Callable[[str], bool] = lambda radio_uuid: True
        # ... and one that may not go yet is kept while its radio's lease is overdue
        self.keeps_for: Callable[[str], bool] = lambda radio_uuid: False
        self._kept: list[Outgoing] = []  # plays kept for an overdue lease, in order

    def publish(self, streamer: str, message: dict) -> None:
        """Queue one message to a streamer; the publisher sends it."""
        encoded = protocol.encode(message)
        self._outgoing.append(
            Outgoing(streamer, message["type"], encoded, radio=message.get("radio_uuid"))
        )
        self.queued.set()

    def play(
        self, streamer: str, radio_uuid: str, command: PlayCommand, due_at: float | None = None
    ) -> None:
        """Queue a play (`due_at`: decided ahead, due then); its delay and offset are those
        of the moment it is sent."""
        decided_ahead = due_at is not None
        mark = self.barrier.mark(radio_uuid) if decided_ahead and self.barrier else None
        at = self.clock.now()
        self._outgoing.append(
            Outgoing(streamer, "play", None, (radio_uuid, command), radio_uuid, at, mark, due_at)
        )
        self.queued.set()

    def unsent_decided_ahead(self):
        """(radio uuid, due at) of each play decided ahead not published yet: queued, held
        for its state, or kept for its lease (fleet/send_marks.py)."""
        held = (message for queue in self._held.values() for _, message in queue)
        for message in (*self._outgoing, *self._publishing, *held, *self._kept):
            if message.due_at is not None:
                yield message.radio, message.due_at

    def holding(self) -> int:
        """How many messages wait for their state to be stored."""
        return self._holding

    def store_moved_on(self, radios: set[str] | None = None) -> None:
        """The barrier moved: the writes of these radios landed (None: a write turn ended,
        or the store's state changed: any held message may go)."""
        if not self._held:
            return
        if radios is None:
            self._recheck_all = True
        else:
            self._recheck.update(radios)
            self._recheck.add(None)  # a message about no radio waits for the whole mark
        self.queued.set()

    def flush(self, final: bool = False) -> None:
        """Send everything that may go (`final`: everything), in one pipeline; if Redis is
        unreachable it is lost (logged)."""
        batch = self._allowed(self._kept + self._ready(final))
        # from a play's delay computed to its bytes sent, no collection: one there (a full
        # one takes 0.3-0.5 s at 100,000 radios) shifted the start the streamer heard
        with collector_paused():
            now = self.clock.now()
            batch = self._unended(batch, now)
            receivers = self._publish(batch, now) if batch else None
        if receivers is None:
            return
        for message, count in zip(batch, receivers):
            self.metrics.sent[message.kind] += 1
            if message.play is not None:
                self.metrics.play_hold.observe(now - message.queued_at)
            if not count:
                self.metrics.unreceived[message.kind] += 1
            if self.deliveries is not None:
                self.deliveries.delivered(message.streamer, message.kind, count)

    def _publish(self, batch: list[Outgoing], now: float) -> list[int] | None:
        """Publish the batch, its plays' delays and offsets those of `now`, and record its
        plays decided ahead in the same transaction; how many received each, None if Redis
        could not be reached."""
        ahead = [(m.radio, m.play[1].starts_at) for m in batch if m.due_at is not None]
        pipeline = self.client.pipeline(transaction=bool(ahead))  # both or neither
        for message in batch:
            pipeline.execute_command(
                "PUBLISH", protocol.streamer_channel(message.streamer), _payload(message, now)
            )
        sent_record.record(pipeline, ahead)
        self._publishing = batch
        try:
            return pipeline.execute()[: len(batch)]
        except REDIS_ERRORS as exc:
            self.metrics.publish_failures.inc(len(batch))
            log.warning("could not send %d messages (%s ...): %s", len(batch), batch[0].kind, exc)
            if self.deliveries is not None:
                self.deliveries.undelivered({message.streamer for message in batch})
            return None
        finally:
            self._publishing = ()

    def kept(self) -> int:
        """How many plays wait for their radio's overdue lease to be renewed."""
        return len(self._kept)

    def _allowed(self, messages: list[Outgoing]) -> list[Outgoing]:
        """The messages this instance may send now; the plays of a radio whose lease here
        is overdue kept for later, those of a radio no longer its own dropped."""
        kept, self._kept = self._kept, []
        allowed, dropped, keeping = [], 0, set()  # keeping: radios with a play kept
        for message in messages:
            if message.play is None:  # behind a play of its radio kept, if any: in order
                (self._kept if message.radio in keeping else allowed).append(message)
            elif self.sends_play_of(message.radio):
                allowed.append(message)
            elif self.keeps_for(message.radio):
                self._kept.append(message)
                keeping.add(message.radio)
            else:
                dropped += 1
        if self._kept and not kept:
            log.warning("leases overdue: %d messages kept until renewed", len(self._kept))
        if dropped:
            self.metrics.dropped_not_owned["play"] += dropped
            log.warning("dropped %d plays of radios no longer owned here", dropped)
        return allowed

    def _unended(self, messages: list[Outgoing], now: float) -> list[Outgoing]:
        """The messages less the plays whose file ended while they waited (a join's answer
        held for its master's write): the streamer would play nothing of one, and the
        radio's next play, queued behind it, goes instead, from the offset reached."""
        unended = [m for m in messages if m.play is None or m.play[1].ends_at > now]
        if len(unended) < len(messages):
            self.metrics.ended_unsent["play"] += len(messages) - len(unended)
        return unended

    def _ready(self, final: bool) -> list[Outgoing]:
        """What may be sent now: the messages that change nothing, and those held whose
        radio's state is stored (or cannot be: the store does not answer)."""
        batch, self._outgoing = self._outgoing, []
        barrier = self.barrier
        if barrier is None:
            return batch
        ready = []
        for message in batch:
            if message.kind in HELD:
                mark = barrier.mark(message.radio) if message.mark is None else message.mark
                self._hold(mark, message)
                self._recheck.add(message.radio)  # a join whose state is stored goes now
            else:
                ready.append(message)
        # only the radios whose writes landed, not every one holding a message: at
        # 100,000 radios joining at once that scan was most of the service's time
        everything = final or self._recheck_all or not barrier.answers()
        radios = list(self._held) if everything else self._recheck & self._held.keys()
        self._recheck, self._recheck_all = set(), False
        for radio in radios:
            held = self._held[radio]
            while held and (final or not barrier.holds(held[0][0])):
                mark, message = held.popleft()
                if not barrier.stored(mark):
                    self.metrics.sent_unstored[message.kind] += 1
                ready.append(message)
                self._holding -= 1
            if not held:
                del self._held[radio]
        if self._held:
            barrier.hurry()
        return ready

    def _hold(self, mark, message: Outgoing) -> None:
        held = self._held.get(message.radio)
        if held is None:
            held = self._held[message.radio] = deque()
        held.append((mark, message))
        self._holding += 1

    def subscribed(self) -> None:
        self.connected = True
        self.connected_since = self.clock.now()
        self.subscriptions += 1
        log.info("subscribed to %s on %s", protocol.INBOX_CHANNEL, redact(self.url))
        if self.subscriptions > 1:
            self.metrics.redis_reconnects.inc()
            if self.deliveries is not None:
                self.deliveries.resubscribed()

    def disconnected(self) -> None:
        self.connected = False
        self.connected_since = None

    def close(self) -> None:
        self.client.close()


class Publisher:
    """The part that sends what is queued (support.supervisor's shape)."""

    name = "redis-publisher"

    def __init__(self, bus: Bus):
        self.bus = bus
        self.wakeup = bus.queued

    def loop(self) -> float | None:
        self.wakeup.clear()
        self.bus.flush()
        # until more is queued, or the store writer moves on (it says so)
        return HOLD_CHECK if self.bus.holding() or self.bus.kept() else None


def _payload(message: Outgoing, now: float) -> bytes:
    if message.play is None:
        return message.payload
    radio_uuid, command = message.play
    return protocol.encode(
        protocol.play(
            radio_uuid,
            command.filename,
            command.delay_at(now),
            command.offset_at(now),
            command.crossfade,
        )
    )
