"""Fencing (store/changes.py): a radio's documents written by an owner whose epoch is
behind the one stored are refused, on every backend; the new owner's writes land."""

import pytest

from tests.store_contract.conftest import raw
from yascheduler.store.sessions import ListenerSession, StoredSessions
from yascheduler.store.streams import ShardMasters, StoredStreams
from yascheduler.support.shards import shard_of
from yascheduler.store.timelines import RadioTimeline, StoredTimelines
from yascheduler.support.errors import StoreError


def fenced(repository, epochs: dict):
    repository.epoch_of = lambda radio: epochs[radio]
    return repository


def test_a_stale_owner_cannot_overwrite_or_delete_a_timeline(backend):
    epochs = {"r1": 1}
    timelines = fenced(StoredTimelines(), epochs)
    timelines.save("r1", {"broken": "old owner"})
    epochs["r1"] = 2  # another instance took the shard
    timelines.save("r1", {"broken": "new owner"})
    epochs["r1"] = 1  # the old owner, paused meanwhile, writes what it had
    with pytest.raises(StoreError, match="radio r1's timeline"):
        timelines.save("r1", {"broken": "stale"})
    with pytest.raises(StoreError):
        timelines.insert({"r1": {"broken": "stale whole"}})
    timelines.delete("r1")
    stored = raw(RadioTimeline).find_one({"_id": "r1"})
    assert (stored["broken"], stored["epoch"]) == ("new owner", 2)


def test_a_document_stored_before_fencing_takes_a_fenced_write(backend):
    raw(ShardMasters).insert_one({"_id": shard_of("r1"), "radios": {"r1": ["s1", 1.0]}})
    streams = fenced(StoredStreams(), {"r1": 5})
    streams.change("r1", "s2", 2.0)
    assert raw(ShardMasters).find_one()["radios"] == {"r1": ["s2", 2.0]}
    streams.epoch_of = lambda radio: 4
    streams.remove("r1")  # matches nothing: the newer owner's master stays
    assert raw(ShardMasters).find_one() == {
        "_id": shard_of("r1"), "radios": {"r1": ["s2", 2.0]}, "epoch": 5
    }  # fmt: skip


def test_a_document_with_a_null_epoch_takes_a_fenced_write(backend):
    raw(RadioTimeline).insert_one({"_id": "r1", "broken": "before", "epoch": None})
    timelines = fenced(StoredTimelines(), {"r1": 1})
    timelines.save("r1", {"broken": "after"})
    stored = raw(RadioTimeline).find_one({"_id": "r1"})
    assert (stored["broken"], stored["epoch"]) == ("after", 1)


def test_a_stale_owner_cannot_close_a_session_the_new_owner_holds(backend):
    epochs = {"r1": 3}
    sessions = fenced(StoredSessions(), epochs)
    key = sessions.open("l1", "r1", "s1", None, 10.0)
    epochs["r1"] = 2
    sessions.close(key, 20.0, 10, radio_uuid="r1")
    assert raw(ListenerSession).find_one({"_id": key}).get("ended_at") is None
    epochs["r1"] = 3
    sessions.close(key, 30.0, 20, radio_uuid="r1")
    assert raw(ListenerSession).find_one({"_id": key})["ended_at"] == 30.0


def test_a_fenced_write_lands_on_its_own_document_never_on_one_without_an_epoch(backend):
    """nx-27017 (0.8.1) joined an `$or` beside the `_id` as `_id = ? AND a OR b`: the
    write went to the first document without an epoch, another shard's."""
    raw(ShardMasters).insert_one({"_id": 300, "radios": {"r0": ["old", 0.0]}})  # no epoch
    streams = fenced(StoredStreams(), {"r1": 1})
    streams.add("r1", "s1", 1.0)
    streams.change("r1", "s2", 2.0)
    assert raw(ShardMasters).find_one({"_id": 300})["radios"] == {"r0": ["old", 0.0]}
    assert raw(ShardMasters).find_one({"_id": shard_of("r1")})["radios"] == {"r1": ["s2", 2.0]}
    streams.remove("r1")
    assert raw(ShardMasters).find_one({"_id": shard_of("r1")})["radios"] == {}


def test_a_fenced_write_lands_on_its_own_radio_only(backend):
    """Beside a document with no epoch (stored before fencing), fenced writes of another
    radio change that radio alone, and a stale one changes nothing."""
    raw(RadioTimeline).insert_one({"_id": "r0", "broken": "before fencing"})
    epochs = {"r1": 1, "r2": 1}
    timelines = fenced(StoredTimelines(), epochs)
    timelines.save("r1", {"broken": "first"})
    timelines.save("r1", {"broken": "second"})
    timelines.save("r2", {"broken": "r2's"})
    epochs["r2"] = 3
    timelines.save("r2", {"broken": "r2 taken over"})
    epochs["r2"] = 1  # its old owner, late
    with pytest.raises(StoreError):
        timelines.save("r2", {"broken": "stale"})
    stored = {d["_id"]: d["broken"] for d in raw(RadioTimeline).find()}
    assert stored == {"r0": "before fencing", "r1": "second", "r2": "r2 taken over"}
    assert raw(RadioTimeline).count_documents({}) == 3
