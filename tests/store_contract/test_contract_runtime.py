"""The contract of the runtime repositories: streamers, radio masters, listener sessions,
counters and the web app's token answers."""

from tests.store_contract.conftest import raw, skipped
from yascheduler.store.counters import StoredCounters
from yascheduler.store.sessions import ListenerSession, OpenRecord, StoredSessions
from yascheduler.store.streamers import StoredStreamers, Streamer
from yascheduler.store.streams import ShardMasters, StoredStreams
from yascheduler.support.shards import shard_of
from yascheduler.store.tokens import Answer, StoredTokens, VouchedToken

# --- streamers -------------------------------------------------------------------------


def test_streamers_registered_come_back_seen_and_removed(backend):
    streamers = StoredStreamers()
    streamers.register("s1", 10.0)
    streamers.register("s2", 11.0)
    streamers.register("s1", 12.0)  # registered again
    streamers.seen("s2", 20.0)
    assert sorted(streamers.names()) == ["s1", "s2"]
    stored = {s.name: (s.registered_at, s.last_seen_at) for s in Streamer.objects}
    assert stored == {"s1": (12.0, 12.0), "s2": (11.0, 20.0)}
    streamers.remove("s1")
    streamers.remove("never")
    assert streamers.names() == ["s2"]
    assert (streamers.clear(), streamers.names()) == (1, [])


def test_a_streamer_record_that_cannot_be_decoded_is_skipped(backend, caplog):
    StoredStreamers().register("s1", 1.0)
    raw(Streamer).insert_one({"_id": 42, "registered_at": 1.0, "last_seen_at": 1.0})
    assert StoredStreamers().names() == ["s1"]
    assert len(skipped(caplog, "streamer")) == 1


# --- radio masters ----------------------------------------------------------------------


def test_masters_added_changed_and_removed_come_back(backend):
    streams = StoredStreams()
    streams.add("r1", "s1", 1.0)
    streams.add("r2", "s1", 2.0)
    streams.change("r2", "s2", 3.0)
    streams.remove("r1")
    streams.remove("never")
    assert streams.masters() == {"r2": "s2"}
    assert raw(ShardMasters).find_one({"radios.r2": {"$exists": True}})["radios"]["r2"][1] == 3.0
    assert (streams.clear(), streams.masters()) == (1, {})


def test_adding_a_master_over_a_record_left_behind_replaces_it(backend):
    StoredStreams().add("r1", "gone", 1.0)
    StoredStreams().add("r1", "s1", 5.0)  # a stop that failed left the first record
    stored = raw(ShardMasters).find_one()
    assert (stored["radios"], raw(ShardMasters).count_documents({})) == ({"r1": ["s1", 5.0]}, 1)


def test_a_master_record_that_cannot_be_decoded_is_skipped(backend, caplog):
    StoredStreams().add("r1", "s1", 1.0)
    raw(ShardMasters).update_one({"_id": shard_of("r1")}, {"$set": {"radios.r2": [7, 1.0]}})
    raw(ShardMasters).insert_one({"_id": 300, "radios": ["not", "a", "mapping"]})
    assert StoredStreams().masters() == {"r1": "s1"}
    assert len(skipped(caplog, "radio stream")) == 2


# --- listener sessions ---------------------------------------------------------------------


def test_sessions_opened_come_back_oldest_first_until_closed(backend):
    sessions = StoredSessions()
    late = sessions.open("a", "r1", "s1", 7, 20.0)
    early = sessions.open("a", "r2", "s2", None, 10.0)  # another streamer's "a"
    none = sessions.open("b", "r1", None, None, 15.0)
    assert len({late, early, none}) == 3
    assert sessions.open_sessions() == [
        OpenRecord(early, "a", "r2", "s2", None, 10.0),
        OpenRecord(none, "b", "r1", None, None, 15.0),
        OpenRecord(late, "a", "r1", "s1", 7, 20.0),
    ]
    sessions.close(early, 40.5, 30)
    assert [record.key for record in sessions.open_sessions()] == [none, late]
    closed = ListenerSession.objects.get(key=early)
    assert (closed.ended_at, closed.duration, closed.streamer) == (40.5, 30, "s2")
    assert StoredSessions().clear() == 3


def test_a_session_opened_again_after_its_close_replaces_its_record(backend):
    sessions = StoredSessions()
    key = sessions.open("a", "r1", "s1", 7, 10.0)
    sessions.close(key, 20.0, 10)
    assert sessions.open("a", "r2", "s1", None, 30.0) == key
    assert sessions.open_sessions() == [OpenRecord(key, "a", "r2", "s1", None, 30.0)]
    stored = raw(ListenerSession).find_one({"_id": key})
    assert stored == {
        "_id": key,
        "session_id": "a",
        "radio_uuid": "r2",
        "streamer": "s1",
        "started_at": 30.0,
    }


def test_session_keys_keep_streamers_and_ids_apart(backend):
    sessions = StoredSessions()
    keys = {sessions.open(i, "r1", s, None, 1.0) for s, i in [("a:b", "c"), ("a", "b:c")]}
    keys.add(sessions.open("a:b:c", "r1", None, None, 1.0))
    assert len(keys) == 3 and len(sessions.open_sessions()) == 3


def test_a_session_stored_by_an_older_version_comes_back_under_its_own_key(backend):
    raw(ListenerSession).insert_one(
        {"_id": "l1", "radio_uuid": "r1", "streamer": "s1", "user_id": 4, "started_at": 100.0}
    )
    assert StoredSessions().open_sessions() == [OpenRecord("l1", "l1", "r1", "s1", 4, 100.0)]


def test_a_session_record_that_cannot_be_decoded_is_skipped(backend, caplog):
    key = StoredSessions().open("a", "r1", "s1", None, 5.0)
    raw(ListenerSession).insert_many(
        [
            {"_id": "no-radio", "session_id": "x", "started_at": 1.0},
            {"_id": "bad-start", "session_id": "y", "radio_uuid": "r1", "started_at": "noon"},
            {
                "_id": "bad-user",
                "session_id": "z",
                "radio_uuid": "r1",
                "started_at": 1.0,
                "user_id": "7",
            },
        ]
    )
    assert [record.key for record in StoredSessions().open_sessions()] == [key]
    assert len(skipped(caplog, "listener session")) == 3


# --- counters -------------------------------------------------------------------------------


def test_counters_reserve_blocks_that_never_overlap(backend):
    counters = StoredCounters()
    assert counters.reserve("outbox", 1000) == 1000
    assert counters.reserve("outbox", 1000) == 2000
    assert counters.reserve("other", 5) == 5
    assert StoredCounters().reserve("outbox", 1) == 2001  # a restart goes on from the store
    assert counters.clear() == 2
    assert counters.reserve("outbox", 3) == 3


# --- the web app's token answers -----------------------------------------------------------


def test_token_answers_come_back_oldest_first_the_older_ones_deleted(backend):
    tokens = StoredTokens()
    tokens.save("t1", 1, True, 10.0)
    tokens.save("t2", None, False, 20.0)
    tokens.save("t3", 3, False, 30.0)
    tokens.save("t1", 1, False, 40.0)  # answered again: newest now
    assert tokens.newest(10) == [
        Answer("t2", None, False),
        Answer("t3", 3, False),
        Answer("t1", 1, False),
    ]
    assert tokens.newest(2) == [Answer("t3", 3, False), Answer("t1", 1, False)]
    assert sorted(token.token for token in VouchedToken.objects) == ["t1", "t3"]
    assert (tokens.clear(), tokens.newest(2)) == (2, [])


def test_a_token_answer_that_cannot_be_decoded_is_skipped_without_naming_it(backend, caplog):
    StoredTokens().save("good", 1, False, 10.0)
    raw(VouchedToken).insert_one({"_id": "secret-token", "user_id": "one", "at": 20.0})
    assert StoredTokens().newest(10) == [Answer("good", 1, False)]
    [line] = skipped(caplog, "token answer")
    assert "secret-token" not in line
