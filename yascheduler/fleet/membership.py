"""This instance's place in the fleet: its heartbeat, and the shards it leases.

A part (support.supervisor's shape) that, every third of the lease:
renews this instance's heartbeat; renews the leases it holds (a renewal
refused means another took the shard: it is let go at once); takes free or
expired shards up to its fair share of the live instances; and gives back
those above that share, so that a new instance gets its share at its next
beats. A shard counts as held until its lease's expiry minus
a margin for clocks that drift: an instance that cannot renew stops
acting for those radios before another may take them.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass

from yascheduler.support.errors import StoreError, YaschedulerError

from .ownership import SHARDS, fair_share, shard_of, streamer_owner

log = logging.getLogger("yascheduler.fleet")

BEATS_PER_LEASE = 3
MARGIN = 1 / 3  # of the lease: how long before its expiry a lease stops counting


class InstanceAlive(YaschedulerError):
    """An instance with this id is alive already."""


@dataclass(slots=True)
class Lease:
    epoch: int
    expires_at: float


class Membership:
    name = "fleet"

    def __init__(
        self,
        clock,
        instance_id: str,
        instances,
        shards,
        lease_seconds: float,
        on_acquired: Callable[[int, int], None],
        on_lost: Callable[[int], None],
        facts: Callable[[], dict] = dict,
    ):
        self.clock = clock
        self.instance_id = instance_id
        self._instances = instances
        self._shards = shards
        self.lease_seconds = lease_seconds
        self._on_acquired = on_acquired
        self._on_lost = on_lost
        self._facts = facts
        self.leases: dict[int, Lease] = {}
        self.live: tuple[str, ...] = (instance_id,)

    # --- what the others ask ------------------------------------------------------------

    def holds(self, shard: int) -> bool:
        lease = self.leases.get(shard)
        margin = self.lease_seconds * MARGIN
        return lease is not None and self.clock.now() < lease.expires_at - margin

    def owns_radio(self, radio_uuid: str) -> bool:
        return self.holds(shard_of(radio_uuid))

    def epoch_of(self, radio_uuid: str) -> int | None:
        lease = self.leases.get(shard_of(radio_uuid))
        return None if lease is None else lease.epoch

    def owns_streamer(self, streamer: str) -> bool:
        return streamer_owner(streamer, self.live) == self.instance_id

    # --- the part -----------------------------------------------------------------------

    def initialize(self) -> None:
        """Join the fleet; InstanceAlive if an instance with this id runs already."""
        now = self.clock.now()
        if not self._instances.claim(
            self.instance_id, now, now - self.lease_seconds, self._facts()
        ):
            raise InstanceAlive(
                f"instance_id {self.instance_id!r} is alive already (its heartbeat is under "
                f"{self.lease_seconds:g}s old): stop it, or give this one another instance_id"
            )
        self._shards.ensure(SHARDS)
        self.loop()

    def loop(self) -> float:
        try:
            self._beat()
        except StoreError as error:  # the leases run out by themselves: held ones stop counting
            log.warning("fleet: %s; retrying", error)
        return self.lease_seconds / BEATS_PER_LEASE

    def _beat(self) -> None:
        now = self.clock.now()
        self._instances.beat(self.instance_id, now, self._facts())
        stale = now - self.lease_seconds
        self.live = tuple(
            sorted(i["id"] for i in self._instances.all() if i["heartbeat_at"] >= stale)
        )
        expires_at = now + self.lease_seconds
        for shard, lease in list(self.leases.items()):
            if self._shards.renew(shard, self.instance_id, lease.epoch, expires_at):
                lease.expires_at = expires_at
            else:
                self._lose(shard, "taken by another instance")
        share = fair_share(len(self.live))
        if len(self.leases) < share:
            self._take(share - len(self.leases), now, expires_at)
        for shard in sorted(self.leases, reverse=True)[: max(0, len(self.leases) - share)]:
            self.give_back(shard)  # a newcomer's share, at once

    def _take(self, wanted: int, now: float, expires_at: float) -> None:
        free = [
            s
            for s in self._shards.all()
            if s["expires_at"] < now and s["number"] not in self.leases
        ]
        for shard in free[:wanted]:
            epoch = self._shards.take(shard["number"], self.instance_id, now, expires_at)
            if epoch is not None:
                self.leases[shard["number"]] = Lease(epoch, expires_at)
                log.info("fleet: shard %d taken (epoch %d)", shard["number"], epoch)
                self._on_acquired(shard["number"], epoch)

    def _lose(self, shard: int, why: str) -> None:
        self.leases.pop(shard, None)
        log.warning("fleet: shard %d lost: %s", shard, why)
        self._on_lost(shard)

    def give_back(self, shard: int) -> None:
        lease = self.leases.pop(shard, None)
        if lease is None:
            return
        self._on_lost(shard)
        self._shards.release(shard, self.instance_id, lease.epoch)
        log.info("fleet: shard %d given back", shard)

    def shutdown(self) -> None:
        """A clean stop hands every shard over at once."""
        for shard in list(self.leases):
            self.give_back(shard)
        self._instances.remove(self.instance_id)
