"""This instance's place in the fleet: its heartbeat, and the shards it leases.

A part (support.supervisor's shape) that, every third of the lease: renews this
instance's heartbeat; renews the leases it holds (a renewal refused means another took
the shard: it is let go at once); takes free or expired shards up to its fair share of
the live instances; and gives back those above that share, so that a new instance gets
its share at its next beats (handed over radio by radio: below). A shard counts as held
until its lease's expiry minus a margin for clocks that drift: an instance that cannot
renew stops acting for those radios before another may take them.

The store unreachable: an instance that was alone at its last beat keeps
counting its shards, from the moment a beat begun in time waits on the store
(nobody can take them from a store it cannot reach either, and one instance
must stay on air through a store outage); one that had company stops
counting them at the margin, as above. When the store is
back, a renewal refused all the same lets the shard go, and the epoch in
the store refuses what it wrote meanwhile.

Shards without a live owner (free, expired, or leased by an instance whose
heartbeat stopped: killed before it could release them) are counted at each
beat: while some wait and this instance is under its fair share it is
`taking_over()` (the service answers /healthz 503), and its next beat comes
as soon as the first of their leases expires, not a whole beat later.

The callbacks are told in batches, once a beat: `on_acquired({shard: epoch})`
after the shards are taken (they count as held once it returns),
`on_lost({shard, ...})` for shards another took (their writes are fenced off
already: nothing waits for them), `on_given_back({shard, ...})` (on_lost unless
given) before those given back are released (so that what their radios changed
can be stored first). A take's load (`on_acquired`) runs
off the beat given `spawn`, the beats renewing it meanwhile, one at a time; while
loading, a shard is fenced by its epoch, not held: its messages wait (`waiting`).

Rebalancing hands a shard over rather than releasing it: its record names the
next owner and its epoch goes up by one (renewed at it here; the next owner's
writes carry it, this one's the epoch before). The radios then go one by one
(app/fleet_handover.py): each is no longer this instance's once `cut`, and
the next owner's once it has `arrived` there, counted while the giver's lease
runs (refreshed at each beat from the store). When all are gone the lease is
`transfer`red at that epoch. The next owner dead meanwhile: the radios left go
at once, and its lease, never renewed, expires as after a kill -9. The giver
dead: its lease expires, the radios handed stop counting before it does, and
whoever takes the shard does so one epoch above the next owner's.
"""

import logging
import zlib
from collections.abc import Callable

from yascheduler.support.errors import StoreError, YaschedulerError

from .handover import Handovers
from .leases import Lease, Leases
from .ownership import SHARDS, fair_share, listed

log = logging.getLogger("yascheduler.fleet")

BEATS_PER_LEASE = 3
DEAD_SHOWN = 3600.0  # seconds a dead instance stays listed (api/instances) before it is forgotten
EXPIRY_SLACK = 0.01  # beat this long after an orphan's lease expires (take's `$lt`)


class InstanceAlive(YaschedulerError):
    """An instance with this id is alive already."""


class Membership(Leases):
    name = "fleet"

    def __init__(
        self,
        clock,
        instance_id: str,
        instances,
        shards,
        lease_seconds: float,
        on_acquired: Callable[[dict[int, int]], None],
        on_lost: Callable[[set[int]], None],
        facts: Callable[[], dict] = dict,
        handover_seconds: float = 10.0,
        on_claim_lost: Callable[[set[str]], None] = lambda radios: None,
        on_given_back: Callable[[set[int]], None] | None = None,
    ):
        super().__init__(clock, lease_seconds)
        self.instance_id = instance_id
        self._instances = instances
        self._shards = shards
        self._on_acquired = on_acquired
        self._on_lost = on_lost
        self._on_given_back = on_given_back or on_lost
        self._facts = facts
        self.handover_seconds = handover_seconds  # fleet/handover.py's bound
        self.on_claim_lost = on_claim_lost  # radios handed here that stopped counting
        self.on_handing: Callable[[], None] = lambda: None  # a handover begins
        self.on_renewed: Callable[[], None] = lambda: None  # leases renewed, or cut off alone
        self.handovers = Handovers(self, shards)
        self._loading = False  # a take's load under way (the next take waits for it)
        self.spawn: Callable | None = None  # runs a load off the beat; None: within it
        self.live: tuple[str, ...] = (instance_id,)
        self.instances: list[dict] = []  # every instance's record, as read at the last beat
        self.last_beat_at: float | None = None
        self.joined = False
        self.wakeup = None  # an event set to beat at once (an instance left: app/fleet.py)
        self.share = fair_share(1)
        self.orphans = 0  # shards without a live owner at the last beat, not taken by this one
        self._orphans_expire_at: float | None = None  # the first of their leases to expire
        self._stale_at: float | None = None  # the first other live heartbeat to go stale

    # --- the part -----------------------------------------------------------------------

    def join(self) -> None:
        """Join the fleet and take a share; InstanceAlive if an instance with this id runs
        already. Called by the service before it starts its parts (a refusal stops it)."""
        now = self.clock.now()
        if not self._instances.claim(
            self.instance_id, now, now - self.lease_seconds, self._facts()
        ):
            raise InstanceAlive(
                f"instance_id {self.instance_id!r} is alive already (its heartbeat is under "
                f"{self.lease_seconds:g}s old): stop it, or give this one another instance_id"
            )
        self.joined = True
        self._shards.ensure(SHARDS)
        wait = self.loop()
        # the first share loaded before the parts run, beating meanwhile (a load longer
        # than the lease's margin would lose its shards): the wakeup is set once done
        while self._loading:
            self.wakeup.wait(wait)
            wait = self.loop()

    def loop(self) -> float:
        if self.wakeup is not None:
            self.wakeup.clear()
        alone = self.live == (self.instance_id,)
        # a beat begun in time, alone, that the store is slow to answer (it may be away:
        # the first call takes the driver's timeout to fail) keeps the shards meanwhile;
        # not one begun late (the process was paused): it renews first
        self._alone_and_waiting = alone and self.steady()
        try:
            self._beat()
        except StoreError as error:  # the leases run out by themselves: held ones stop counting
            self._alone_and_cut_off = alone
            self.on_renewed()  # alone, its shards count again
            log.warning("fleet: %s; retrying", error)
        finally:
            self._alone_and_waiting = False
        wait = self.lease_seconds / BEATS_PER_LEASE
        # the next beat as soon as something may change hands: an orphan's lease expires,
        # or another instance's heartbeat goes stale (killed: its leases expire with it)
        for at in (self._orphans_expire_at, self._stale_at):
            if at is not None:
                wait = min(wait, max(0.0, at - self.clock.now()) + EXPIRY_SLACK)
        return wait

    def _beat(self) -> None:
        now = self.clock.now()
        if self.handovers.incoming:
            self.handovers.refresh()
        outgoing = self.handovers.outgoing
        # transferred: the next owner's in the store, let go as told (at the latest now)
        self.handovers.handed_away([shard for shard, o in outgoing.items() if o.transferred])
        lost = self._renew()  # first: what the others may take if it comes late
        self._instances.beat(self.instance_id, self.clock.now(), self._facts())
        self._alone_and_cut_off = False
        self.last_beat_at = now
        stale = now - self.lease_seconds
        self.instances = self._instances.all()
        self.live = tuple(sorted(i["id"] for i in self.instances if i["heartbeat_at"] >= stale))
        forgotten = now - DEAD_SHOWN
        if self.live[:1] == (self.instance_id,) and any(
            i["heartbeat_at"] < forgotten for i in self.instances
        ):  # one instance of the fleet cleans up: the first live one
            self._instances.forget_dead(forgotten)
        if lost:
            log.warning("fleet: shards lost, taken by another instance: %s", listed(lost))
            self._on_lost(lost)
        self.share = share = fair_share(len(self.live))
        beats = [i["heartbeat_at"] for i in self.instances if i["id"] in self.live]
        self._stale_at = min(beats) + self.lease_seconds if len(beats) > 1 else None
        held = len(self.leases) + len(self._arriving)
        if held < share:
            self._take(share - held, now)
        else:
            self.orphans, self._orphans_expire_at = 0, None
        keeping = sorted((s for s in self.leases if s not in self.handovers.outgoing), reverse=True)
        surplus = len(keeping) - share
        if surplus > 0:
            self.handovers.hand_over(keeping[:surplus], share, now)

    def _renew(self) -> set[int]:
        """Renew the leases held or loading, from when it is sent; those lost (held)."""
        expires_at = self.clock.now() + self.lease_seconds
        # the leases as they were: a load may land its shards while the store answers
        renewing = {**self.leases, **self._arriving}
        epochs = {shard: lease.epoch for shard, lease in renewing.items()}
        renewed = self._shards.renew_all(self.instance_id, epochs, expires_at)
        lost = set()
        for shard, lease in renewing.items():
            if shard in renewed:
                lease.expires_at = expires_at
            elif self._arriving.get(shard) is lease:  # let go once loaded (_load)
                del self._arriving[shard]
            elif (outgoing := self.handovers.outgoing.get(shard)) and outgoing.moving():
                continue  # transferred meanwhile (the handover part): handed, not lost
            elif self.leases.get(shard) is lease:
                del self.leases[shard]
                self.handovers.outgoing.pop(shard, None)
                lost.add(shard)
        self.on_renewed()
        return lost

    def _take(self, wanted: int, now: float) -> None:
        others = [
            s for s in self._shards.all() if s["number"] not in self.leases | self._arriving.keys()
        ]
        wanted += self._count_out_the_silent(others, now)
        taken: dict[int, Lease] = {}
        free = [] if self._loading else [s["number"] for s in others if s["expires_at"] < now]
        # each instance tries them in an order of its own: those that take at the same
        # moment (an instance left) take different shards, not one in two of the same
        free.sort(key=self._preference)
        while free and len(taken) < wanted:  # again if another took some first
            count = wanted - len(taken)
            tried, free = free[:count], free[count:]
            expires_at = self.clock.now() + self.lease_seconds  # from the take on
            got = self._shards.take_all(tried, self.instance_id, now, expires_at)
            taken.update((shard, Lease(epoch, expires_at)) for shard, epoch in got.items())
        self._count_orphans([s for s in others if s["number"] not in taken], now)
        if taken:
            log.info("fleet: %d shards taken: %s", len(taken), listed(taken))
            self._arriving.update(taken)
            self._loading = True
            if self.spawn is None:
                self._load(taken)
            else:
                self.spawn(self._load, taken)

    def _load(self, taken: dict[int, Lease]) -> None:
        """Program the radios of shards taken (on_acquired); held from then on, but those
        whose lease was lost meanwhile, which are let go (on_lost). Not loaded (the store
        failed): not renewed any more, they expire and are taken again."""
        began, loaded = self.clock.now(), False
        try:
            self._on_acquired({shard: lease.epoch for shard, lease in taken.items()})
            loaded = True
        except StoreError as error:
            log.error("fleet: %d shards taken not loaded: %s", len(taken), error)
        finally:
            landed = {s: lease for s, lease in taken.items() if self._arriving.get(s) is lease}
            for shard in landed:
                del self._arriving[shard]
            self._loading = False
            if loaded:
                self.leases.update(landed)
            if gone := taken.keys() - (landed if loaded else {}):
                self._on_lost(set(gone))
        log.info("fleet: %d shards taken loaded in %.2fs", len(landed), self.clock.now() - began)
        if self.wakeup is not None:
            self.wakeup.set()  # renewed at once after a long load, and the next take

    def _count_out_the_silent(self, others: list[dict], now: float) -> int:
        """Drop from the live ones an instance with an expired lease (it renews them all
        at each beat: one it let expire means it stopped, killed in the middle of a beat
        before its heartbeat went stale); how many more shards this one's share is then."""
        silent = {s["owner"] for s in others if s["expires_at"] < now} & set(self.live)
        silent.discard(self.instance_id)
        if not silent:
            return 0
        self.live = tuple(name for name in self.live if name not in silent)
        share, self.share = self.share, fair_share(len(self.live))
        names = ", ".join(sorted(silent))
        log.info("fleet: %s stopped renewing its leases: not counted live", names)
        return self.share - share

    def _preference(self, shard: int) -> int:
        return zlib.crc32(f"{self.instance_id}\x00{shard}".encode("utf-8", "surrogatepass"))

    def _count_orphans(self, others: list[dict], now: float) -> None:
        """The shards of others with no live owner: free, expired, or their owner's
        heartbeat stopped (its leases run on until they expire)."""
        orphans = [s for s in others if s["expires_at"] < now or s["owner"] not in self.live]
        self.orphans = len(orphans)
        pending = [s["expires_at"] for s in orphans if s["expires_at"] >= now]
        self._orphans_expire_at = min(pending, default=None)
        if orphans:
            log.info("fleet: %d shards without a live owner", len(orphans))

    def give_back(self, shards) -> None:
        """Hand shards over (a newcomer's share, or a clean stop): their radios are let go
        first (on_given_back), then the leases are released, for another to take at its
        beat."""
        given = {shard: self.leases.pop(shard) for shard in shards if shard in self.leases}
        if not given:
            return
        self._releasing.update(given)
        try:
            self._on_given_back(set(given))
        finally:
            for shard in given:
                del self._releasing[shard]
        for shard, lease in given.items():
            self._shards.release(shard, self.instance_id, lease.epoch)
        log.info("fleet: %d shards given back: %s", len(given), listed(given))

    def leave(self) -> None:
        """A clean stop hands every shard over at once (the service calls it once its
        parts have stopped and their changes are stored)."""
        if not self.joined:
            return  # refused at start-up: the record is the live instance's
        self.joined = False
        try:
            self.give_back(list(self.leases))
            self._instances.remove(self.instance_id)
        except StoreError as error:  # the leases expire by themselves
            log.warning("fleet: leaving: %s", error)
