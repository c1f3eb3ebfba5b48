"""The contract of the radio timelines repository (programming.interface.TimelineStore)."""

import logging

import pytest

from tests.store_contract.conftest import raw, skipped
from yascheduler.programming.persistence import timeline_from_stored
from yascheduler.app.repositories import Repositories
from yascheduler.store.timelines import RadioTimeline, StoredTimelines

SEGMENT = {"kind": "song", "song_id": 1, "filename": "a.mp3", "duration": 200.0,
           "offset": 0.0, "starts_at": 100.0, "playlist_id": 10}  # fmt: skip


def as_stored(document: dict) -> dict:
    """A record as load_all gives it to its decode: without its key."""
    return {name: value for name, value in document.items() if name != "_id"}


def test_inserted_timelines_come_back_whole(backend):
    timelines = StoredTimelines()
    whole = {"current": SEGMENT, "boundary": 300.0, "event_at": 295.0, "event_kind": "prepare",
             "song_starts": {"1": 100.0}, "show_positions": {}, "jingle_counters": []}  # fmt: skip
    timelines.insert({"r1": whole, "r2": {"broken": "nothing playable"}})
    timelines.insert({})
    stored = timelines.load_all(as_stored)
    read = {**whole, "song_starts": {1: 100.0}}  # packed: read back keyed by song id
    assert stored == {"r1": read, "r2": {"broken": "nothing playable"}}


def test_saved_changes_set_their_fields_and_the_song_starts_whole(backend):
    timelines = StoredTimelines()
    timelines.insert({"r1": {"current": SEGMENT, "song_starts": {"1": 100.0}}})
    starts = {1: 100.0, 2: 300.0}  # the engine's own: what it holds at the save is stored
    timelines.save("r1", {"next": SEGMENT, "song_starts": starts, "event_kind": None})
    starts[3] = 400.0
    timelines.save("r2", {"broken": "nothing playable"})  # a timeline it did not have
    stored = timelines.load_all(as_stored)
    assert stored["r1"] == {
        "current": SEGMENT,
        "next": SEGMENT,
        "song_starts": {1: 100.0, 2: 300.0},
        "event_kind": None,
    }
    assert stored["r2"] == {"broken": "nothing playable"}


def test_deleted_timelines_are_gone(backend):
    timelines = StoredTimelines()
    timelines.insert({"r1": {}, "r2": {}})
    timelines.delete("r1")
    timelines.delete("never")
    assert list(timelines.load_all(as_stored)) == ["r2"]
    assert (timelines.clear(), timelines.load_all(as_stored)) == (1, {})


def test_a_timeline_that_cannot_be_decoded_is_skipped_and_replaced_by_a_new_one(backend, caplog):
    timelines = StoredTimelines()
    timelines.insert({"good": {"current": SEGMENT}})
    raw(RadioTimeline).insert_many(
        [
            {"_id": "no-file", "current": {**SEGMENT, "filename": None}},
            {"_id": "bad-event", "event_kind": "prepare", "event_at": "soon"},
            {"_id": "bad-start", "song_starts": {"x": 1.0}},
            {"_id": "bad-packed-start", "song_starts": '{"1": "soon"}'},
            {"_id": "bad-packed-song", "song_starts": '{"x": 1.0}'},
            {"_id": 7, "current": SEGMENT},
        ]
    )
    loaded = timelines.load_all(timeline_from_stored)
    assert list(loaded) == ["good"] and loaded["good"].timeline.current.filename == "a.mp3"
    assert len(skipped(caplog, "radio timeline")) == 6
    # the engine programs a skipped radio afresh: its new timeline takes the place
    timelines.insert({"no-file": {"current": SEGMENT}, "new": {}})
    assert sorted(timelines.load_all(timeline_from_stored)) == ["good", "new", "no-file"]


@pytest.mark.parametrize("event", [None, (295.0, "prepare")])
def test_the_engine_reads_back_what_it_stored(backend, event):
    stored = {"current": SEGMENT, "boundary": 300.0, "song_starts": {"1": 100.0}}
    if event is not None:
        stored.update(event_at=event[0], event_kind=event[1])
    StoredTimelines().insert({"r1": stored})
    timeline = StoredTimelines().load_all(timeline_from_stored)["r1"]
    assert (timeline.event, timeline.song_starts) == (event, {1: 100.0})
    assert (timeline.timeline.boundary, timeline.timeline.current.starts_at) == (300.0, 100.0)


def test_the_indexes_older_versions_made_on_broken_are_dropped_others_kept(backend, caplog):
    raw(RadioTimeline).create_index("broken")
    raw(RadioTimeline).create_index([("broken", 1), ("event_at", 1)])  # not ours: kept
    with caplog.at_level(logging.INFO, "yascheduler.store"):
        Repositories().drop_unread_indexes()
    kept = [["broken", "event_at"], ["shard"]]  # ours: a take reads by shard
    assert indexed(RadioTimeline) == kept
    assert caplog.text.count("(nothing reads by it)") == 1
    Repositories().drop_unread_indexes()  # none left: nothing to do


def indexed(document) -> list[list[str]]:
    """The fields of each index of the document's collection but `_id`'s."""
    indexes = raw(document).index_information().values()
    fields = ([key for key, _ in info["key"]] for info in indexes)
    return sorted(keys for keys in fields if keys != ["_id"])


def test_every_stored_timeline_is_read_however_many_batches_it_takes(backend, monkeypatch):
    monkeypatch.setattr("yascheduler.store.timelines.READ_BATCH", 2)  # 5 timelines: 3 batches
    timelines = StoredTimelines()
    timelines.insert({f"r{n}": {"broken": f"reason {n}"} for n in range(5)})
    stored = timelines.load_all(as_stored)
    assert stored == {f"r{n}": {"broken": f"reason {n}"} for n in range(5)}


def test_segments_counters_show_positions_and_song_starts_are_stored_packed(backend):
    counters = [{"jingle_id": "j1", "songs": 2}]
    StoredTimelines().insert({"r1": {"current": SEGMENT, "jingle_counters": counters}})
    StoredTimelines().save("r1", {"next": SEGMENT, "song_starts": {1: 100.0}, "interrupted": None})
    stored = raw(RadioTimeline).find_one({"_id": "r1"})
    assert isinstance(stored["current"], str) and isinstance(stored["next"], str)
    assert isinstance(stored["jingle_counters"], str) and stored["interrupted"] is None
    assert stored["song_starts"] == '{"1":100.0}'
    [read] = StoredTimelines().load_all(as_stored).values()
    assert read == {"current": SEGMENT, "next": SEGMENT, "jingle_counters": counters,
                    "interrupted": None, "song_starts": {1: 100.0}}  # fmt: skip


def test_a_timeline_an_older_version_stored_unpacked_resumes_and_is_packed_as_it_changes(
    backend,
):
    older = {"_id": "r1", "current": SEGMENT, "show_positions": {"10": {"next": 2}},
             "boundary": 300.0, "event_at": 295.0, "event_kind": "prepare"}  # fmt: skip
    raw(RadioTimeline).insert_one(older)
    [resumed] = StoredTimelines().load_all(timeline_from_stored).values()
    assert resumed.timeline.current.filename == "a.mp3" and resumed.event == (295.0, "prepare")

    StoredTimelines().save("r1", {"next": SEGMENT})  # the engine's next event

    stored = raw(RadioTimeline).find_one({"_id": "r1"})
    assert isinstance(stored["next"], str) and stored["current"] == SEGMENT
    [read] = StoredTimelines().load_all(as_stored).values()
    assert read == {**as_stored(older), "next": SEGMENT}


def test_song_starts_an_older_version_set_one_by_one_resume_and_are_packed_at_the_next_start(
    backend,
):
    older = {"_id": "r1", "current": SEGMENT, "song_starts": {"1": 100.0, "7": 50.0}}
    raw(RadioTimeline).insert_one(older)
    [resumed] = StoredTimelines().load_all(timeline_from_stored).values()
    assert resumed.song_starts == {1: 100.0, 7: 50.0}

    StoredTimelines().save("r1", {"song_starts": {1: 100.0, 7: 50.0, 2: 300.0}})

    assert isinstance(raw(RadioTimeline).find_one({"_id": "r1"})["song_starts"], str)
    [resumed] = StoredTimelines().load_all(timeline_from_stored).values()
    assert resumed.song_starts == {1: 100.0, 7: 50.0, 2: 300.0}
