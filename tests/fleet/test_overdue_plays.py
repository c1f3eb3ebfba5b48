"""A play computed before this instance's lease went overdue and released by the store
writer during the overdue window (a slow store, a pause): kept, sent once a beat renews
the lease; dropped, never sent, at the lease's expiry or once the renewal is refused
(another instance has the radio). The answers to a streamer's request wait behind a
play of their radio kept, and go whatever becomes of it. The bus and the writer on the
real store and Redis, the leases (fleet/membership.py) counted by a fake clock."""

import pytest

from tests.store_writer.test_writer import DELAY, Parts
from tests.test_fleet_membership import LEASE, member
from yascheduler.fleet.leases import MARGIN
from yascheduler.programming import PlayCommand
from yascheduler.streaming import protocol
from yascheduler.streaming.bus import Bus
from yascheduler.support.clock import FakeClock

RADIO = "r1"


@pytest.fixture
def fleet(db, redis_url, streamers):
    """An instance holding every shard, its bus sending for the radios it owns, and a
    streamer; a play of RADIO queued, held until its timeline is stored."""
    clock, parts = FakeClock(), Parts()
    membership = member(clock, "a")
    membership.join()
    bus = Bus(redis_url, parts.metrics, parts.clock)
    bus.barrier = parts.writer
    parts.writer.listeners.append(bus.store_moved_on)
    bus.sends_play_of = membership.sends_for
    bus.keeps_for = membership.overdue_for
    membership.on_renewed = bus.flush  # as the service's publisher does when woken
    s1 = streamers("s1")
    start = parts.clock.now() + 5.0
    parts.timelines.save(RADIO, {"next": {"filename": "b.mp3", "starts_at": start}})
    bus.play("s1", RADIO, PlayCommand("b.mp3", start, 0.0, 1.0))
    bus.flush()
    assert bus.holding() == 1
    return clock, parts, membership, bus, s1


def overdue_then_stored(clock, parts, membership, bus) -> None:
    """The lease past its margin, then the play's timeline stored: the play released."""
    clock.advance(LEASE * (1 - MARGIN) + 0.1)
    assert not membership.steady()
    parts.clock.advance(DELAY)
    parts.writer.loop()
    bus.flush()
    assert bus.holding() == 0


def nothing_before_the_next(bus, s1) -> None:
    """Nothing reached the streamer before a message sent now."""
    bus.publish("s1", protocol.test_reply("after"))
    bus.flush()
    assert s1.next() == {"type": "test", "info": "after"}


def test_a_play_released_while_the_lease_is_overdue_goes_once_the_lease_is_renewed(fleet):
    clock, parts, membership, bus, s1 = fleet
    overdue_then_stored(clock, parts, membership, bus)
    assert bus.kept() == 1
    assert s1.drain() == []  # not while overdue: another may have the radio
    membership.loop()  # renewed
    assert s1.expect("play")["filename"] == "b.mp3"
    nothing_before_the_next(bus, s1)  # sent once
    assert (bus.kept(), dict(parts.metrics.dropped_not_owned)) == (0, {})


def test_a_play_kept_for_an_overdue_lease_is_dropped_when_the_lease_expires(fleet):
    clock, parts, membership, bus, s1 = fleet
    overdue_then_stored(clock, parts, membership, bus)
    bus.publish("s1", protocol.radio_stopped(RADIO))  # the answer to a stop_radio acted on
    bus.flush()
    assert (bus.kept(), s1.drain()) == (2, [])  # behind the radio's play: in order
    clock.advance(LEASE * MARGIN)  # expired: another instance may have taken the radio
    bus.flush()
    assert (bus.kept(), dict(parts.metrics.dropped_not_owned)) == (0, {"play": 1})
    assert s1.expect("radio_stopped")["radio_uuid"] == RADIO  # the streamer asked: told
    membership.loop()  # renewed all the same (nobody took it): the play is gone
    nothing_before_the_next(bus, s1)


def test_a_play_kept_for_an_overdue_lease_is_dropped_when_the_renewal_is_refused(fleet):
    clock, parts, membership, bus, s1 = fleet
    overdue_then_stored(clock, parts, membership, bus)
    ahead = FakeClock(clock.now() + LEASE)  # a clock a lease ahead: a's leases expired
    other = member(ahead, "b")
    other.join()  # b takes every shard
    assert other.owns_radio(RADIO)
    membership.loop()  # a's renewal refused: the radio is b's
    assert not membership.leases
    assert (bus.kept(), dict(parts.metrics.dropped_not_owned)) == (0, {"play": 1})
    nothing_before_the_next(bus, s1)
