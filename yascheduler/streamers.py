"""The live streamers: registration, and liveness by ping/pong.

Each registered streamer has a ping greenlet. It sends `ping` every
interval; a streamer that has shown no sign of life since the previous
ping is dead, and the service drops it. A sign of life is any message
naming the streamer, not only `pong`.
"""

import logging
from collections.abc import Callable

import gevent

from . import models, protocol

log = logging.getLogger("yascheduler.streamers")

ALIVE, MISSING = "alive", "missing"
# of the ping interval: time for a pong to come back before a quiet streamer shows as missing
PONG_GRACE = 0.25


def missed_ping(last_seen_at: float, ping_sent_at: float) -> bool:
    """True when nothing was heard from the streamer since the ping was sent."""
    return last_seen_at < ping_sent_at


class Streamers:
    def __init__(
        self,
        clock,
        bus,
        ping_interval: float,
        spawn: Callable[..., gevent.Greenlet],
        on_dead: Callable[[str, str], None],
    ):
        self.clock = clock
        self.bus = bus
        self.ping_interval = ping_interval
        self.spawn = spawn
        self.on_dead = on_dead
        self.last_seen: dict[str, float] = {}
        self.pingers: dict[str, gevent.Greenlet] = {}

    def load(self) -> None:
        """Take back the streamers registered before a restart, with a fresh chance to answer."""
        now = self.clock.now()
        for streamer in models.Streamer.objects.only("name"):
            self.last_seen[streamer.name] = now
            self._start_pinging(streamer.name)

    def is_registered(self, name: str) -> bool:
        return name in self.last_seen

    def names(self) -> list[str]:
        return sorted(self.last_seen)

    def count(self) -> int:
        return len(self.last_seen)

    def register(self, name: str) -> None:
        now = self.clock.now()
        # Stored first: if the store fails, the streamer is not half-registered in memory.
        models.Streamer.objects(name=name).update_one(
            upsert=True, set__registered_at=now, set__last_seen_at=now
        )
        self.last_seen[name] = now
        self._start_pinging(name)
        log.info("streamer %s registered", name)

    def unregister(self, name: str) -> None:
        self.last_seen.pop(name, None)
        models.Streamer.objects(name=name).delete()
        pinger = self.pingers.pop(name, None)
        if pinger is not None and pinger is not gevent.getcurrent():
            pinger.kill(block=False)

    def seen(self, name: str) -> None:
        if name in self.last_seen:
            self.last_seen[name] = self.clock.now()

    def pong(self, name: str) -> None:
        if name in self.last_seen:
            now = self.clock.now()
            self.last_seen[name] = now
            models.Streamer.objects(name=name).update_one(set__last_seen_at=now)

    def liveness(self, name: str) -> str | None:
        """alive: heard from within the ping interval (and the pong's way back); else missing.

        A missing streamer is still registered: it is dropped when its ping
        goes unanswered. None for a streamer that is not registered.
        """
        last_seen = self.last_seen.get(name)
        if last_seen is None:
            return None
        quiet = self.clock.now() - last_seen
        return ALIVE if quiet <= self.ping_interval * (1 + PONG_GRACE) else MISSING

    def view(self, name: str) -> dict:
        return {"streamer": name, "last_seen_at": self.last_seen.get(name)}

    def _start_pinging(self, name: str) -> None:
        if name not in self.pingers:
            self.pingers[name] = self.spawn(self._ping_loop, name)

    def _ping_loop(self, name: str) -> None:
        while self.is_registered(name):
            sent_at = self.clock.now()
            self.bus.publish(name, protocol.PING)
            gevent.sleep(self.ping_interval)
            if not self.is_registered(name):
                break
            if missed_ping(self.last_seen[name], sent_at) and self._redis_was_up_since(sent_at):
                silence = self.clock.now() - self.last_seen[name]
                log.warning("streamer %s dropped: no pong for %.1fs", name, silence)
                self.pingers.pop(name, None)
                self.on_dead(name, f"no pong for {silence:.1f}s")
                return
        self.pingers.pop(name, None)

    def _redis_was_up_since(self, when: float) -> bool:
        """A pong lost to a Redis outage is no proof of death."""
        return (
            self.bus.connected
            and self.bus.connected_since is not None
            and (self.bus.connected_since <= when)
        )
