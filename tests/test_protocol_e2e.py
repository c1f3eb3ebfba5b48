"""Every row of PROTOCOL.md's two tables, over a real Redis, against a running service."""

import pytest
import requests

from tests.catalogs import basic_catalog
from tests.harness import http_base, wait_for


@pytest.fixture
def service(make_service):
    return make_service(basic_catalog())


def radio_state(service, uuid):
    return requests.get(f"{http_base(service)}/api/radios/{uuid}", timeout=2).json()


def status(service):
    return requests.get(f"{http_base(service)}/api/status", timeout=2).json()


def start_radio(streamer, uuid="radio-1"):
    streamer.send(type="play_radio", radio_uuid=uuid)
    assert streamer.expect("radio_started") == {"type": "radio_started", "radio_uuid": uuid}
    return streamer.expect("play")


# --- test, register_streamer, unregister_streamer, pong ------------------------------


def test_test_is_echoed_with_its_info(service, streamers):
    s1 = streamers("s1")
    s1.send(type="test", info={"nested": [1, "two"]})
    assert s1.expect("test") == {"type": "test", "info": {"nested": [1, "two"]}}


def test_register_streamer_is_pinged_and_counted(service, streamers):
    s1 = streamers("s1")
    s1.send(type="register_streamer")
    wait_for(lambda: s1.pings >= 1, "a ping")
    assert status(service)["streamers"] == 1


def test_registering_again_first_cleans_up_what_it_held(service, streamers):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=None)
    s1.send(type="register_streamer")
    s1.roundtrip()
    state = radio_state(service, "radio-1")
    assert (state["master_streamer"], state["listeners"]) == (None, 0)
    assert status(service)["streamers"] == 1


def test_unregister_streamer_stops_its_radios_which_stay_programmed(service, streamers):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=2)
    s1.send(type="unregister_streamer")
    s1.roundtrip()
    state = radio_state(service, "radio-1")
    assert (state["master_streamer"], state["listeners"]) == (None, 0)
    assert state["filename"].startswith("radio-1/")
    assert status(service)["streamers"] == 0


def test_pong_from_an_unknown_streamer_changes_nothing(service, streamers):
    ghost = streamers("ghost")
    ghost.send(type="pong")
    ghost.roundtrip()
    assert status(service)["streamers"] == 0


# --- user_authentication ------------------------------------------------------------------


@pytest.mark.parametrize(
    "credentials, user_id, hd",
    [
        ({"auth_token": "tok-mat"}, 1, True),
        ({"auth_token": "tok-zoe"}, 2, False),
        ({"auth_token": "tok-unknown"}, None, False),
        ({"username": "mat", "api_key": "key-mat"}, 1, True),
        ({"username": "mat", "api_key": "wrong"}, None, False),
        ({"username": "nobody", "api_key": "key-mat"}, None, False),
        ({}, None, False),
        ({"radio_uuid": "radio-1"}, None, False),
    ],
)
def test_user_authentication_echoes_the_credentials(service, streamers, credentials, user_id, hd):
    s1 = streamers("s1")
    s1.send(type="user_authentication", **credentials)
    echoed = {k: v for k, v in credentials.items() if k != "radio_uuid"}
    assert s1.expect("user_authentication") == {
        "type": "user_authentication",
        "user_id": user_id,
        "hd": hd,
        **echoed,
    }


# --- play_radio ---------------------------------------------------------------------------


def test_play_radio_starts_the_radio_at_the_current_offset(service, streamers):
    s1 = streamers("s1")
    play = start_radio(s1)
    assert play["radio_uuid"] == "radio-1"
    assert play["filename"].startswith("radio-1/")
    assert play["delay"] == 0
    assert 0 <= play["offset"] < 5
    assert play["crossfade_duration"] == 0
    assert set(play) == {"type", "radio_uuid", "filename", "delay", "offset", "crossfade_duration"}
    assert radio_state(service, "radio-1")["master_streamer"] == "s1"


def test_play_radio_registers_an_unknown_streamer(service, streamers):
    s1 = streamers("s1")
    start_radio(s1)
    assert status(service)["streamers"] == 1
    wait_for(lambda: s1.pings >= 1, "a ping")


@pytest.mark.parametrize("uuid", ["no-such-radio", "radio-off"])
def test_play_radio_of_an_unknown_or_unready_radio(service, streamers, uuid):
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid=uuid)
    assert s1.expect("radio_unknown") == {"type": "radio_unknown", "radio_uuid": uuid}


def test_play_radio_streamed_elsewhere_names_the_master(service, streamers):
    s1, s2 = streamers("s1"), streamers("s2")
    start_radio(s1)
    s2.send(type="play_radio", radio_uuid="radio-1")
    assert s2.expect("radio_exists") == {
        "type": "radio_exists",
        "radio_uuid": "radio-1",
        "master_streamer": "s1",
    }


def test_play_radio_repeated_by_the_master_answers_again(service, streamers):
    s1 = streamers("s1")
    first = start_radio(s1)
    second = start_radio(s1)
    assert second["filename"] == first["filename"]
    assert second["offset"] >= first["offset"]


def test_play_radio_of_a_dead_masters_radio_takes_it_over(service, streamers):
    s1, s2 = streamers("s1"), streamers("s2")
    start_radio(s1)
    s1.send(type="unregister_streamer")
    start_radio(s2)
    assert radio_state(service, "radio-1")["master_streamer"] == "s2"


# --- stop_radio -----------------------------------------------------------------------------


def test_stop_radio_by_the_master_stops_streaming(service, streamers):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="stop_radio", radio_uuid="radio-1")
    assert s1.expect("radio_stopped") == {"type": "radio_stopped", "radio_uuid": "radio-1"}
    assert radio_state(service, "radio-1")["master_streamer"] is None
    assert status(service)["streaming_radios"] == 0


def test_stop_radio_by_another_streamer_is_acknowledged_only(service, streamers):
    s1, s2 = streamers("s1"), streamers("s2")
    start_radio(s1)
    s2.send(type="stop_radio", radio_uuid="radio-1")
    assert s2.expect("radio_stopped") == {"type": "radio_stopped", "radio_uuid": "radio-1"}
    assert radio_state(service, "radio-1")["master_streamer"] == "s1"
    s1.roundtrip()  # and s1 was told nothing


def test_stop_radio_of_an_unknown_radio_gets_no_reply(service, streamers):
    s1 = streamers("s1")
    s1.send(type="stop_radio", radio_uuid="no-such-radio")
    s1.roundtrip()


# --- listeners --------------------------------------------------------------------------------


def test_listeners_are_counted_once_per_session(service, streamers):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l2", user_id=None)
    s1.roundtrip()
    assert radio_state(service, "radio-1")["listeners"] == 2
    s1.send(type="unregister_listener", session_id="l1")
    s1.send(type="unregister_listener", session_id="never-opened")
    s1.roundtrip()
    assert radio_state(service, "radio-1")["listeners"] == 1
    assert status(service)["listeners"] == 1


def test_a_listener_of_a_radio_not_streamed_is_not_counted(service, streamers):
    s1 = streamers("s1")
    s1.send(type="register_listener", radio_uuid="radio-2", session_id="l1", user_id=None)
    s1.roundtrip()
    assert status(service)["listeners"] == 0


# --- liveness ------------------------------------------------------------------------------------


def test_a_silent_streamer_is_dropped_with_its_radios(make_service, streamers):
    service = make_service(basic_catalog(), ping_interval=0.3)
    mute = streamers("mute", answer_pings=False)
    start_radio(mute)
    mute.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=None)
    wait_for(lambda: service.streamers.count() == 0, "the silent streamer to be dropped")
    assert radio_state(service, "radio-1")["master_streamer"] is None
    assert status(service)["listeners"] == 0


def test_a_streamer_answering_pings_stays(make_service, streamers):
    service = make_service(basic_catalog(), ping_interval=0.2)
    s1 = streamers("s1")
    start_radio(s1)
    wait_for(lambda: s1.pings >= 4, "four pings")
    assert radio_state(service, "radio-1")["master_streamer"] == "s1"


# --- bad input ----------------------------------------------------------------------------

BAD_MESSAGES = {
    "not_json": b"{not json",
    "not_utf8": b'{"type": "test", "streamer": "s1", "info": "\xff\xfe"}',
    "too_large": b'{"type": "test", "streamer": "s1", "info": "' + b"x" * 70_000 + b'"}',
    "not_object": b'["test"]',
    "unknown_type": b'{"type": "explode", "streamer": "s1"}',
    "missing_field": b'{"type": "play_radio", "streamer": "s1"}',
    "wrong_type": b'{"type": "play_radio", "streamer": "s1", "radio_uuid": 12}',
}


@pytest.mark.parametrize("reason", sorted(BAD_MESSAGES))
def test_a_bad_message_gets_no_reply_and_changes_nothing(service, streamers, reason):
    s1 = streamers("s1")
    before = status(service)
    s1.send_raw(BAD_MESSAGES[reason])
    s1.roundtrip()
    after = status(service)
    assert after["messages_rejected"] == {reason: 1}
    for count in ("streamers", "streaming_radios", "listeners", "radios"):
        assert after[count] == before[count]


def test_wrongly_typed_listener_fields_are_rejected(service, streamers):
    s1 = streamers("s1")
    start_radio(s1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id="12")
    s1.send(type="register_listener", radio_uuid="radio-1", session_id=7, user_id=None)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l3", user_id=True)
    s1.roundtrip()
    assert status(service)["listeners"] == 0
    assert status(service)["messages_rejected"] == {"wrong_type": 3}
