"""The play history gathered among several instances: each bucket's turns gathered into
hours by one instance (the holder of one of the bucket's shards), not by every one,
the buckets spread over the instances; and a
bucket whose shard moves to another instance mid-gathering read as each record once,
its turns all deleted. Two memberships on the real store (fake clock), each with its
own history writer."""

import logging

from tests.store_contract.test_contract_plays import RADIOS, T0, track, written_turn
from tests.test_fleet_membership import LEASE, member, settle
from yascheduler.app.play_log import Gathering, gatherer_shard
from yascheduler.store.packed_plays import BUCKET, BUCKETS, bucket_of
from yascheduler.store.pending import Backlog, write_taken
from yascheduler.store.plays import Play, StoredPlays
from yascheduler.support.clock import FakeClock


class Instance:
    """A membership, its play history and its gathering part, which the test turns."""

    def __init__(self, membership):
        self.membership = membership
        self.plays = StoredPlays(Backlog())
        self.gathering = Gathering(self.plays, every=BUCKETS)
        self.gathering.gathers = lambda bucket: membership.holds(gatherer_shard(bucket))

    def turn(self) -> None:
        """One turn of the gathering part, then of the writer."""
        self.gathering.loop()
        write_taken(self.plays, self.plays.take())


def two_instances(clock) -> tuple[Instance, Instance]:
    a, b = member(clock, "a"), member(clock, "b")
    a.join()
    b.join()
    a.loop()  # b live: a hands half of the shards over
    settle(a, {"b": b})
    for _ in range(3):
        clock.advance(LEASE / 3)
        a.loop()
        b.loop()
    assert a.leases and b.leases
    return Instance(a), Instance(b)


def history(plays: StoredPlays) -> dict[str, list[float]]:
    return {
        radio: [row["started_at"] for row in plays.page(radio, None, None, 0, 100)]
        for radio in RADIOS
    }


def stored() -> tuple[int, int]:
    """(turns, hours) in the store."""
    documents = list(Play._get_collection().find({}, {BUCKET: 1}))
    turns = sum(1 for document in documents if BUCKET in document)
    return turns, len(documents) - turns


def gathered(caplog) -> list[int]:
    """The buckets gathered, as the log says, once a gathering each (cleared)."""
    buckets = [
        record.args[1]
        for record in caplog.records
        if record.name == "yascheduler.history" and "gathered by hour" in record.msg
    ]
    caplog.clear()
    return sorted(buckets)


def three_hours(plays: StoredPlays) -> None:
    """Every radio starting a track every 30 minutes for three hours, a turn each."""
    for turn in range(6):
        written_turn(plays, [track(radio, T0 + turn * 1800 + k) for k, radio in enumerate(RADIOS)])


def test_each_bucket_is_gathered_by_one_instance_and_the_buckets_by_both(db, caplog):
    caplog.set_level(logging.INFO, "yascheduler.history")
    a, b = two_instances(FakeClock())
    three_hours(a.plays)
    expected = history(a.plays)
    for _ in range(BUCKETS):  # both gather in step, bucket by bucket
        a.turn()
        b.turn()
    a.turn()
    b.turn()  # the turns gathered deleted
    buckets = {bucket_of(radio) for radio in RADIOS}
    assert gathered(caplog) == sorted(buckets)  # each once, by one instance
    assert stored() == (0, 3 * len(RADIOS))  # an hour a radio
    assert history(a.plays) == history(b.plays) == expected
    for instance, other in ((a, b), (b, a)):  # each gathered the buckets of its shards
        theirs = {b for b in buckets if instance.membership.holds(gatherer_shard(b))}
        assert theirs and not any(other.membership.holds(gatherer_shard(b)) for b in theirs)


def test_a_bucket_whose_shard_moves_mid_gathering_is_read_as_each_record_once(db, caplog):
    caplog.set_level(logging.INFO, "yascheduler.history")
    clock = FakeClock()
    a = Instance(member(clock, "a"))
    a.membership.join()  # a alone: every shard
    three_hours(a.plays)
    a.gathering.loop()  # bucket 0's hours queued, not yet stored: a is paused
    clock.advance(LEASE + 0.1)  # a's leases expire
    b = Instance(member(clock, "b"))
    b.membership.join()  # b takes every shard, shard 0 among them
    assert b.membership.holds(gatherer_shard(0)) and not a.membership.holds(gatherer_shard(0))
    radio = next(radio for radio in RADIOS if bucket_of(radio) == 0)
    written_turn(b.plays, [track(radio, T0 + 4 * 3600)])  # one more turn, b's
    b.turn()  # b gathers bucket 0: the same turns and one more
    write_taken(a.plays, a.plays.take())  # a back: its hours of bucket 0 land late
    a.membership.loop()  # its renewal refused: the shards are b's
    assert gathered(caplog) == [0, 0]  # by a, then by b
    a.turn()  # a deletes the turns it gathered, and gathers bucket 1 no more
    assert gathered(caplog) == []
    b.turn()  # b deletes those it gathered (and gathers bucket 1)
    assert history(b.plays)[radio][0] == T0 + 4 * 3600
    assert history(a.plays) == history(b.plays)
    starts = history(b.plays)[radio]
    assert len(starts) == len(set(starts)) == 7  # each record once
    assert Play._get_collection().count_documents({BUCKET: 0}) == 0  # its turns deleted
