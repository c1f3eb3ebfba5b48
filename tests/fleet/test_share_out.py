"""Shards handed over at a share-out: a transfer of the handover part that lands while
the giver's beat renews its leases is a handover, not a loss (seen as `shards lost` at
the start-up of several instances, bench/README "Several instances"); and the lease
the next owner gets is a fresh one. Two memberships on the real store, a fake clock."""

from yascheduler.fleet.membership import Membership
from yascheduler.store.instances import StoredInstances
from yascheduler.store.shards import StoredShards
from yascheduler.support.clock import FakeClock

from tests.test_fleet_membership import LEASE, member


class BeatDuringTransfer(StoredShards):
    """The real store; the giver's beat comes while a transfer's answer is on its way
    (the handover part and the beat are greenlets of one process)."""

    beat = None

    def transfer(self, *args) -> bool:
        moved = super().transfer(*args)
        if self.beat is not None:
            beat, self.beat = self.beat, None
            beat()
        return moved


def test_a_transfer_landing_during_the_givers_renewal_loses_no_lease(db):
    clock, changes, shards = FakeClock(), [], BeatDuringTransfer()
    a = Membership(
        clock, "a", StoredInstances(), shards, LEASE,
        on_acquired=lambda taken: None, on_lost=lambda lost: changes.extend(lost),
    )  # fmt: skip
    b = member(clock, "b")
    a.join()
    b.join()
    a.loop()  # b live: a hands half of the shards over
    handed = sorted(a.handovers.outgoing)
    clock.advance(LEASE / 3)
    shards.beat = a.loop  # a's next beat, as the first transfer lands
    moved = a.handovers.transfer(handed)
    assert sorted(moved) == handed and changes == []  # none counted lost
    a.handovers.handed_away(moved)
    b.handovers.adopt({shard: (epoch, at) for shard, (_, epoch, at) in moved.items()})
    assert not set(a.leases) & set(b.leases) and len(a.leases) + len(b.leases) == 256
    for _ in range(3):
        clock.advance(LEASE / 3)
        a.loop()
        b.loop()
    assert changes == [] and len(a.leases) == len(b.leases) == 128


def test_the_next_owner_gets_a_whole_lease_at_the_transfer(db):
    clock = FakeClock()
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    b.join()
    a.loop()
    clock.advance(LEASE / 3 + 0.5)  # a's lease renewed a beat and more ago
    moved = a.handovers.transfer(sorted(a.handovers.outgoing))
    assert {at for _, _, at in moved.values()} == {clock.now() + LEASE}
    b.handovers.adopt({shard: (epoch, at) for shard, (_, epoch, at) in moved.items()})
    clock.advance(LEASE * 2 / 3 - 0.1)  # b's first beat comes late
    assert all(b.holds(shard) for shard in moved)
