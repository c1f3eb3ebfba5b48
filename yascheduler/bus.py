"""Redis pub/sub: the subscription to `yascheduler` and the publisher.

The subscriber greenlet reconnects with capped exponential backoff when
Redis goes away, and tells the service each time it is subscribed again,
so that streamers that missed messages can be brought back in step.
"""

import logging
from collections.abc import Callable

import gevent
import redis

from . import protocol
from .metrics import Metrics
from .redact import redact

log = logging.getLogger("yascheduler.bus")

FIRST_RETRY = 0.1
MAX_RETRY = 1.0
REDIS_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)


def retry_delay(attempt: int, first: float = FIRST_RETRY, cap: float = MAX_RETRY) -> float:
    """Seconds to wait before reconnection attempt number `attempt` (0-based)."""
    return min(cap, first * 2**attempt)


class Bus:
    def __init__(
        self,
        url: str,
        metrics: Metrics,
        on_message: Callable[[bytes], None],
        on_resubscribed: Callable[[], None],
        clock,
    ):
        self.url = url
        self.metrics = metrics
        self.clock = clock
        self.on_message = on_message
        self.on_resubscribed = on_resubscribed
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_keepalive=True)
        self.connected = False
        self.connected_since: float | None = None
        self.subscriptions = 0

    def publish(self, streamer: str, message: dict) -> bool:
        """Send one message to a streamer; False (logged, counted) if Redis is unreachable."""
        try:
            self.client.publish(protocol.streamer_channel(streamer), protocol.encode(message))
        except REDIS_ERRORS as exc:
            self.metrics.publish_failures.inc()
            log.warning("could not send %s to %s: %s", message["type"], streamer, exc)
            return False
        self.metrics.sent.labels(message["type"]).inc()
        return True

    def run(self) -> None:
        """The subscriber greenlet: listen, and reconnect whenever Redis goes away."""
        attempt = 0
        while True:
            try:
                self._listen()
            except REDIS_ERRORS as exc:
                self._disconnected()
                wait = retry_delay(attempt)
                log.warning(
                    "redis %s unreachable (%s); retrying in %.1fs",
                    redact(self.url), exc, wait,
                )
                attempt += 1
                gevent.sleep(wait)
            else:
                attempt = 0

    def _listen(self) -> None:
        pubsub = self.client.pubsub()
        try:
            pubsub.subscribe(protocol.INBOX_CHANNEL)
            for item in pubsub.listen():
                if item is None:
                    continue
                if item["type"] == "subscribe":
                    self._subscribed()
                elif item["type"] == "message":
                    self.on_message(item["data"])
        finally:
            pubsub.close()

    def _subscribed(self) -> None:
        self.connected = True
        self.connected_since = self.clock.now()
        self.subscriptions += 1
        log.info("subscribed to %s on %s", protocol.INBOX_CHANNEL, redact(self.url))
        if self.subscriptions > 1:
            self.metrics.redis_reconnects.inc()
            self.on_resubscribed()

    def _disconnected(self) -> None:
        self.connected = False
        self.connected_since = None

    def close(self) -> None:
        self.client.close()
