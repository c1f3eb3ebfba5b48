"""The live streamers: registration, and liveness by ping/pong and by delivery.

Redis PUBLISH answers how many subscribers received the message, and the
bus tells this module that count for every message to a streamer. Each
registered streamer is in one of these states:

- alive: heard from lately;
- missing: a ping reached it (the count was above 0) and it has not
  answered yet; unanswered by the next ping, it is dead;
- unreachable: a publish to it reached nobody (it is not subscribed: it
  is reconnecting, or gone); dead only after `unreachable_timeout`.

A streamer that surely missed messages (a publish reached nobody) is
brought back in step the moment a publish reaches it again; one that may
have missed some (Redis failed a publish, or our own subscription came
back) when it next answers a ping (PROTOCOL.md: a count above 0 may be
another pattern subscriber's). Until then it is probed every
PROBE_INTERVAL, and after such an outage one unanswered ping is forgiven:
its first message out is usually lost. While Redis itself is away nobody
is pinged, and nobody is dropped.

One loop (`run`) sends every ping and finds the dead; the others only
record what they saw. Among several instances, each pings, and finds dead,
only the streamers it `owns` (the holder of the streamer's shard): the others
learn of a death from it (app/fleet.py).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING


from . import protocol

if TYPE_CHECKING:
    from yascheduler.store.streamers import StoredStreamers

log = logging.getLogger("yascheduler.streamers")

ALIVE, MISSING, UNREACHABLE = "alive", "missing", "unreachable"
# of the ping interval: time for a pong to come back before a quiet streamer shows as missing
PONG_GRACE = 0.25
# seconds between probes of a streamer that is unreachable or may be behind
PROBE_INTERVAL = 0.25
MISSED = "missed"  # a publish reached nobody: it missed messages
LOST = "lost"  # a publish failed, or the subscription came back: it may have missed some


@dataclass(slots=True, eq=False)
class Peer:
    name: str
    last_seen: float
    next_ping_at: float
    awaiting_since: float | None = None  # a ping reached it then; unanswered since
    unreachable_since: float | None = None  # publishes reach nobody since then
    behind: str | None = None  # MISSED or LOST: its radios are to be brought back in step
    forgiven: int = 0  # unanswered pings still forgiven, after an outage
    heard: int = 0  # messages seen from it so far
    heard_at_ping: int = -1  # `heard` when the last ping was queued


class Streamers:
    def __init__(
        self,
        clock,
        bus,
        store: "StoredStreamers",
        ping_interval: float,
        unreachable_timeout: float,
        on_dead: Callable[[str, str], None],
        on_back: Callable[[str], None],
    ):
        self.clock = clock
        self.bus = bus
        self._store = store
        self.ping_interval = ping_interval
        self.unreachable_timeout = unreachable_timeout
        self.on_dead = on_dead
        self.on_back = on_back
        self.peers: dict[str, Peer] = {}
        self.tick_seconds = min(PROBE_INTERVAL, ping_interval / 2)
        self.owns: Callable[[str], bool] = lambda name: True  # the streamers this one pings

    def load(self) -> None:
        """Take back the streamers registered before a restart, with a fresh chance to answer."""
        now = self.clock.now()
        for name in self._store.names():
            self.peers[name] = Peer(name, now, now)

    # --- what the handlers tell ---------------------------------------------------------

    def is_registered(self, name: str) -> bool:
        return name in self.peers

    def is_live(self, name: str) -> bool:
        """Registered, and the last publish to it reached a subscriber."""
        peer = self.peers.get(name)
        return peer is not None and peer.unreachable_since is None

    def names(self) -> list[str]:
        return sorted(self.peers)

    def count(self) -> int:
        return len(self.peers)

    def register(self, name: str) -> None:
        now = self.clock.now()
        # Queued for the store first: without a store writer the write is at once, and if
        # it fails the streamer is not half-registered in memory.
        self._store.register(name, now)
        self.peers[name] = Peer(name, now, now)
        log.info("streamer %s registered", name)

    def unregister(self, name: str) -> None:
        self.peers.pop(name, None)
        self._store.remove(name)

    def seen(self, name: str) -> None:
        """Any message naming the streamer is a sign of life."""
        peer = self.peers.get(name)
        if peer is not None:
            peer.last_seen = self.clock.now()
            peer.awaiting_since = None
            peer.heard += 1

    def pong(self, name: str) -> None:
        peer = self.peers.get(name)
        if peer is None:
            return
        self.seen(name)
        self._store.seen(name, peer.last_seen)
        if peer.behind is not None:  # it hears us again: whatever it missed, it gets now
            self._catch_up(peer)

    # --- what the bus tells ---------------------------------------------------------------

    def delivered(self, name: str, kind: str, receivers: int) -> None:
        """A publish to the streamer reached `receivers` subscribers."""
        peer = self.peers.get(name)
        if peer is None:
            return
        if receivers == 0:
            self._unreachable(peer, kind)
            return
        if peer.unreachable_since is not None:
            log.info(
                "streamer %s reachable again after %.1fs",
                name,
                self.clock.now() - peer.unreachable_since,
            )
            peer.unreachable_since = None
            peer.forgiven = 1  # its first message out is usually lost
        # awaited from now, unless it answered already: its pong may be read before the
        # count of the publish comes back (a busy process reads both sockets at once)
        if kind == "ping" and peer.awaiting_since is None and peer.heard == peer.heard_at_ping:
            peer.awaiting_since = self.clock.now()
        if peer.behind == MISSED:
            self._catch_up(peer)

    def _unreachable(self, peer: Peer, kind: str) -> None:
        if peer.unreachable_since is None:
            peer.unreachable_since = self.clock.now()
            log.warning("streamer %s unreachable: a %s reached no subscriber", peer.name, kind)
        peer.behind = MISSED
        peer.awaiting_since = None  # not subscribed: it could not have answered

    def undelivered(self, names) -> None:
        """Publishes to these streamers failed (Redis away): they may have missed them."""
        for name in names:
            peer = self.peers.get(name)
            if peer is not None:
                self._may_be_behind(peer)

    def resubscribed(self) -> None:
        """Our subscription came back: anyone may have missed messages; probe everyone now."""
        now = self.clock.now()
        for peer in self.peers.values():
            self._may_be_behind(peer)
            peer.awaiting_since = None  # pongs lost while Redis was away prove nothing
            peer.next_ping_at = now

    def _may_be_behind(self, peer: Peer) -> None:
        peer.behind = peer.behind or LOST
        peer.forgiven = 1

    def _catch_up(self, peer: Peer) -> None:
        peer.behind = None
        log.info("streamer %s back: its radios brought back in step", peer.name)
        self.on_back(peer.name)

    # --- the loop -------------------------------------------------------------------------

    name = "liveness"  # as a part of the service (support.supervisor)

    def loop(self) -> float:
        """One turn: pings and probes as they fall due, and the dead dropped."""
        self.tick()
        return self.tick_seconds

    def tick(self) -> None:
        if not self.bus.connected:
            return  # Redis is away: a ping could not go, a pong could not come
        now = self.clock.now()
        for peer in list(self.peers.values()):
            if not self.owns(peer.name):
                continue
            why = self._death(peer, now)
            if why is not None:
                self._drop(peer, why)
            elif now >= peer.next_ping_at:
                self.bus.publish(peer.name, protocol.PING)
                peer.heard_at_ping = peer.heard
                probing = peer.behind is not None or peer.unreachable_since is not None
                peer.next_ping_at = now + (self.tick_seconds if probing else self.ping_interval)

    def _death(self, peer: Peer, now: float) -> str | None:
        """Why the streamer is dead, or None while it is not."""
        if peer.awaiting_since is not None and now - peer.awaiting_since >= self.ping_interval:
            if peer.forgiven:
                peer.forgiven -= 1
                peer.awaiting_since = None
                log.info("streamer %s: a ping after an outage went unanswered, forgiven", peer.name)
                return None
            return f"no pong for {now - peer.last_seen:.1f}s"
        if (
            peer.unreachable_since is not None
            and now - peer.unreachable_since >= self.unreachable_timeout
        ):
            return f"unreachable for {now - peer.unreachable_since:.1f}s"
        return None

    def _drop(self, peer: Peer, why: str) -> None:
        if self.peers.get(peer.name) is not peer:
            return  # dropped, or registered anew, while others had a turn
        log.warning("streamer %s dropped: %s", peer.name, why)
        self.on_dead(peer.name, why)

    # --- what the HTTP API shows ------------------------------------------------------------

    def liveness(self, name: str) -> str | None:
        """alive, missing or unreachable (see the module docstring); None if not registered."""
        peer = self.peers.get(name)
        if peer is None:
            return None
        if peer.unreachable_since is not None:
            return UNREACHABLE
        quiet = self.clock.now() - peer.last_seen
        return ALIVE if quiet <= self.ping_interval * (1 + PONG_GRACE) else MISSING

    def last_seen(self, name: str) -> float | None:
        peer = self.peers.get(name)
        return None if peer is None else peer.last_seen
