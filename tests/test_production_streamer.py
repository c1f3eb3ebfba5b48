"""The production streamer's ways (PROTOCOL.md, its last section), end to end:
takeover, the misspelt radio_unkown, anonymous listeners as it sends them,
session ids per streamer, and the users the web app is told of."""

import pytest
import requests

from tests.catalogs import basic_catalog
from tests.harness import hard_kill, http_base, wait_for
from yascheduler.support.clock import FakeClock

KEY = "test-scheduler-key"
MAT = {"username": "mat", "api_key": "key-mat", "user_id": "1"}


@pytest.fixture
def clock():
    return FakeClock()


def options(webapp, clock, **more):
    return {"clock": clock, "yaapp_url": webapp.url, "yaapp_key": KEY, **more}


def get(service, path):
    return requests.get(f"{http_base(service)}{path}", timeout=2).json()


def queries(webapp, count, containing):
    return [request.query for request in webapp.wait_for(count, containing)]


# --- master policy -------------------------------------------------------------------------


def test_takeover_makes_the_asker_master_and_closes_the_previous_stream(
    make_service, streamers, webapp, clock
):
    service = make_service(basic_catalog(), **options(webapp, clock, master_policy="takeover"))
    s1, s2 = streamers("s1", production=True), streamers("s2", production=True)
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    first = s1.expect("play")
    s1.register_listener("radio-1", "0x7f01", 1)
    s1.register_listener("radio-1", "0x7f02", None)
    s1.roundtrip()
    clock.advance(12)

    s2.send(type="play_radio", radio_uuid="radio-1")
    assert s2.expect("radio_started") == {"type": "radio_started", "radio_uuid": "radio-1"}
    play = s2.expect("play")
    assert (play["filename"], play["delay"]) == (first["filename"], 0)
    assert play["offset"] == pytest.approx(first["offset"] + 12, abs=1e-3)
    assert s1.expect("radio_stopped") == {"type": "radio_stopped", "radio_uuid": "radio-1"}

    assert queries(webapp, 2, "/stop_listening/") == [
        {"key": KEY, **MAT, "listening_duration": "12"},
        {"key": KEY, "listening_duration": "12"},
    ]
    assert queries(webapp, 1, "/stopped/") == [{"key": KEY, "listening_duration": "24"}]
    radio = get(service, "/api/radios/radio-1")
    assert (radio["master_streamer"], radio["listeners"]) == ("s2", 0)

    s2.register_listener("radio-1", "0x7f01", None)  # the same address, on another streamer
    s1.send(type="unregister_listener", session_id="0x7f01")  # closed already: nothing
    s2.roundtrip()
    s1.roundtrip()
    assert get(service, "/api/radios/radio-1")["listeners"] == 1


def test_takeover_asked_again_by_the_master_answers_again(make_service, streamers, webapp, clock):
    make_service(basic_catalog(), **options(webapp, clock, master_policy="takeover"))
    s1 = streamers("s1", production=True)
    for _ in range(2):
        s1.send(type="play_radio", radio_uuid="radio-1")
        s1.expect("radio_started")
        s1.expect("play")
    s1.roundtrip()  # no radio_stopped to itself
    assert webapp.paths("/stopped/") == []


@pytest.mark.parametrize("uuid", ["no-such-radio", "radio-off"])
def test_takeover_answers_an_unknown_radio_in_both_spellings(make_service, streamers, uuid):
    make_service(basic_catalog(), master_policy="takeover")
    s1 = streamers("s1", production=True)
    s1.send(type="play_radio", radio_uuid=uuid)
    assert s1.expect("radio_unkown") == {"type": "radio_unkown", "radio_uuid": uuid}
    s1.roundtrip()
    assert s1.unread == [{"type": "radio_unknown", "radio_uuid": uuid}]


def test_proxy_is_the_default_and_keeps_the_first_master(make_service, streamers):
    service = make_service(basic_catalog())
    s1, s2 = streamers("s1", production=True), streamers("s2", production=True)
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    s2.send(type="play_radio", radio_uuid="radio-1")
    s2.roundtrip()  # what it can read of the answer: nothing
    assert s2.unread == [{"type": "radio_exists", "radio_uuid": "radio-1", "master_streamer": "s1"}]
    assert get(service, "/api/radios/radio-1")["master_streamer"] == "s1"
    s2.send(type="unknown_radio_test", radio_uuid="x")  # rejected: no reply, no change
    s2.send(type="play_radio", radio_uuid="no-such-radio")
    s2.roundtrip()
    assert s2.unread[-1] == {"type": "radio_unknown", "radio_uuid": "no-such-radio"}


# --- anonymous listeners ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials",
    [{}, {"username": "", "api_key": ""}, {"auth_token": ""}, {"username": "mat", "api_key": ""}],
)
def test_empty_credentials_are_an_anonymous_listener(
    make_service, streamers, webapp, clock, credentials
):
    make_service(basic_catalog(), **options(webapp, clock))
    s1 = streamers("s1", production=True)
    s1.authenticate(**credentials)
    sent = credentials or {"username": "", "api_key": ""}
    reply = s1.expect("user_authentication")
    assert reply == {"type": "user_authentication", "user_id": None, "hd": False, **sent}
    assert webapp.paths("check_streamer_auth_token") == []


def test_user_id_0_is_an_anonymous_listener(make_service, streamers, webapp, clock):
    service = make_service(basic_catalog(), **options(webapp, clock))
    s1 = streamers("s1", production=True)
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    s1.expect("play")
    s1.register_listener("radio-1", "0x7f01", None)  # sent as user_id 0
    s1.roundtrip()
    assert queries(webapp, 1, "/start_listening/") == [{"key": KEY}]
    listeners = get(service, "/api/listeners")["listeners"]
    assert [(row["user_id"], row["streamer"]) for row in listeners] == [(None, "s1")]


# --- the users the web app is told of ----------------------------------------------------------


def test_a_user_the_web_app_vouched_for_stays_known_across_a_restart(
    make_service, streamers, webapp, clock
):
    first = make_service(basic_catalog(), **options(webapp, clock))
    webapp.tokens["tok-web"] = (77, True)
    s1 = streamers("s1", production=True)
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    s1.expect("play")
    s1.authenticate(auth_token="tok-web")
    assert s1.expect("user_authentication")["user_id"] == 77
    s1.register_listener("radio-1", "0x7f01", 77)
    s1.roundtrip()
    assert queries(webapp, 1, "/start_listening/") == [{"key": KEY, "user_id": "77"}]

    hard_kill(first)
    del webapp.tokens["tok-web"]  # the web app forgets a token once it answered for it
    make_service(**options(webapp, clock))
    s1.authenticate(auth_token="tok-web")
    assert s1.expect("user_authentication") == {
        "type": "user_authentication",
        "user_id": 77,
        "hd": True,
        "auth_token": "tok-web",
    }
    assert len(webapp.paths("check_streamer_auth_token")) == 1  # asked once, ever
    clock.advance(30)
    s1.send(type="unregister_listener", session_id="0x7f01")
    assert queries(webapp, 1, "/stop_listening/") == [
        {"key": KEY, "user_id": "77", "listening_duration": "30"}
    ]


def test_a_catalog_user_is_named_by_username_api_key_and_id(make_service, streamers, webapp, clock):
    make_service(basic_catalog(), **options(webapp, clock))
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    s1.register_listener("radio-1", "l1", 1)
    s1.register_listener("radio-1", "l2", 12345)  # an id nobody vouched for: anonymous
    assert queries(webapp, 2, "/start_listening/") == [{"key": KEY, **MAT}, {"key": KEY}]


# --- sessions the streamer forgets --------------------------------------------------------------


def test_a_session_open_too_long_is_closed_and_accounted_up_to_the_limit(
    make_service, streamers, webapp, caplog
):
    service = make_service(
        basic_catalog(), yaapp_url=webapp.url, yaapp_key=KEY, max_session_seconds=1
    )
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    s1.register_listener("radio-1", "forgotten", 1)
    (stop,) = webapp.wait_for(1, "/stop_listening/")
    assert stop.query == {"key": KEY, **MAT, "listening_duration": "1"}
    wait_for(lambda: service.listeners.count() == 0, "the session to be gone")
    assert "listener session forgotten of radio radio-1 (streamer s1) closed after 1s" in (
        caplog.text
    )
