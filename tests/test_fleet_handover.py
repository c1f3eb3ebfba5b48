"""Rebalancing radio by radio, with an injected clock: which radios of a shard handed
over go when (the engine's own events), and what each side holds meanwhile (leases,
fencing epochs, the radios' owner) on the real store."""

import pytest

from tests.programming_support import default_songs, load, make_programmer, playlist, radio
from tests.test_fleet_membership import LEASE, handing_over, member, radios_in, settle
from yascheduler.fleet.handover import MARGIN, RETELL, Outgoing, RadiosByShard, bound, going_now
from yascheduler.fleet.handover import safe_now
from yascheduler.fleet.ownership import SHARDS, fair_share
from yascheduler.programming import ProgrammingSettings
from yascheduler.store.shards import StoredShards
from yascheduler.support.clock import FakeClock

T0 = 1_700_000_000.0
SONG = 8.0
PREPARE = 5.0


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def engine(db):
    """One radio of 8 s songs, prepared 5 s ahead: a safe window of 3 s less the margin
    after each track's start."""
    radio("r1", [playlist(1, default_songs(20, SONG))])
    programmer, clock, _ = make_programmer(T0, ProgrammingSettings(prepare_seconds=PREPARE))
    load(programmer)
    programmer.run_due()  # the first track chosen and started
    return programmer, clock


def test_a_radio_whose_next_track_is_chosen_but_not_sent_is_not_safe():
    # chosen ahead (the setting decide_ahead_seconds, 1 s): its play goes at the "send"
    assert not safe_now((T0 + 3.0, "send"), T0)
    assert safe_now((T0 + 3.0, "prepare"), T0)


def next_start(programmer, clock) -> float:
    """Drive the engine to the start of the next track; its instant."""
    while True:
        at, kind = programmer.next_event("r1")
        clock.set(at)
        programmer.run_due()
        if kind == "start":
            return at


def goes(programmer, clock, forced=False) -> bool:
    return going_now(["r1"], programmer.next_event, clock.now(), forced) == ["r1"]


def test_a_radio_goes_between_a_track_start_and_its_next_prepare(engine):
    programmer, clock = engine
    started = next_start(programmer, clock)
    clock.set(started + 0.1)
    assert goes(programmer, clock)  # its next prepare is 2.9 s away
    clock.set(started + SONG - PREPARE - MARGIN + 0.1)
    assert not goes(programmer, clock)  # its prepare comes within the margin
    clock.set(started + SONG - PREPARE + 0.5)
    programmer.run_due()  # prepared: its next play sent, its start pending
    assert programmer.next_event("r1")[1] == "start"
    assert not goes(programmer, clock)
    assert goes(programmer, clock, forced=True)  # past the bound it goes all the same
    assert next_start(programmer, clock) == pytest.approx(started + SONG)
    clock.advance(0.1)
    assert goes(programmer, clock)  # the track it announced has started


def test_the_giver_finds_a_shards_radios_indexed_again_only_when_they_change():
    by_shard = RadiosByShard()
    listing = ("radio-1", "radio-2")  # shards 79 and 245
    assert by_shard.of(listing, 79) == ["radio-1"] and by_shard.of(listing, 1) == []
    kept = by_shard.of(listing, 245)
    assert by_shard.of(listing, 245) is kept  # the same listing: not hashed again
    changed = ("radio-2",)  # a radio let go: the programmer lists them anew
    assert by_shard.of(changed, 79) == [] and by_shard.of(changed, 245) == ["radio-2"]


def test_the_bound_covers_the_longest_wait_for_a_safe_moment():
    # a prepare due within the margin, then its track's start prepare_seconds later
    assert bound(PREPARE) > PREPARE + MARGIN


def test_a_shard_handed_over_is_fenced_and_transferred_at_the_next_epoch(db, clock):
    a, b = handing_over(clock)
    handed = sorted(a.handovers.outgoing)
    assert len(handed) == SHARDS - fair_share(2) and b.leases == {}
    shard = handed[0]
    (radio_uuid,) = radios_in(shard, 1)
    record = next(s for s in StoredShards().all() if s["number"] == shard)
    assert (record["owner"], record["handing_to"], record["epoch"]) == ("a", "b", 2)
    assert a.owns_radio(radio_uuid) and a.epoch_of(radio_uuid) == 1  # its writes: before

    # the radio told as handed, then read back by both: the cut
    a.handovers.outgoing[shard].announced.add(radio_uuid)
    expires_at = a.leases[shard].expires_at
    b.handovers.expect("a", {shard: (2, expires_at)}, [radio_uuid])
    assert a.handovers.cut([radio_uuid]) == [radio_uuid]
    assert not a.owns_radio(radio_uuid) and a.sends_for(radio_uuid)  # its last plays go
    assert b.waiting(radio_uuid) and not b.owns_radio(radio_uuid)
    assert b.epoch_of(radio_uuid) == 2  # what b loads and writes is fenced above a's
    a.handovers.released([radio_uuid])
    b.handovers.arrived([radio_uuid])
    assert not a.sends_for(radio_uuid)
    assert b.owns_radio(radio_uuid) and b.sends_for(radio_uuid)

    clock.advance(LEASE / 3)
    a.loop()  # renewed at the new epoch meanwhile
    b.loop()  # b's claim follows a's lease, as the store has it
    assert b.handovers.incoming[shard].until == a.leases[shard].expires_at
    settle(a, {"b": b})
    assert shard not in a.leases and b.leases[shard].epoch == 2
    for _ in range(3):
        clock.advance(LEASE / 3)
        a.loop()
        b.loop()
    assert len(a.leases) == len(b.leases) == fair_share(2)
    assert b.owns_radio(radio_uuid) and not a.owns_radio(radio_uuid)


def test_the_giver_dead_the_radios_handed_stop_counting_before_its_lease_expires(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    lost = []
    b.on_claim_lost = lost.extend
    a.join()
    b.join()
    a.loop()
    shard = min(a.handovers.outgoing)
    (radio_uuid,) = radios_in(shard, 1)
    expires_at = a.leases[shard].expires_at
    b.handovers.expect("a", {shard: (2, expires_at)}, [radio_uuid])
    b.handovers.arrived([radio_uuid])
    assert b.owns_radio(radio_uuid)
    # a is killed -9: it renews no more; b stops counting the radio before a's lease ends
    clock.set(expires_at - LEASE / 3)
    assert not b.owns_radio(radio_uuid) and not b.sends_for(radio_uuid)
    clock.set(expires_at + 0.1)
    c = member(clock, "c")
    c.join()  # takes a's expired shards, one epoch above b's
    assert c.leases[shard].epoch == 3
    b.loop()  # the store no longer hands it to b: the radio let go
    assert lost == [radio_uuid] and shard not in b.handovers.incoming


def test_the_next_owner_gone_the_radios_left_go_at_once(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    b.join()
    a.loop()
    handing = next(iter(a.handovers.outgoing.values()))
    assert not handing.forced(clock.now(), a.live)
    assert handing.forced(clock.now(), ("a",))  # b's heartbeat stopped
    assert handing.forced(clock.now() + bound(PREPARE) + 10.0, a.live)  # past the bound


def test_radios_still_loading_when_their_shard_is_transferred_here_wait_until_loaded(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    b.join()
    a.loop()
    shard = min(a.handovers.outgoing)
    (radio_uuid,) = radios_in(shard, 1)
    a.handovers.outgoing[shard].announced.add(radio_uuid)
    b.handovers.expect("a", {shard: (2, a.leases[shard].expires_at)}, [radio_uuid])
    a.handovers.cut([radio_uuid])
    a.handovers.released([radio_uuid])  # told released: b loads it from the store...
    settle(a, {"b": b})  # ... and the lease is transferred meanwhile
    assert shard in b.leases
    assert b.waiting(radio_uuid) and b.awaits_any()  # its messages still held back
    b.handovers.arrived([radio_uuid])  # loaded
    assert not b.waiting(radio_uuid) and b.owns_radio(radio_uuid)


def test_a_forced_handover_tells_again_what_was_not_read_back_only_every_retell():
    handing = Outgoing("b", deadline=10.0)
    handing.announced, handing.cut = {"r1", "r2"}, {"r1"}  # r2 told, not read back
    radios, live = ["r2", "r3"], ("a", "b")  # r1 let go already
    assert handing.to_tell(radios, 5.0, live) == (["r3"], False)
    assert handing.to_tell(radios, 11.0, live) == (["r2", "r3"], True)  # past the bound
    handing.announced.add("r3")
    assert handing.to_tell(radios, 11.2, live) == ([], True)  # not at every look
    assert handing.to_tell(radios, 11.0 + RETELL, live) == (["r2", "r3"], True)
