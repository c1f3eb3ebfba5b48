"""Rebalancing radio by radio: which radios of a shard handed over go now, and what
each side of a handover keeps of it.

A shard given to a newcomer is not released: it is handed over (store/shards.py),
and each of its radios goes at a safe moment, between a track's start and its
next prepare, so that the next owner has the time to load it before it sends that
radio's next `play`. A radio is safe now when its pending event is a prepare
more than MARGIN away (or it has none: nothing is sent for it); one whose
pending event is a start (its next play just sent), a send (its next track
chosen ahead, its play about to go), or a prepare sooner than MARGIN, waits for
that start to pass. A radio never safe (tracks shorter than
prepare_seconds plus MARGIN) goes when the handover's bound has passed:
`bound(prepare_seconds)`, the longest a safe moment can take to come.
Pure: the caller says what time it is.
"""

import logging
from dataclasses import dataclass, field

from .ownership import shard_of

log = logging.getLogger("yascheduler.fleet")

MARGIN = 1.0  # seconds: a radio goes while its next prepare is further than this
RETELL = 2.0  # seconds between two tellings of radios told but not read back, once forced
SLACK = 1.0  # seconds beyond the longest wait for a safe moment, before any goes anyway
START = "start"  # the engine's event at a track's start (programming/transitions.py)
SEND = "send"  # ... and the one sending the play of a track chosen ahead


def safe_now(event: tuple[float, str] | None, now: float, margin: float = MARGIN) -> bool:
    """Whether a radio whose pending event is `event` ((at, kind), or None) may go now."""
    if event is None:
        return True
    at, kind = event
    return kind not in (START, SEND) and at - now > margin


def bound(prepare_seconds: float) -> float:
    """The longest a handover takes before its last radios go whatever their moment: a
    prepare due within MARGIN, then its track's start prepare_seconds later."""
    return prepare_seconds + MARGIN + SLACK


@dataclass(slots=True)
class Outgoing:
    """A shard this instance hands over, radio by radio."""

    to: str
    deadline: float  # past it, the radios left go at once
    announced: set[str] = field(default_factory=set)  # told as handed, not yet read back
    cut: set[str] = field(default_factory=set)  # read back: no longer answered here
    released: set[str] = field(default_factory=set)  # stored, and told: the next owner's
    transferring: bool = False  # its transfer sent to the store, not yet answered
    retold_at: float | None = None  # when radios told but not read back were told again
    transferred: bool = False  # the lease is the next owner's in the store

    def moving(self) -> bool:
        """Its lease is, or may be, the next owner's in the store already: a renewal of it
        refused meanwhile is a handover, not a loss."""
        return self.transferring or self.transferred

    def forced(self, now: float, live) -> bool:
        """The radios left go at once: past the bound, or the next owner is gone."""
        return now > self.deadline or self.to not in live

    def to_tell(self, radios, now: float, live) -> tuple[list[str], bool]:
        """The radios of the shard to tell as handed now: those not told yet; once forced,
        those told but not read back too (a message missed), again every RETELL seconds
        only: not every look, a burst of tens of thousands of radios told anew five times a
        second behind a busy subscriber. And whether the handover is forced."""
        forced = self.forced(now, live)
        if forced and (self.retold_at is None or now - self.retold_at >= RETELL):
            self.retold_at = now
            return [radio for radio in radios if radio not in self.cut], True
        return [radio for radio in radios if radio not in self.announced], forced

    def settled(self) -> bool:
        """Every radio announced is stored and told."""
        return not self.cut and self.announced == self.released


@dataclass(slots=True)
class Incoming:
    """A shard handed to this instance, radio by radio: the radios it has told."""

    giver: str
    epoch: int  # what this instance's writes of those radios carry
    until: float  # the giver's lease: the radios handed count here until then (less a margin)
    waiting: set[str] = field(default_factory=set)  # handed, not yet stored by the giver
    arrived: set[str] = field(default_factory=set)  # loaded and programmed here


def going_now(radios, event_of, now: float, forced: bool) -> list[str]:
    """The radios that go now: each at a safe moment; every one once `forced`."""
    return [radio for radio in radios if forced or safe_now(event_of(radio), now)]


class RadiosByShard:
    """The programmed radios of each shard, in memory: indexed again only when the
    programmer's listing changes (a tuple it keeps until a radio comes or goes), not at
    each look of a handover (every 0.2 s, a hash of every radio programmed)."""

    def __init__(self):
        self._listing: tuple[str, ...] | None = None
        self._index: dict[int, list[str]] = {}

    def of(self, listing: tuple[str, ...], shard: int) -> list[str]:
        """The radios of `listing` (the programmer's radio_uuids()) in the shard."""
        if listing is not self._listing:
            index: dict[int, list[str]] = {}
            for radio in listing:
                index.setdefault(shard_of(radio), []).append(radio)
            self._listing, self._index = listing, index
        return self._index.get(shard, [])


class Handovers:
    """Both sides of the handovers of one instance's membership (fleet/membership.py):
    the shards it hands over, and those handed to it."""

    def __init__(self, membership, shards):
        self.membership = membership
        self._shards = shards
        self.outgoing: dict[int, Outgoing] = {}
        self.incoming: dict[int, Incoming] = {}
        # handed here and still loading when their shard's lease was transferred here (the
        # giver transfers once it has told them released, not once they are loaded here)
        self.landing: set[str] = set()

    def hand_over(self, shards: list[int], share: int, now: float) -> None:
        """Hand shards above the share over to the live instances under it."""
        m = self.membership
        records = self._shards.all()
        held = {}
        for record in records:
            owner = record["handing_to"] or record["owner"]
            if record["expires_at"] >= now and owner is not None:
                held[owner] = held.get(owner, 0) + 1
        takers = [i for i in m.live if i != m.instance_id and held.get(i, 0) < share]
        given: dict[str, dict[int, int]] = {}
        for shard in shards:
            while takers and held.get(takers[0], 0) >= share:
                takers.pop(0)
            if not takers:
                break
            given.setdefault(takers[0], {})[shard] = m.leases[shard].epoch
            held[takers[0]] = held.get(takers[0], 0) + 1
        deadline = now + m.handover_seconds
        for to, epochs in given.items():
            handed = self._shards.hand(m.instance_id, epochs, to)  # the others: lost meanwhile
            for shard in handed:
                lease = m.leases[shard]
                lease.fence, lease.epoch = lease.epoch, lease.epoch + 1
                self.outgoing[shard] = Outgoing(to, deadline)
            log.info("fleet: handing %d shards over to %s, radio by radio: %s",
                     len(handed), to, _listed(handed))  # fmt: skip
        if given:
            m.on_handing()

    def cut(self, radios) -> list[str]:
        """The radios told as handed, read back here: no longer this instance's."""
        cut = []
        for radio in radios:
            outgoing = self.outgoing.get(shard_of(radio))
            if outgoing is not None and radio in outgoing.announced:
                outgoing.cut.add(radio)
                cut.append(radio)
        return cut

    def released(self, radios) -> None:
        """The radios cut are stored and told: the next owner's."""
        for radio in radios:
            outgoing = self.outgoing.get(shard_of(radio))
            if outgoing is not None:
                outgoing.cut.discard(radio)
                outgoing.released.add(radio)

    def transfer(self, shards) -> dict[int, tuple[str, int, float]]:
        """The leases of shards whose radios are all handed, to their next owners:
        {shard: (next owner, epoch, expiry)} of those transferred."""
        m = self.membership
        moved = {}
        for shard in shards:
            outgoing, lease = self.outgoing.get(shard), m.leases.get(shard)
            if outgoing is None or lease is None:
                continue  # lost by a beat while an earlier one was transferred
            # a fresh lease, as a renewal would give: the next owner's first renewal may
            # come a beat late (it is loading the radios handed), not past the expiry
            expires_at = m.clock.now() + m.lease_seconds
            outgoing.transferring = True  # the beat may renew meanwhile (membership._renew)
            try:
                done = self._shards.transfer(
                    shard, m.instance_id, lease.epoch, outgoing.to, expires_at
                )
            finally:
                outgoing.transferring = False
            if done:
                outgoing.transferred = True
                moved[shard] = (outgoing.to, lease.epoch, expires_at)
            else:  # lost meanwhile: the renewal lets it go
                log.warning("fleet: shard %d not transferred to %s", shard, outgoing.to)
        return moved

    def handed_away(self, shards) -> None:
        """The transfer read back: the shards are the next owner's from here on."""
        m = self.membership
        gone = [s for s in shards if s in self.outgoing and self.outgoing[s].transferred]
        for shard in gone:
            del self.outgoing[shard], m.leases[shard]
        if gone:
            log.info("fleet: %d shards handed over: %s", len(gone), _listed(gone))

    def expect(self, giver: str, shards: dict[int, tuple[int, float]], radios) -> None:
        """Radios handed here ({shard: (epoch, the giver's lease expiry)})."""
        m = self.membership
        for radio in radios:
            shard = shard_of(radio)
            if shard in m.leases or shard not in shards:
                continue
            epoch, until = shards[shard]
            incoming = self.incoming.get(shard)
            if incoming is None or incoming.epoch != epoch:
                incoming = self.incoming[shard] = Incoming(giver, epoch, until)
            incoming.waiting.add(radio)

    def arrived(self, radios) -> None:
        """Radios handed here, loaded (or that failed to load): this instance's."""
        self.landing.difference_update(radios)
        for radio in radios:
            incoming = self.incoming.get(shard_of(radio))
            if incoming is not None and radio in incoming.waiting:
                incoming.waiting.discard(radio)
                incoming.arrived.add(radio)

    def adopt(self, shards: dict[int, tuple[int, float]]) -> None:
        """Leases transferred here ({shard: (epoch, expiry)}): held from now on."""
        m = self.membership
        adopted = []
        for shard, (epoch, expires_at) in shards.items():
            incoming = self.incoming.get(shard)
            held = m.leases.get(shard)
            if incoming is not None and incoming.epoch != epoch:
                continue
            if held is not None and held.epoch == epoch:
                continue  # adopted already (read in the store first): renewed since, maybe
            if incoming is not None:  # the radios still loading wait on
                self.landing.update(incoming.waiting)
            self.incoming.pop(shard, None)
            m.hold(shard, epoch, expires_at)
            adopted.append(shard)
        if adopted:
            log.info("fleet: %d shards handed here: %s", len(adopted), _listed(adopted))

    def refresh(self) -> None:
        """The shards handed here as the store has them: the giver's lease renewed, the
        transfer done (its message missed), or neither (the radios handed let go)."""
        m = self.membership
        records = {record["number"]: record for record in self._shards.all()}
        for shard, incoming in list(self.incoming.items()):
            if self.incoming.get(shard) is not incoming:
                continue  # settled meanwhile (the handover part refreshes too)
            record = records.get(shard) or {}
            if record.get("epoch") != incoming.epoch:
                record = {}
            if record.get("owner") == m.instance_id:
                self.adopt({shard: (incoming.epoch, record["expires_at"])})
            elif record.get("handing_to") == m.instance_id:
                incoming.until = record["expires_at"]
            else:
                del self.incoming[shard]
                log.warning("fleet: shard %d no longer handed here by %s", shard, incoming.giver)
                m.on_claim_lost(incoming.waiting | incoming.arrived)


def _listed(shards) -> str:
    return ",".join(str(shard) for shard in sorted(shards))
