"""What the store keeps of listening sessions, and how a message finds its session."""

from yascheduler.store.sessions import ListenerSession, StoredSessions
from yascheduler.support.clock import FakeClock
from yascheduler.streaming.sessions import Listeners


def stored(session_id, streamer="s1"):
    return ListenerSession.objects.get(session_id=session_id, streamer=streamer)


def test_a_session_is_stored_open_then_closed_with_its_whole_seconds(db):
    clock = FakeClock()
    listeners = Listeners(clock, StoredSessions())
    started = clock.now()
    listeners.open("l1", "r1", 7, "s1")
    session = stored("l1")
    assert (session.radio_uuid, session.user_id, session.streamer) == ("r1", 7, "s1")
    assert (session.started_at, session.ended_at, session.duration) == (started, None, None)
    clock.advance(12.9)
    listeners.close("l1")
    assert (stored("l1").ended_at, stored("l1").duration) == (started + 12.9, 12)


def test_a_session_id_used_again_after_its_close_is_a_new_session(db):
    clock = FakeClock()
    listeners = Listeners(clock, StoredSessions())
    listeners.open("l1", "r1", None, "s1")
    clock.advance(5)
    listeners.close("l1", "s1")
    listeners.open("l1", "r2", 3, "s1")
    again = stored("l1")
    assert (again.radio_uuid, again.user_id, again.ended_at) == ("r2", 3, None)
    restarted = Listeners(clock, StoredSessions())
    restarted.load()
    assert [s.radio_uuid for s in restarted.of_radio("r2")] == ["r2"]


def test_two_streamers_reusing_a_session_id_do_not_collide(db):
    clock = FakeClock()
    listeners = Listeners(clock, StoredSessions())
    assert listeners.open("0x7f00", "r1", 1, "s1") is not None
    assert listeners.open("0x7f00", "r1", 2, "s2") is not None
    assert listeners.count("r1") == 2
    clock.advance(10)
    session, duration = listeners.close("0x7f00", "s2")
    assert (session.streamer, session.user_id, duration) == ("s2", 2, 10)
    assert [s.streamer for s in listeners.of_radio("r1")] == ["s1"]
    assert stored("0x7f00", "s1").ended_at is None
    assert stored("0x7f00", "s2").duration == 10
    restarted = Listeners(clock, StoredSessions())
    restarted.load()
    assert [(s.streamer, s.user_id) for s in restarted.of_radio("r1")] == [("s1", 1)]


def test_a_message_naming_no_streamer_finds_an_unambiguous_session(db):
    listeners = Listeners(FakeClock(), StoredSessions())
    listeners.open("a", "r1", None, "s1")
    listeners.open("b", "r1", None, "s1")
    listeners.open("b", "r2", None, "s2")
    assert listeners.close("a") is not None  # one streamer has it: that one
    assert listeners.close("b") is None  # two have it: left open, logged
    assert listeners.count() == 2
    closed, _ = listeners.close("b", radio_uuid="r2")  # the radio tells them apart
    assert closed.streamer == "s2"


def test_a_session_opened_without_a_streamer_is_found_by_a_message_naming_one(db):
    listeners = Listeners(FakeClock(), StoredSessions())
    listeners.open("a", "r1", None, None)
    assert listeners.open("a", "r1", None, None) is None  # open already
    closed, _ = listeners.close("a", "s1")
    assert closed.streamer is None
    assert listeners.count() == 0


def test_a_session_stored_by_the_previous_version_loads_and_closes(db):
    ListenerSession._get_collection().insert_one(
        {"_id": "l1", "radio_uuid": "r1", "streamer": "s1", "user_id": 4, "started_at": 100.0}
    )
    clock = FakeClock(130.0)
    listeners = Listeners(clock, StoredSessions())
    listeners.load()
    session, duration = listeners.close("l1", "s1")
    assert (session.user_id, duration) == (4, 30)
    legacy = ListenerSession._get_collection().find_one({"_id": "l1"})
    assert (legacy["ended_at"], legacy["duration"]) == (130.0, 30)


def test_sessions_open_too_long_are_closed_at_the_limit(db):
    clock = FakeClock()
    listeners = Listeners(clock, StoredSessions())
    started = clock.now()
    listeners.open("old", "r1", None, "s1")
    clock.advance(50)
    listeners.open("new", "r1", None, "s1")
    assert listeners.next_overdue_at(100) == started + 100
    clock.advance(60)  # old: 110 s, new: 60 s
    [(session, duration)] = listeners.close_overdue(100)
    assert (session.session_id, duration) == ("old", 100)
    assert stored("old").ended_at == started + 100
    assert [s.session_id for s in listeners.of_radio("r1")] == ["new"]
    assert listeners.next_overdue_at(100) == started + 150
