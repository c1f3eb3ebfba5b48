"""The masters of a shard handed over radio by radio: one document the giver and the
next owner both write (store/streams.py), each write landing until a third owner
takes the shard; the real membership's epochs (fleet/), the real store."""

import pytest

from tests.store_contract.conftest import stored_masters
from tests.test_fleet_membership import LEASE, handing_over, radios_in, settle
from yascheduler.store.streams import StoredStreams
from yascheduler.support.clock import FakeClock
from yascheduler.support.errors import StoreError


@pytest.fixture
def clock():
    return FakeClock()


def masters_of(membership) -> StoredStreams:
    """The instance's masters repository, fenced as app/fleet.py fences it."""
    streams = StoredStreams()
    streams.epoch_of = membership.epoch_of
    streams.fence_of = membership.fence_of
    return streams


def test_giver_and_next_owner_both_store_masters_of_a_shard_handed_over(db, clock):
    a, b = handing_over(clock)  # radio by radio
    shard = sorted(a.handovers.outgoing)[0]
    handed, kept = radios_in(shard, 2)
    giver, receiver = masters_of(a), masters_of(b)
    giver.add(kept, "s1", 1.0)
    giver.add(handed, "s1", 1.0)
    a.handovers.outgoing[shard].announced.add(handed)
    b.handovers.expect("a", {shard: (2, a.leases[shard].expires_at)}, [handed])
    a.handovers.cut([handed])
    a.handovers.released([handed])
    b.handovers.arrived([handed])

    receiver.change(handed, "s2", 2.0)  # at the next epoch
    giver.change(kept, "s3", 3.0)  # at the one before: not handed yet, still the giver's
    assert stored_masters() == {kept: ("s3", 3.0), handed: ("s2", 2.0)}

    settle(a, {"b": b})  # every radio gone: the lease is b's
    for _ in range(3):
        clock.advance(LEASE / 3)
        a.loop()
        b.loop()
    assert b.leases[shard].epoch == 2 and shard not in a.leases
    with pytest.raises(StoreError):
        giver.add(kept, "late", 4.0)  # a's lease is gone: refused
    receiver.change(kept, "s4", 5.0)
    assert stored_masters() == {kept: ("s4", 5.0), handed: ("s2", 2.0)}
