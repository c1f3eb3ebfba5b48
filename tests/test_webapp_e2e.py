"""What the web app receives (YAAPP.md) when streamers open and close sessions."""

import pytest

from tests.catalogs import basic_catalog
from yascheduler.support.clock import FakeClock

KEY = "test-scheduler-key"


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def service(make_service, webapp, clock):
    return make_service(basic_catalog(), clock=clock, yaapp_url=webapp.url, yaapp_key=KEY)


def start_radio(streamer, uuid="radio-1"):
    streamer.send(type="play_radio", radio_uuid=uuid)
    streamer.expect("radio_started")
    streamer.expect("play")


def test_known_listener_start_and_stop(service, streamers, webapp, clock):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
    s1.roundtrip()
    clock.advance(42.7)
    s1.send(type="unregister_listener", session_id="l1", radio_uuid="radio-1", user_id=1)
    start, stop = webapp.wait_for(2, "/api/v1/radio/")
    assert (start.method, start.path) == ("POST", "/api/v1/radio/radio-1/start_listening/")
    assert start.query == {"key": KEY, "username": "mat", "api_key": "key-mat", "user_id": "1"}
    assert (stop.method, stop.path) == ("POST", "/api/v1/radio/radio-1/stop_listening/")
    assert stop.query == {
        "key": KEY,
        "username": "mat",
        "api_key": "key-mat",
        "user_id": "1",
        "listening_duration": "42",
    }


def test_anonymous_listener_sends_only_the_key(service, streamers, webapp, clock):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=None)
    s1.roundtrip()
    clock.advance(5)
    s1.send(type="unregister_listener", session_id="l1")
    start, stop = webapp.wait_for(2, "/api/v1/radio/")
    assert start.query == {"key": KEY}
    assert stop.query == {"key": KEY, "listening_duration": "5"}


def test_stopping_a_radio_reports_the_total_listening_time(service, streamers, webapp, clock):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=None)
    s1.roundtrip()
    clock.advance(10)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l2", user_id=2)
    s1.roundtrip()
    clock.advance(20.5)
    s1.send(type="stop_radio", radio_uuid="radio-1")
    s1.expect("radio_stopped")
    (stopped,) = webapp.wait_for(1, "/stopped/")
    assert stopped.path == "/api/v1/radio/radio-1/stopped/"
    assert stopped.query == {"key": KEY, "listening_duration": str(30 + 20)}


def test_a_dropped_master_reports_its_radio_stopped(service, streamers, webapp):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="unregister_streamer")
    (stopped,) = webapp.wait_for(1, "/stopped/")
    assert stopped.query == {"key": KEY, "listening_duration": "0"}


def test_unknown_token_is_asked_of_the_web_app_once(service, streamers, webapp):
    webapp.tokens["tok-web"] = (77, True)
    s1 = streamers("s1")
    for _ in range(2):
        s1.send(type="user_authentication", auth_token="tok-web")
        assert s1.expect("user_authentication") == {
            "type": "user_authentication",
            "user_id": 77,
            "hd": True,
            "auth_token": "tok-web",
        }
    assert webapp.paths("check_streamer_auth_token") == [
        "/api/v1/check_streamer_auth_token/tok-web/"
    ]
