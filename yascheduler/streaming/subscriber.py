"""The part that listens on `yascheduler` (and the fleet's side channels), and
reconnects with capped exponential backoff (bus.retry_delay) whenever Redis goes away.

It yields only every MESSAGES_PER_TURN messages while it has more to read
(bus.py: the replies to a burst leave together)."""

import logging
from collections.abc import Callable

from . import protocol
from .bus import REDIS_ERRORS, Bus, retry_delay
from yascheduler.support.redact import redact
from yascheduler.support.turns import take_turns

log = logging.getLogger("yascheduler.bus")

MESSAGES_PER_TURN = 100


class Subscriber:
    """The part that listens on `yascheduler`, and reconnects whenever Redis goes away."""

    name = "redis-subscriber"

    def __init__(
        self,
        bus: Bus,
        on_message: Callable[[bytes], None],
        side_channels: dict[str, Callable[[bytes], None]] | None = None,
    ):
        self.bus = bus
        self.on_message = on_message
        self.side_channels = side_channels or {}  # channel -> what hears it (the fleet's)
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
            pubsub.subscribe(*self.side_channels, protocol.INBOX_CHANNEL)
            inbox = protocol.INBOX_CHANNEL.encode()
            for item in take_turns(pubsub.listen(), MESSAGES_PER_TURN):
                if item is None:
                    continue
                if item["type"] == "subscribe" and item["channel"] == inbox:
                    self.bus.subscribed()
                elif item["type"] == "message" and item["channel"] == inbox:
                    self.on_message(item["data"])
                elif item["type"] == "message":
                    self.side_channels[item["channel"].decode()](item["data"])
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
