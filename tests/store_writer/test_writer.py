"""The store writer: changes merged per document and written in bulk, at most
write_delay after they happen; kept and written once a store that went away is back;
one the store refuses for good logged and dropped; the backlog bounded."""

import logging

import pytest

from yascheduler.store import connection
from yascheduler.store.outbox import OutboxItem, StoredOutbox
from yascheduler.store.pending import Backlog
from yascheduler.store.sessions import ListenerSession, StoredSessions
from tests.store_contract.conftest import stored_masters
from yascheduler.store.streams import StoredStreams
from tests.harness import stored_timeline_uuids
from yascheduler.store.timelines import RadioTimeline, StoredTimelines
from yascheduler.store.writer import MAX_RETRY, Mark, Writer
from yascheduler.support.clock import FakeClock
from yascheduler.support.metrics import Metrics
from yascheduler.support.shards import shard_of
from tests.store_contract.test_contract_outbox import Item

DELAY = 0.05


class Parts:
    """Repositories sharing a backlog, and their writer, on a clock the test moves."""

    def __init__(self, limit=1000):
        self.clock = FakeClock()
        self.backlog = Backlog(limit, timer=self.clock.now)
        self.streams = StoredStreams(self.backlog)
        self.sessions = StoredSessions(self.backlog)
        self.timelines = StoredTimelines(self.backlog)
        self.outbox = StoredOutbox(self.backlog)
        self.metrics = Metrics()
        repositories = [self.streams, self.sessions, self.timelines, self.outbox]
        self.writer = Writer(
            self.backlog, repositories, DELAY, connection.ping, self.metrics, self.clock.now
        )


def written(metrics) -> float:
    return metrics.store_documents_written._value.get()


def test_changes_are_written_together_write_delay_after_the_first_one_per_document(db):
    parts = Parts()
    parts.streams.add("r1", "s1", 1.0)
    parts.clock.advance(0.02)
    parts.streams.change("r1", "s2", 2.0)
    key = parts.sessions.open("l1", "r1", "s2", 7, 3.0)
    parts.sessions.close(key, 9.5, 6)
    parts.timelines.save("r1", {"event_at": 5.0, "song_starts.1": 4.0})
    parts.timelines.save("r1", {"event_at": 6.0, "song_starts.2": 5.0})
    assert parts.writer.loop() == pytest.approx(DELAY - 0.02)  # the first is 0.02 s old
    assert stored_masters() == {}  # nothing written yet
    parts.clock.advance(DELAY - 0.02)
    assert parts.writer.loop() == 0
    assert stored_masters() == {"r1": ("s2", 2.0)}
    session = ListenerSession.objects.get(key=key)
    assert (session.started_at, session.ended_at, session.duration) == (3.0, 9.5, 6)
    timeline = RadioTimeline._get_collection().find_one({"_id": "r1"})
    merged = {"event_at": 6.0, "song_starts": {"1": 4.0, "2": 5.0}, "shard": shard_of("r1")}
    assert timeline == {"_id": "r1", **merged}
    assert written(parts.metrics) == 3  # six changes, three documents
    assert parts.writer.caught_up() and parts.writer.loop() > 0  # nothing left: it waits


def test_outbox_items_get_their_seqs_as_they_are_written_and_only_then_count_as_stored(db):
    parts = Parts()
    stored = []
    parts.outbox.on_stored = stored.extend
    items = [Item("stopped", "r1", {"listening_duration": n}, float(n)) for n in range(3)]
    for item in items:
        parts.outbox.insert(item)
    parts.outbox.delete([])  # nothing to delete: nothing changes
    assert (stored, OutboxItem.objects.count(), len(parts.backlog.queues[-1])) == ([], 0, 3)
    parts.clock.advance(DELAY)
    parts.writer.loop()
    assert stored == items and [item.seq for item in items] == [1, 2, 3]
    assert sorted(item.seq for item in OutboxItem.objects) == [1, 2, 3]


def test_a_store_that_went_away_gets_everything_once_it_is_back_the_newer_changes_winning(
    own_store, caplog
):
    parts = Parts()
    parts.streams.add("r1", "s1", 1.0)
    parts.clock.advance(DELAY)
    parts.writer.loop()
    assert stored_masters()["r1"][0] == "s1"

    own_store.stop()
    parts.streams.change("r1", "s2", 2.0)
    parts.streams.add("r2", "s2", 2.0)
    parts.outbox.insert(item := Item("stopped", "r1", {}, 2.0))
    parts.clock.advance(DELAY)
    waits = [parts.writer.loop()]
    assert not parts.writer.reachable and not parts.writer.answers()
    assert parts.backlog.pending() == 3 and item.seq is None  # its seq could not be reserved
    parts.streams.change("r1", "s3", 3.0)  # merged with the change put back
    parts.streams.remove("r2")
    waits += [parts.writer.loop() for _ in range(5)]
    assert waits == [0.1, 0.2, 0.4, 0.8, 1.6, MAX_RETRY]  # retried, with a capped backoff
    warnings = [r.getMessage() for r in caplog.records if r.name == "yascheduler.store"]
    assert len([w for w in warnings if w.startswith("store unreachable (")]) == 1  # once

    own_store.start()
    parts.writer.loop()
    assert parts.writer.reachable and parts.writer.caught_up()
    assert {r: m for r, (m, _) in stored_masters().items()} == {"r1": "s3"}
    assert [stored.seq for stored in OutboxItem.objects] == [item.seq]
    assert "store reachable again after" in caplog.text


def test_a_change_the_store_refuses_for_good_is_logged_with_what_it_was_and_dropped(db, caplog):
    parts = Parts()
    parts.timelines.save("r1", {"broken": None})
    parts.timelines.save("r2", {"broken": {1, 2}})  # a set: no store can hold it
    parts.timelines.save("r3", {"broken": None})
    parts.clock.advance(DELAY)
    with caplog.at_level(logging.ERROR, "yascheduler.store"):
        parts.writer.loop()
    assert stored_timeline_uuids() == ["r1", "r3"]
    assert parts.writer.caught_up() and parts.writer.reachable
    [refused] = [r.getMessage() for r in caplog.records if "refused for good" in r.getMessage()]
    assert refused.startswith("store refused for good radio r2's timeline: InvalidDocument")
    assert parts.metrics.store_changes_refused._value.get() == 1


def test_at_the_bound_changes_to_other_documents_are_dropped_counted_and_logged_once(db, caplog):
    parts = Parts(limit=2)
    parts.streams.add("r1", "s1", 1.0)
    parts.streams.add("r2", "s1", 1.0)
    parts.streams.add("r3", "s1", 1.0)  # dropped
    parts.streams.add("r4", "s1", 1.0)  # dropped
    parts.streams.change("r1", "s2", 2.0)  # waiting already: merged
    assert parts.outbox.insert(Item("stopped", "r1", {}, 1.0)) is False
    assert (parts.backlog.pending(), parts.backlog.dropped, parts.backlog.full) == (2, 3, True)
    assert caplog.text.count("store backlog full") == 1
    parts.clock.advance(DELAY)
    parts.writer.loop()
    assert {r: m for r, (m, _) in stored_masters().items()} == {"r1": "s2", "r2": "s1"}
    parts.streams.add("r3", "s1", 3.0)  # room again
    assert (parts.backlog.pending(), parts.backlog.full) == (1, False)


def test_the_barrier_of_a_radio_waits_for_its_changes_queued_before_not_after_or_others(db):
    parts = Parts()
    parts.streams.add("r1", "s1", 1.0)
    parts.streams.add("r2", "s1", 1.0)
    r1_then, everything = parts.writer.mark("r1"), parts.writer.mark(None)
    assert parts.writer.stored(parts.writer.mark("r3"))  # nothing of r3's waits
    assert not parts.writer.stored(r1_then)
    queued_meanwhile = []

    def landed(_radios):  # as the chunk lands, before the turn ends: r1 changes again
        if not queued_meanwhile:
            parts.timelines.save("r1", {"event_at": 9.0})
            # its mark as the barrier numbers it, no message waiting for it (which would
            # put it first: test_first.py)
            queued_meanwhile.append(Mark("r1", parts.backlog.queued))

    parts.writer.listeners.append(landed)
    parts.clock.advance(DELAY)
    parts.writer.write_pending()
    assert parts.writer.stored(r1_then) and parts.writer.stored(everything)
    assert not parts.writer.stored(queued_meanwhile[0])  # r1's newer change waits
    parts.writer.write_pending()
    assert parts.writer.stored(queued_meanwhile[0])


def test_an_insert_whose_outcome_was_unknown_is_written_again_without_a_duplicate(db, caplog):
    parts = Parts()
    parts.outbox.insert(item := Item("stopped", "r1", {"listening_duration": 5}, 1.0))
    [(seq, insert)] = parts.outbox.take().items()
    parts.outbox.collection().insert_one({**insert.fields, "_id": seq})  # it did land
    parts.outbox.failed({seq: insert})  # but the writer never heard: it goes again
    parts.clock.advance(DELAY)
    with caplog.at_level(logging.ERROR, "yascheduler.store"):
        parts.writer.loop()
    assert [stored.seq for stored in OutboxItem.objects] == [item.seq]
    assert parts.writer.caught_up() and "refused for good" not in caplog.text


def test_the_deletes_of_a_turn_and_its_other_changes_all_land(db):
    parts = Parts()
    for radio in ("r1", "r2", "r3"):
        parts.streams.add(radio, "s1", 1.0)
    parts.clock.advance(DELAY)
    parts.writer.loop()
    parts.streams.remove("r1")
    parts.streams.remove("r3")
    parts.streams.change("r2", "s2", 2.0)
    parts.streams.add("r4", "s2", 2.0)
    parts.clock.advance(DELAY)
    parts.writer.loop()
    assert {r: m for r, (m, _) in stored_masters().items()} == {"r2": "s2", "r4": "s2"}
    assert parts.writer.caught_up() and written(parts.metrics) == 7
