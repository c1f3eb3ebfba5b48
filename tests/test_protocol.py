"""Decoding streamer messages: exactly the fields and types PROTOCOL.md gives."""

import ujson
import pytest
from hypothesis import given, settings, strategies as st

from yascheduler.streaming import protocol
from yascheduler.support.errors import MessageError


def decode(**fields):
    return protocol.decode(ujson.dumps(fields).encode())


def rejection(raw) -> str:
    with pytest.raises(MessageError) as caught:
        protocol.decode(raw)
    return caught.value.reason


def test_a_valid_message_keeps_only_the_fields_its_type_defines():
    assert decode(type="play_radio", streamer="s1", radio_uuid="r1", extra=[1]) == {
        "type": "play_radio",
        "streamer": "s1",
        "radio_uuid": "r1",
    }


def test_user_id_may_be_null_or_absent():
    base = {"type": "register_listener", "radio_uuid": "r", "session_id": "x"}
    assert decode(**base, user_id=None)["user_id"] is None
    assert "user_id" not in decode(**base)
    assert decode(**base, user_id=12)["user_id"] == 12


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"\xff\xfe", "not_utf8"),
        (b"{", "not_json"),
        (b"[" * 2000 + b"]" * 2000, "not_json"),
        (b"42", "not_object"),
        (b'{"type": "nope"}', "unknown_type"),
        (b'{"streamer": "s1"}', "unknown_type"),
        (b'{"type": "test", "streamer": "s1"}', "missing_field"),
        (b'{"type": "pong", "streamer": ""}', "wrong_type"),
        (b'{"type": "pong", "streamer": ["s1"]}', "wrong_type"),
        (b'{"type": "test", "streamer": "s1", "info": NaN}', "wrong_type"),
        (b'{"type": "test", "streamer": "s1", "info": {"a": [1e999]}}', "wrong_type"),
        (
            b'{"type": "register_listener", "radio_uuid": "r", "session_id": "x", "user_id": 1.5}',
            "wrong_type",
        ),
        (
            b'{"type": "register_listener", "radio_uuid": "r", "session_id": "x", '
            b'"user_id": 99999999999999999999}',
            "wrong_type",
        ),
        (b'{"type": "user_authentication", "streamer": "s1", "username": "mat"}', "missing_field"),
        (b" " * (64 * 1024 + 1), "too_large"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(raw, reason):
    assert rejection(raw) == reason


def test_play_carries_exactly_the_protocol_fields():
    assert protocol.play("r1", "a.mp3", 5.00001, 0, 2.0) == {
        "type": "play",
        "radio_uuid": "r1",
        "filename": "a.mp3",
        "delay": 5.0,
        "offset": 0,
        "crossfade_duration": 2.0,
    }


def test_user_authentication_echoes_only_credentials():
    received = {
        "type": "user_authentication",
        "streamer": "s",
        "username": "u",
        "api_key": "k",
        "radio_uuid": "r",
    }
    assert protocol.user_authentication(None, False, received) == {
        "type": "user_authentication",
        "user_id": None,
        "hd": False,
        "username": "u",
        "api_key": "k",
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512))
def test_random_bytes_never_crash_the_decoder(raw):
    try:
        protocol.decode(raw)
    except MessageError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(protocol.SCHEMAS)),
    st.dictionaries(
        st.sampled_from(
            [
                "streamer",
                "info",
                "radio_uuid",
                "session_id",
                "user_id",
                "auth_token",
                "username",
                "api_key",
                "other",
            ]
        ),
        json_values,
        max_size=6,
    ),
)
def test_decoded_messages_always_hold_valid_fields(kind, fields):
    raw = ujson.dumps({"type": kind, **fields}).encode()
    try:
        message = protocol.decode(raw)
    except MessageError:
        return
    required, optional = protocol.SCHEMAS[kind]
    for name, check in {**required, **optional}.items():
        if name in message:
            assert check(message[name])
    assert set(required) <= set(message)
    protocol.encode(message)


def test_a_lone_surrogate_anywhere_is_not_utf8():
    assert rejection(b'{"type": "pong", "streamer": "\\ud800"}') == "not_utf8"
    assert rejection(b'{"type": "test", "streamer": "s", "info": {"\\udfff": 1}}') == "not_utf8"
