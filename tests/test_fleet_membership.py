"""The fleet's leases on the store, with an injected clock: shares, expiry, fencing
epochs, a second instance with the same id refused."""

import itertools

import pytest

from yascheduler.fleet.membership import InstanceAlive, Membership
from yascheduler.fleet.ownership import SHARDS, fair_share, shard_of
from yascheduler.store.instances import StoredInstances
from yascheduler.store.shards import StoredShards
from yascheduler.support.clock import FakeClock

LEASE = 3.0


@pytest.fixture
def clock():
    return FakeClock()


def member(clock, name, changes=None):
    changes = [] if changes is None else changes
    return Membership(
        clock,
        name,
        StoredInstances(),
        StoredShards(),
        LEASE,
        on_acquired=lambda taken: changes.extend(("acquired", *t) for t in taken.items()),
        on_lost=lambda shards: changes.extend(("lost", shard) for shard in shards),
    )


def handing_over(clock) -> tuple[Membership, Membership]:
    """a and b joined, and a's beat, b live, handing b the shards above a's share (not
    released yet: each radio told first)."""
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    b.join()
    a.loop()
    return a, b


def radios_in(shard: int, count: int) -> list[str]:
    """The first `count` radio uuids r0, r1... that fall in `shard`."""
    found = (f"r{n}" for n in itertools.count() if shard_of(f"r{n}") == shard)
    return list(itertools.islice(found, count))


def settle(giver, members):
    """What the handover part does for shards with no radio programmed: their leases
    transferred, and told (app/fleet_handover.py)."""
    outgoing = giver.handovers.outgoing
    moved = giver.handovers.transfer([s for s, o in outgoing.items() if not o.transferred])
    for shard, (to, epoch, expires_at) in moved.items():
        members[to].handovers.adopt({shard: (epoch, expires_at)})
    giver.handovers.handed_away(moved)


def test_one_instance_takes_every_shard_and_holds_them_while_it_renews(db, clock):
    changes = []
    a = member(clock, "a", changes)
    a.join()
    assert len(a.leases) == SHARDS and all(kind == "acquired" for kind, *_ in changes)
    for _ in range(10):
        clock.advance(LEASE / 3)
        a.loop()
    assert all(a.holds(shard) for shard in range(SHARDS))
    assert a.owns_radio("radio-1") and a.owns_streamer("s1")


def test_a_second_instance_gets_its_share_and_the_first_gives_it_back(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    b.join()  # nothing free yet: a holds them all
    assert len(b.leases) == 0
    a.loop()  # b is live: a hands half of them over
    assert {o.to for o in a.handovers.outgoing.values()} == {"b"}
    assert len(a.handovers.outgoing) == SHARDS // 2
    settle(a, {"b": b})
    for _ in range(3):
        clock.advance(LEASE / 3)
        a.loop()
        b.loop()
    assert len(a.leases) == len(b.leases) == fair_share(2) == SHARDS // 2
    assert not set(a.leases) & set(b.leases)
    owners = {a.owns_radio(f"r{n}") + b.owns_radio(f"r{n}") for n in range(500)}
    assert owners == {1}  # every radio owned by exactly one of them
    answered = {a.owns_streamer(f"s{n}") + b.owns_streamer(f"s{n}") for n in range(60)}
    assert answered == {1}  # and every streamer answered by exactly one
    assert {a.owns_streamer(f"s{n}") for n in range(60)} == {True, False}  # both answer some


def test_an_instance_that_stops_renewing_loses_its_shards_to_another(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    clock.advance(LEASE - LEASE / 3)  # a is silent: it no longer counts its leases...
    assert not a.holds(0)
    clock.advance(LEASE / 3 + 0.01)  # ...before they expire, and another may take them
    b.join()
    assert len(b.leases) == SHARDS
    assert all(lease.epoch == 2 for lease in b.leases.values())  # fenced: a held epoch 1
    a.loop()  # its renewals are refused: it lets the shards go
    assert a.leases == {}


def test_a_clean_stop_hands_every_shard_over_at_once(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    a.leave()
    b.join()
    assert len(b.leases) == SHARDS


def test_shards_taken_are_told_lost_and_shards_given_back_told_apart(db, clock):
    """The fleet lets radios of shards another took go at once (their writes are fenced
    off), and stores those of shards it gives back first: two callbacks."""
    lost, given = [], []
    a = Membership(
        clock, "a", StoredInstances(), StoredShards(), LEASE,
        on_acquired=lambda taken: None, on_lost=lost.extend, on_given_back=given.extend,
    )  # fmt: skip
    a.join()
    a.give_back([0, 1])
    assert (sorted(given), lost) == ([0, 1], [])
    clock.advance(LEASE + 0.01)  # a silent: b takes the rest
    member(clock, "b").join()
    a.loop()
    assert sorted(lost) == list(range(2, SHARDS)) and sorted(given) == [0, 1]


def test_a_restarted_instance_waits_for_every_orphan_and_takes_each_as_it_expires(db, clock):
    a = member(clock, "a")
    a.join()  # then killed -9: its leases run on until they expire
    # a slow store: its last heartbeat landed a second before its last renewals
    StoredInstances().beat("a", clock.now() - 1, {})
    clock.advance(LEASE - 0.5)
    b = member(clock, "b")  # the same process restarted, with a new pid: a new id
    b.join()
    assert b.live == ("b",) and b.leases == {}
    assert b.taking_over() == SHARDS  # /healthz: not ready, radios wait for an owner
    wait = b.loop()
    assert wait == pytest.approx(0.5 + 0.01)  # its next beat: as the first lease expires
    clock.advance(wait)
    assert b.loop() == LEASE / 3
    assert len(b.leases) == SHARDS and b.taking_over() == 0


def test_an_instance_killed_in_the_middle_of_a_beat_is_not_counted_live(db, clock, caplog):
    a = member(clock, "a")
    a.join()
    clock.advance(LEASE / 3)
    # a beats: its heartbeat lands, then it is killed after renewing half its leases
    StoredInstances().beat("a", clock.now(), {})
    half = {shard: a.leases[shard].epoch for shard in range(SHARDS // 2)}
    StoredShards().renew_all("a", half, clock.now() + LEASE)
    clock.advance(LEASE - LEASE / 3 + 0.01)  # the other half expired; a's heartbeat is fresh
    b = member(clock, "b")  # restarted with a new pid: a new id
    caplog.set_level("INFO", "yascheduler.fleet")
    b.join()
    assert b.live == ("b",) and len(b.leases) == SHARDS // 2
    assert "fleet: a stopped renewing its leases: not counted live" in caplog.text
    assert "shards taken: 128-255" in caplog.text  # runs, not 128 numbers
    # /healthz stays 503 until the half that a renewed is taken too, not at half
    assert b.taking_over() == SHARDS // 2
    clock.advance(b.loop())
    b.loop()
    assert len(b.leases) == SHARDS and b.taking_over() == 0


def test_an_instance_at_its_share_is_not_taking_over(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    b.join()
    for _ in range(3):
        clock.advance(LEASE / 3)
        a.loop()
        b.loop()
    settle(a, {"b": b})
    c = member(clock, "c")
    c.join()
    a.loop()  # a's share is now a third: it hands some over to c
    settle(a, {"c": c})
    assert len(a.leases) == fair_share(3) and a.taking_over() == 0
    b.loop()
    settle(b, {"c": c})
    assert len(b.leases) == fair_share(3) and b.taking_over() == 0
    c.loop()
    assert len(c.leases) == SHARDS - 2 * fair_share(3) and c.taking_over() == 0


def test_a_second_instance_with_a_live_id_is_refused(db, clock):
    member(clock, "a").join()
    with pytest.raises(InstanceAlive, match="instance_id 'a' is alive already"):
        member(clock, "a").join()
    clock.advance(LEASE + 0.1)  # dead now: its id may be used again
    member(clock, "a").join()


def test_ownership_is_the_same_in_every_process():
    # pinned: every instance, of any version, must agree on where a radio lives
    assert (shard_of("radio-1"), shard_of("radio-2")) == (79, 245)
    assert shard_of("s1") == 240  # a streamer: by its name alike


def test_a_take_is_loaded_off_the_beat_which_renews_it_meanwhile(db, clock):
    changes = []
    a, b = member(clock, "a"), member(clock, "b", changes)
    a.join()
    b.join()  # a holds every shard
    loads = []
    b.spawn = lambda load, taken: loads.append((load, taken))  # run below, when we say
    clock.advance(LEASE + 0.01)  # a killed -9: its heartbeat and leases run out
    b.loop()
    assert len(loads) == 1 and changes == []  # taken in one write, not loaded yet
    radio = "radio-1"
    assert not b.owns_radio(radio) and b.waiting(radio)  # its messages wait for the load
    assert b.epoch_of(radio) == 2  # fenced already: a wrote at 1
    assert b.taking_over() == SHARDS  # /healthz 503 until loaded
    clock.advance(LEASE / 3)
    b.loop()  # the beat goes on while the load runs: it renews the shards being loaded
    assert len(loads) == 1  # one load at a time
    assert StoredShards().owner_of(shard_of(radio), clock.now() + LEASE - 0.01) == "b"
    load, taken = loads[0]
    load(taken)
    assert len(changes) == SHARDS and b.owns_radio(radio) and not b.waiting(radio)
    assert b.taking_over() == 0 and b.steady()


def test_shards_lost_while_loading_are_let_go_once_loaded(db, clock):
    changes = []
    a, b = member(clock, "a"), member(clock, "b", changes)
    a.join()
    b.join()
    loads = []
    b.spawn = lambda load, taken: loads.append((load, taken))
    clock.advance(LEASE + 0.01)  # a killed -9
    b.loop()  # takes every shard, to load them
    clock.advance(LEASE + 0.01)  # b paused while loading: another takes every shard
    c = member(clock, "c")
    c.join()
    b.loop()  # its renewals refused
    load, taken = loads[0]
    load(taken)
    assert b.leases == {} and not b.owns_radio("radio-1")
    assert sorted(shard for kind, shard, *_ in changes if kind == "lost") == list(range(SHARDS))


def test_a_survivor_beats_as_soon_as_a_silent_instance_goes_stale(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()  # then killed -9: its last heartbeat and renewals at this instant
    b.join()
    clock.advance(LEASE - 0.5)
    wait = b.loop()
    assert wait == pytest.approx(0.5 + 0.01)  # not a third of the lease: when a goes stale
    clock.advance(wait)
    b.loop()
    assert b.live == ("b",) and len(b.leases) == SHARDS


def test_the_shards_sent_for_are_those_whose_leases_count_at_the_epoch_written(db, clock):
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    assert a.sending_shards() == {shard: 1 for shard in range(SHARDS)}
    clock.advance(LEASE - LEASE / 3)  # silent: its leases no longer count, nor its marks
    assert a.sending_shards() == {}
    clock.advance(LEASE / 3 + 0.01)
    b.join()
    assert b.sending_shards() == {shard: 2 for shard in range(SHARDS)}  # the taker's epoch
