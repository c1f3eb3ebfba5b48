"""Hostile input is dropped with one log line, changes nothing, and starves no valid message."""

import json
from collections import Counter

import gevent
import gevent.event
import pytest
import redis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.catalogs import basic_catalog
from tests.harness import stored, wait_for
from yascheduler.store.outbox import OutboxItem
from yascheduler.store.sessions import ListenerSession
from yascheduler.store.streamers import Streamer
from tests.store_contract.conftest import stored_masters
from yascheduler.streaming import protocol
from yascheduler.support.clock import FakeClock
from yascheduler.support.errors import MessageError


from tests.resilience.conftest import healthz, start_radio, status


# --- 3. hostile input ------------------------------------------------------------------------


def stored_state() -> dict:
    return {
        "streamers": sorted((s.name, s.registered_at, s.last_seen_at) for s in Streamer.objects),
        "streams": sorted((radio, *entry) for radio, entry in stored_masters().items()),
        "sessions": sorted(
            (s.session_id, s.radio_uuid, s.user_id, s.started_at, s.ended_at, s.duration)
            for s in ListenerSession.objects
        ),
        "outbox": OutboxItem.objects.count(),
    }


@pytest.fixture
def busy_service(make_service, streamers):
    """A service with a streamed radio and a listener, on a frozen clock so that nothing moves."""
    service = make_service(basic_catalog(), clock=FakeClock())
    s1 = streamers("s1")
    start_radio(s1, "radio-1")
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
    s1.roundtrip()
    stored(service)
    return service


HOSTILE_NUMBERS = st.sampled_from(
    [-1, 0, -(2**63), 2**63, 2**70, -(2**70), 1e308, -1e308, 1e400, float("nan"), 0.5, True, False]
)
HOSTILE_TEXT = st.sampled_from(
    ["", " ", "\u0000", "\ud7ff\ue000", "\ud800", "x\udfff", "é" * 50, "🎵", "a" * 2000, "$where"]
)
# any text, lone surrogates included: JSON can spell them ("\ud800"), Unicode cannot
ANY_TEXT = st.text(
    st.characters(categories=["Cs", "Ll", "Lu", "Nd", "So", "Cc", "Zs"]), max_size=30
)
HOSTILE = st.one_of(
    HOSTILE_NUMBERS,
    HOSTILE_TEXT,
    ANY_TEXT,
    st.none(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just({"$gt": ""}),
)
VALID = {
    "test": {"streamer": "s1", "info": "x"},
    "register_streamer": {"streamer": "s1"},
    "unregister_streamer": {"streamer": "s1"},
    "pong": {"streamer": "s1"},
    "user_authentication": {"streamer": "s1", "auth_token": "tok-mat"},
    "play_radio": {"streamer": "s2", "radio_uuid": "radio-2"},
    "stop_radio": {"streamer": "s1", "radio_uuid": "radio-1"},
    "register_listener": {"radio_uuid": "radio-1", "session_id": "l9", "user_id": 1},
    "unregister_listener": {"session_id": "l1"},
}


@st.composite
def mutated_messages(draw) -> bytes:
    kind = draw(st.sampled_from(sorted(VALID)))
    message = {"type": kind, **VALID[kind]}
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(sorted(message) + ["extra"]))
        action = draw(st.sampled_from(["replace", "delete"]))
        if action == "delete":
            message.pop(field, None)
        else:
            message[field] = draw(HOSTILE)
    return json.dumps(message).encode("utf-8", "surrogatepass")


FIXED_HOSTILE = [
    b"",
    b"\xff" * 10,
    b"[" * 5000,
    b'{"type": "test", "streamer": "s1", "info": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    b'{"type": "test", "streamer": "s1", "info": "' + b"x" * 70_000 + b'"}',
    b'{"type": "register_listener", "radio_uuid": "radio-1", "session_id": "x", "user_id": 1e400}',
    b'{"type": "register_listener", "radio_uuid": "radio-1", "session_id": "x", "user_id": NaN}',
    b'{"type": "test", "streamer": "s1", "info": NaN}',
    b'{"type": "test", "streamer": "s1", "info": [1e999]}',
    b'{"type": "play_radio", "streamer": {"$ne": 1}, "radio_uuid": "radio-1"}',
    b'{"type": "unregister_listener", "session_id": {"$exists": true}}',
    b'{"type": ["test"], "streamer": "s1"}',
    b'{"type": "__class__", "streamer": "s1"}',
    b'{"type": "handle", "streamer": "s1"}',
    b"null",
    b"12",
    b'"test"',
    b"true",
    b'{"type": "register_streamer", "streamer": "\\ud800"}',
    b'{"type": "test", "streamer": "s1", "info": {"\\udfff": 1}}',
    b'{"type": "register_listener", "radio_uuid": "radio-1", "session_id": "\\udc80x"}',
]


def rejection(raw: bytes) -> str | None:
    try:
        protocol.decode(raw)
    except MessageError as error:
        return error.reason
    return None


def test_hostile_input_is_dropped_and_changes_nothing(busy_service, streamers):
    service = busy_service
    fuzzer = streamers("fuzzer")
    before = stored_state()
    expected = Counter()

    def publish(raw: bytes) -> None:
        reason = rejection(raw)
        assert reason is not None, raw
        expected[reason] += 1
        fuzzer.send_raw(raw)

    budget = settings(
        max_examples=1500, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )

    @budget
    @given(st.one_of(st.binary(max_size=300), mutated_messages()))
    def publish_rejected(raw: bytes) -> None:
        assume(rejection(raw) is not None)  # only what must be rejected: valid ones act
        publish(raw)

    for raw in FIXED_HOSTILE:
        publish(raw)
    publish_rejected()

    fuzzer.roundtrip("still there")
    assert fuzzer.drain() == []
    stored(service)  # whatever the input changed would be written by now
    assert stored_state() == before
    assert status(service)["messages_rejected"] == dict(expected)
    reasons = {"not_json", "not_utf8", "unknown_type", "missing_field", "wrong_type", "too_large"}
    assert reasons <= expected.keys()
    assert healthz(service) == 200 and service.failure is None


def test_a_lone_surrogate_is_rejected_before_it_half_registers_a_streamer(make_service, streamers):
    """It used to pass decoding, fail in the store, and leave a streamer counted, never pinged."""
    service = make_service(basic_catalog())
    s1 = streamers("s1")
    s1.send_raw(b'{"type": "register_streamer", "streamer": "\\ud800"}')
    s1.send_raw(b'{"type": "test", "streamer": "s1", "info": "\\ud800"}')
    s1.roundtrip()
    after = status(service)
    assert after["messages_rejected"] == {"not_utf8": 2}
    assert after["streamers"] == 0 and Streamer.objects.count() == 0


def test_a_flood_of_bad_messages_starves_no_valid_one(make_service, streamers, redis_url):
    service = make_service(basic_catalog())
    bad = [
        b"{oops",
        b'{"type": "nope"}',
        b'{"type": "play_radio", "streamer": "x"}',
        b'{"type": "pong", "streamer": 5}',
    ]
    flood = 5000
    client = redis.Redis.from_url(redis_url)

    def flooder():
        for start in range(0, flood, 100):
            pipe = client.pipeline(transaction=False)
            for i in range(start, start + 100):
                pipe.publish("yascheduler", bad[i % len(bad)])
            pipe.execute()
            gevent.sleep(0)

    s2 = streamers("s2")
    flooding = gevent.spawn(flooder)
    try:
        for i in range(50):
            s2.send(type="test", info=i)
            gevent.sleep(0)
        answers = [s2.expect("test", timeout=10)["info"] for _ in range(50)]
        flooding.get(timeout=10)
    finally:
        flooding.kill()
        client.close()
    assert answers == list(range(50))
    wait_for(
        lambda: sum(status(service)["messages_rejected"].values()) == flood,
        "every bad message to be counted",
        timeout=10,
    )
    assert status(service)["messages_received"] == {"test": 50}


IDENTIFIER = st.one_of(
    st.sampled_from(
        [
            "s1",
            "s2",
            "radio-1",
            "radio-2",
            "radio-off",
            "l1",
            "l2",
            "mat",
            "tok-mat",
            "key-mat",
            "zoe",
            "key-zoe",
        ]
    ),
    st.text(min_size=1, max_size=20),
    st.text(st.characters(categories=["Cs", "Ll", "So"]), min_size=1, max_size=5),
)
USER_ID = st.one_of(st.none(), st.sampled_from([1, 2, 3]), st.integers(-(2**63) + 1, 2**63 - 1))
JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
FIELD_VALUES = {"info": JSON_VALUE, "user_id": USER_ID}


@st.composite
def valid_messages(draw) -> dict:
    kind = draw(st.sampled_from(sorted(protocol.SCHEMAS)))
    required, optional = protocol.SCHEMAS[kind]
    fields = {"type": kind}
    for name in required:
        fields[name] = draw(FIELD_VALUES.get(name, IDENTIFIER))
    for name in optional:
        if draw(st.booleans()):
            fields[name] = draw(FIELD_VALUES.get(name, IDENTIFIER))
    try:
        return protocol.decode(json.dumps(fields).encode())
    except MessageError:
        assume(False)


def test_every_handler_takes_any_valid_message(busy_service, streamers):
    service = busy_service
    seen = Counter()

    @settings(
        max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(valid_messages())
    def handle(message):
        seen[message["type"]] += 1
        getattr(service.handlers, "on_" + message["type"])(message)

    handle()
    assert seen.keys() == protocol.SCHEMAS.keys()
    s9 = streamers("s9")
    s9.roundtrip("alive")
    assert service.failure is None and healthz(service) == 200
