"""Send marks: how far an instance has sent the plays it decided ahead, shard by shard,
so that the instance taking its radios over neither sends one again nor skips one."""

from yascheduler.fleet.ownership import shard_of
from yascheduler.fleet.send_marks import SendMarks, sent_through_of
from yascheduler.store.send_marks import DEAD_KEPT, SendMark, StoredSendMarks
from yascheduler.support.clock import FakeClock

NOW = 1_800_000_000.0
R1, R2 = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"


class Sending:
    """The membership as the marks see it: the shards whose plays it sends, their epochs."""

    def __init__(self, shards):
        self.shards = shards

    def sending_shards(self):
        return dict(self.shards)


class Events:
    def __init__(self, soonest=None):
        self.soonest = soonest

    def pending_events(self, limit):
        return [] if self.soonest is None else [(self.soonest, R1, "start")]


class Unsent:
    def __init__(self, plays=()):
        self.plays = list(plays)

    def unsent_decided_ahead(self):
        return iter(self.plays)


def marks(shards, soonest=None, plays=(), clock=None):
    stored = StoredSendMarks()
    clock = clock or FakeClock(NOW)
    return SendMarks("i1", Sending(shards), Events(soonest), Unsent(plays), stored, clock)


def test_a_mark_is_now_while_nothing_due_is_left_and_nothing_waits_to_go(db):
    assert marks({3: 7}).current() == {3: (7, NOW)}


def test_a_mark_stops_at_the_next_event_not_processed_yet(db):
    assert marks({3: 7}, soonest=NOW - 2.0).current() == {3: (7, NOW - 2.0)}


def test_a_play_not_yet_published_holds_back_its_own_shard_alone(db):
    s1, s2 = shard_of(R1), shard_of(R2)
    assert s1 != s2
    found = marks({s1: 1, s2: 1}, plays=[(R1, NOW - 3.0)]).current()
    assert found == {s1: (1, NOW - 3.0), s2: (1, NOW)}


def test_a_shard_no_longer_sent_for_keeps_the_mark_it_had(db):
    clock = FakeClock(NOW)
    part = marks({3: 7}, clock=clock)
    part.write_now()
    part.membership.shards = {}  # its lease stopped counting
    clock.set(NOW + 10)
    part.write_now()
    assert StoredSendMarks().all() == {(3, 7): NOW}


def test_the_marks_are_read_back_by_shard_and_epoch_of_every_instance(db):
    stored = StoredSendMarks()
    stored.save("i1", {3: (7, NOW), 4: (2, NOW - 1)}, NOW)
    stored.save("i2", {3: (8, NOW + 5)}, NOW)
    assert stored.all() == {(3, 7): NOW, (4, 2): NOW - 1, (3, 8): NOW + 5}


def test_a_mark_that_cannot_be_read_is_skipped_the_others_kept(db):
    stored = StoredSendMarks()
    stored.save("i1", {3: (7, NOW)}, NOW)
    collection = SendMark._get_collection()
    collection.insert_one({"_id": "i2", "marks": '{"x": "nonsense", "5": [1]}'})
    collection.insert_one({"_id": "i3", "marks": "{not json"})
    assert stored.all() == {(3, 7): NOW}


def test_the_marks_of_an_instance_gone_long_are_forgotten(db):
    stored = StoredSendMarks()
    stored.save("gone", {3: (7, NOW)}, NOW - DEAD_KEPT - 1)
    stored.save("here", {4: (1, NOW)}, NOW)
    assert stored.forget_gone(NOW) == 1
    assert stored.all() == {(4, 1): NOW}


def test_a_stored_timeline_is_told_its_writers_mark_by_its_shard_and_epoch():
    sent_through = sent_through_of({(shard_of(R1), 7): NOW})
    assert sent_through({"_id": R1, "epoch": 7}) == NOW
    assert sent_through({"_id": R1, "epoch": 6}) is None  # another writer's document
    assert sent_through({"_id": R1}) is None  # written before the fleet: no mark
