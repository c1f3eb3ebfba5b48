"""What the store keeps of listening sessions."""

from yascheduler import models
from yascheduler.clock import FakeClock
from yascheduler.listeners import Listeners


def stored(session_id):
    return models.ListenerSession.objects.get(session_id=session_id)


def test_a_session_is_stored_open_then_closed_with_its_whole_seconds(db):
    clock = FakeClock()
    listeners = Listeners(clock)
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
    listeners = Listeners(clock)
    listeners.open("l1", "r1", None, "s1")
    clock.advance(5)
    listeners.close("l1")
    listeners.open("l1", "r2", 3, "s2")
    again = stored("l1")
    assert (again.radio_uuid, again.user_id, again.ended_at) == ("r2", 3, None)
    restarted = Listeners(clock)
    restarted.load()
    assert [s.radio_uuid for s in restarted.of_radio("r2")] == ["r2"]
