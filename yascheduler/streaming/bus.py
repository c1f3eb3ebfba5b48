"""Redis pub/sub: the subscription to `yascheduler` and the publisher.

The subscriber (a part, in support.supervisor's shape) reconnects with
capped exponential backoff when Redis goes away. The deliveries watcher
(liveness.Streamers) is told how many subscribers each message to a
streamer reached (PUBLISH answers it), which publishes failed, and when the
subscription is back, so that a streamer that missed messages is brought
back in step.

Outgoing messages are queued and sent by the publisher (a part too), which
sends everything queued since its last turn in one pipeline: the
subscriber yields only every MESSAGES_PER_TURN messages while it has more
to read, so the replies to a burst of requests leave together, in order, in a
few writes, and a burst of thousands never holds the scheduler loop for
longer than a few milliseconds.
"""

import logging
import socket
from collections.abc import Callable
from typing import Protocol

import gevent
import gevent.event

from . import protocol
from yascheduler.support.metrics import Metrics
from yascheduler.support.redact import redact
from yascheduler.support.redis_client import REDIS_AWAY, redis_client
from yascheduler.support.turns import take_turns

log = logging.getLogger("yascheduler.bus")

FIRST_RETRY = 0.1
# short: a streamer that resubscribed first is brought in step once we are back (PROTOCOL.md)
MAX_RETRY = 0.5
# including a Sentinel-managed master being replaced (redis_client.py)
REDIS_ERRORS = REDIS_AWAY
MESSAGES_PER_TURN = 100
# TCP keepalive: probe after 5 s of silence, every 2 s, give up after 3 unanswered probes
KEEPALIVE = {socket.TCP_KEEPIDLE: 5, socket.TCP_KEEPINTVL: 2, socket.TCP_KEEPCNT: 3}


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
        self._outgoing: list[tuple[str, bytes, str]] = []  # (streamer, payload, type)
        self.queued = gevent.event.Event()

    def publish(self, streamer: str, message: dict) -> None:
        """Queue one message to a streamer; the publisher sends it."""
        self._outgoing.append((streamer, protocol.encode(message), message["type"]))
        self.queued.set()

    def flush(self) -> None:
        """Send everything queued, in one pipeline; if Redis is unreachable it is lost (logged)."""
        batch, self._outgoing = self._outgoing, []
        if not batch:
            return
        pipeline = self.client.pipeline(transaction=False)
        for streamer, payload, _ in batch:
            pipeline.execute_command("PUBLISH", protocol.streamer_channel(streamer), payload)
        try:
            receivers = pipeline.execute()
        except REDIS_ERRORS as exc:
            self.metrics.publish_failures.inc(len(batch))
            log.warning("could not send %d messages (%s ...): %s", len(batch), batch[0][2], exc)
            if self.deliveries is not None:
                self.deliveries.undelivered({streamer for streamer, _, _ in batch})
            return
        for (streamer, _, kind), count in zip(batch, receivers):
            self.metrics.sent[kind] += 1
            if not count:
                self.metrics.unreceived[kind] += 1
            if self.deliveries is not None:
                self.deliveries.delivered(streamer, kind, count)

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

    def loop(self) -> None:
        self.wakeup.clear()
        self.bus.flush()
        return None  # until more is queued


class Subscriber:
    """The part that listens on `yascheduler`, and reconnects whenever Redis goes away."""

    name = "redis-subscriber"

    def __init__(self, bus: Bus, on_message: Callable[[bytes], None]):
        self.bus = bus
        self.on_message = on_message
        self._attempt = 0
        self._pubsub = None

    def loop(self) -> float:
        """One subscription, until Redis goes away; the wait before the next."""
        try:
            self._listen()
        except REDIS_ERRORS as exc:
            self.bus.disconnected()
            wait = retry_delay(self._attempt)
            log.warning(
                "redis %s unreachable (%s); retrying in %.1fs", redact(self.bus.url), exc, wait
            )
            self._attempt += 1
            return wait
        self._attempt = 0
        return 0

    def _listen(self) -> None:
        self._pubsub = pubsub = self.bus.client.pubsub()
        try:
            pubsub.subscribe(protocol.INBOX_CHANNEL)
            for item in take_turns(pubsub.listen(), MESSAGES_PER_TURN):
                if item is None:
                    continue
                if item["type"] == "subscribe":
                    self.bus.subscribed()
                elif item["type"] == "message":
                    self.on_message(item["data"])
        finally:
            self._pubsub = None
            pubsub.close()

    def stop_taking_work(self) -> None:
        """Unsubscribe: the message in hand is handled, no other is read."""
        pubsub = self._pubsub
        if pubsub is not None:
            try:
                pubsub.unsubscribe()
            except REDIS_ERRORS:
                pass  # Redis is away: nothing more can come
