"""Rebalancing radio by radio, on the bus: the part that hands each radio of a shard
given back over at its safe moment (fleet/handover.py), and what both sides do
with the messages told on FLEET_CHANNEL.

Every instance reads `yascheduler` and FLEET_CHANNEL on one pub/sub connection,
so Redis gives each the same order of both. The giver tells `radios_handed`
(radios, to, and the shards' epochs): the radio's messages read before it are
the giver's to answer, those after it the next owner's (fleet/dispatch.py). The
giver, reading it back, stops programming those radios at once, stores what they
changed, sends their last plays, then tells `radios_released`; the next owner
holds their messages back from `radios_handed` on, loads the radios from the
store at `radios_released`, acts on what it held in order, then programs them
(its writes fenced by the shard's new epoch: a late write of the giver is
refused). Once every radio of a shard has gone, the giver transfers its lease in
the store and tells `shards_handed`: from there on in the messages the shard is
the next owner's.
"""

import logging
from collections import deque

import gevent
import gevent.event

from yascheduler.fleet.handover import RadiosByShard, going_now
from yascheduler.fleet.ownership import shard_of
from yascheduler.support.errors import StoreError

log = logging.getLogger("yascheduler.fleet")

HANDOVER_KINDS = frozenset({"radios_handed", "radios_released", "shards_handed"})
CHECK = 0.2  # seconds between looks for safe moments while a handover runs
# radios told in one `radios_handed`: at the share-out of 100,000 radios over 2, one
# message of 50,000 (2 MB), each instance decoding it whole while its other parts waited
TELL_AT_ONCE = 2000


class RadioHandover:
    name = "fleet-handover"

    def __init__(self, fleet):
        self.fleet = fleet
        self.membership = fleet.membership
        self.handovers = fleet.membership.handovers
        self.instance_id = fleet.instance_id
        self.wakeup = gevent.event.Event()
        self.membership.on_handing = self.wakeup.set
        self._held: deque[dict] = deque()  # messages for radios handed here, not loaded yet
        self._released: list[str] = []  # radios released here, for the next load
        self._loader: gevent.Greenlet | None = None
        self._programmed = RadiosByShard()

    # --- the giver ------------------------------------------------------------------

    def loop(self) -> float | None:
        self.wakeup.clear()
        if self.handovers.incoming:  # how long the radios handed here count, kept fresh
            try:
                self.handovers.refresh()
            except StoreError as error:  # they stop counting as the giver's lease would
                log.warning("fleet: shards handed here not read: %s", error)
        outgoing = self.handovers.outgoing
        if not outgoing:
            return CHECK if self.handovers.incoming else None
        if not self.fleet.service.repositories.radio_inserts.stored.is_set():
            # the radios imported at start-up are written behind: the next owner reads a
            # radio handed from the store, so none goes before they are all there
            return CHECK
        programmer = self.fleet.service.programmer
        now = self.membership.clock.now()
        listing = programmer.radio_uuids()
        going: dict[str, list[str]] = {}
        done = []
        for shard, handing in outgoing.items():
            if handing.transferred:
                continue
            radios = self._programmed.of(listing, shard)
            left, forced = handing.to_tell(radios, now, self.membership.live)
            if go := going_now(left, programmer.next_event, now, forced):
                going.setdefault(handing.to, []).extend(go)
            elif not left and handing.settled():
                done.append(shard)
        for to, radios_going in going.items():
            self._announce(to, radios_going)
        if done:
            self._transfer(done)
        return CHECK

    def _announce(self, to: str, radios: list[str]) -> None:
        for start in range(0, len(radios), TELL_AT_ONCE):
            self._tell_handed(to, radios[start : start + TELL_AT_ONCE])

    def _tell_handed(self, to: str, radios: list[str]) -> None:
        outgoing, leases = self.handovers.outgoing, self.membership.leases
        # a shard lost or handed away by a beat while an earlier message was published
        radios = [r for r in radios if shard_of(r) in outgoing and shard_of(r) in leases]
        if not radios:
            return
        shards = {shard_of(radio) for radio in radios}
        told = {str(s): [leases[s].epoch, leases[s].expires_at] for s in shards}
        event = {"type": "radios_handed", "to": to, "radios": radios, "shards": told}
        for radio in radios:  # before it is told: it may be read back before PUBLISH answers
            outgoing[shard_of(radio)].announced.add(radio)
        if not self.fleet.publish(event):  # not told (Redis away): again at the next look
            for radio in radios:
                if (handing := outgoing.get(shard_of(radio))) is not None:
                    handing.announced.discard(radio)

    def _transfer(self, shards: list[int]) -> None:
        by_target: dict[str, dict[str, list]] = {}
        for shard, (to, epoch, expires_at) in self.handovers.transfer(shards).items():
            by_target.setdefault(to, {})[str(shard)] = [epoch, expires_at]
        for to, told in by_target.items():
            self.fleet.publish({"type": "shards_handed", "to": to, "shards": told})

    def _cut(self, radios: list[str]) -> None:
        """Our own `radios_handed` read back: the radios' messages from here on are the
        next owner's; they are stored, their last plays sent, and the next owner told."""
        cut = self.handovers.cut(radios)
        if cut:
            self.fleet.let_go(set(cut).__contains__, among=cut)
            gevent.spawn(self._release, cut, self.handovers.outgoing[shard_of(cut[0])].to)

    def _release(self, radios: list[str], to: str) -> None:
        self.fleet.store_and_send(radios)
        self.fleet.publish({"type": "radios_released", "to": to, "radios": radios})
        self.handovers.released(radios)
        log.info("fleet: %d radios handed over to %s", len(radios), to)
        self.wakeup.set()

    # --- the next owner -------------------------------------------------------------

    def holds_back(self, message: dict) -> bool:
        """Keep a radio message to act on once its radio is loaded here (one that names
        no radio, while any is awaited: its session may be one of theirs)."""
        radio_uuid = message.get("radio_uuid")
        if radio_uuid is None:
            held = self.membership.awaits_any()
        else:
            held = self.membership.waiting(radio_uuid)
        if held:
            self._held.append(message)
        return held

    def _released_here(self, radios: list[str]) -> None:
        """Radios the giver stored and released: loaded together with those released
        while a load reads the store (each load reads every radio of the shards it
        touches: 2,000 radios spread over 128 shards read 50,000, 25 times over)."""
        self._released.extend(radios)
        if self._loader is None or self._loader.dead:
            self._loader = gevent.spawn(self._load_released)

    def _load_released(self) -> None:
        while self._released:
            radios, self._released = self._released, []
            # those let go meanwhile (their giver's lease lost) are another's
            if radios := [radio for radio in radios if self.membership.waiting(radio)]:
                self._load(radios)

    def _load(self, radios: list[str]) -> None:
        loading = set(radios)
        try:
            shards = {shard_of(radio) for radio in radios}  # theirs alone are read
            count = self.fleet.program(loading.__contains__, shards=shards)
        except StoreError as error:  # the giver's lease runs out; the shard taken as usual
            log.error("fleet: %d radios handed here not loaded: %s", len(radios), error)
            self.membership.handovers.landing.difference_update(radios)
            return
        self.act_held(loading.__contains__)
        self.membership.handovers.arrived(radios)
        if not self.membership.awaits_any():
            handlers = self.fleet.service.handlers
            while message := self._next_held(lambda named: named is None):
                if self.fleet.holds_session(message["session_id"], message.get("streamer")):
                    handlers.act(message)
        log.info("fleet: %d radios handed here, programming %d", len(radios), count)

    def act_held(self, loaded) -> None:
        """Act, in order, on the messages held for the radios `loaded` says are programmed
        here now (handed here, or of shards taken), those that come meanwhile too."""
        handlers = self.fleet.service.handlers
        while message := self._next_held(lambda named: named is not None and loaded(named)):
            handlers.act(message)

    def _next_held(self, chosen) -> dict | None:
        """The first held message whose radio (None if it names none) is `chosen`."""
        for index, message in enumerate(self._held):
            if chosen(message.get("radio_uuid")):
                del self._held[index]
                return message
        return None

    def forget(self, radios: set[str]) -> None:
        """Radios handed here that another has now: what was held for them is not ours."""
        self.forget_where(radios.__contains__)

    def forget_where(self, lost) -> None:
        """What was held for the radios `lost` says are not this instance's is dropped."""
        self._held = deque(
            m for m in self._held if m.get("radio_uuid") is None or not lost(m["radio_uuid"])
        )

    # --- both -----------------------------------------------------------------------

    def heard(self, event: dict) -> None:
        kind, to = event["type"], event.get("to")
        try:
            radios = [str(radio) for radio in event.get("radios") or ()]
            told = (event.get("shards") or {}).items()
            shards = {int(s): (int(epoch), float(until)) for s, (epoch, until) in told}
        except (ValueError, TypeError, AttributeError) as error:
            log.warning("fleet: a %s dropped: %r", kind, error)
            return
        if event["from"] == self.instance_id:
            if kind == "radios_handed":
                self._cut(radios)
            elif kind == "shards_handed":
                self.handovers.handed_away(shards)
        elif to == self.instance_id:
            if kind == "radios_handed":
                self.handovers.expect(event["from"], shards, radios)
                self.wakeup.set()  # their claim kept fresh from now on
            elif kind == "radios_released":
                waiting = [radio for radio in radios if self.membership.waiting(radio)]
                if waiting:
                    self._released_here(waiting)
            elif kind == "shards_handed":
                self.handovers.adopt(shards)
                self.fleet.outbox_taken(shards)
