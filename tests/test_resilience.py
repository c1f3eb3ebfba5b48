"""What survives: a hard restart, a Redis outage, hostile input, and secrets in the logs.

Every test drives a real service over a real Redis, as a streamer would,
and waits on conditions with deadlines rather than sleeping.
"""

import json
import logging
import math
import os
import signal
import time
from collections import Counter

import gevent
import gevent.event
import pytest
import redis
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.catalogs import USERS, basic_catalog, radio
from tests.harness import hard_kill, http_base, start_service, wait_for
from yascheduler.support.ports import free_port
from tests.streamer_emulator import StreamerEmulator
from yascheduler.streaming import bus
from yascheduler.store.outbox import OutboxItem
from yascheduler.store.sessions import ListenerSession
from yascheduler.store.streamers import Streamer
from yascheduler.store.streams import RadioStream
from yascheduler.streaming import protocol
from yascheduler.support.clock import FakeClock
from yascheduler.support.errors import MessageError

KEY = "test-scheduler-key"


def get(service, path):
    return requests.get(f"{http_base(service)}{path}", timeout=2)


def radio_state(service, uuid):
    return get(service, f"/api/radios/{uuid}").json()


def status(service):
    return get(service, "/api/status").json()


def start_radio(streamer, uuid):
    streamer.send(type="play_radio", radio_uuid=uuid)
    assert streamer.expect("radio_started") == {"type": "radio_started", "radio_uuid": uuid}
    return streamer.expect("play")


# --- 1. restart without loss ------------------------------------------------------------


def record_accepted(webapp) -> list:
    """The requests the web app took (answered 200), in arrival order."""
    accepted = []
    answer = webapp.answer

    def answering(request):
        code, body = answer(request)
        if code == 200:
            accepted.append(request)
        return code, body

    webapp.answer = answering
    return accepted


def notifications(requests_taken) -> list[tuple]:
    """Each notification the web app took, one tuple each (a songs_started batch is several)."""
    taken = []
    for request in requests_taken:
        if request.path.endswith("/songs_started/"):
            assert request.json["key"] == KEY
            taken.extend(("songs_started", *item) for item in request.json["data"])
        else:
            _, _, _, _, radio_uuid, kind, _ = request.path.split("/")
            query = dict(request.query)
            assert query.pop("key") == KEY
            taken.append((kind, radio_uuid, tuple(sorted(query.items()))))
    return taken


MAT = (("api_key", "key-mat"), ("user_id", "1"), ("username", "mat"))


def test_a_hard_restart_loses_nothing(make_service, streamers, webapp):
    clock = FakeClock()
    accepted = record_accepted(webapp)
    options = {"clock": clock, "yaapp_url": webapp.url, "yaapp_key": KEY}
    first = make_service(basic_catalog(), **options)
    s1 = streamers("s1")
    play = start_radio(s1, "radio-1")
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l2", user_id=None)
    s1.roundtrip()
    wait_for(
        lambda: len(notifications(accepted)) == 4 and first.notifier.backlog() == 0,
        "the first notifications to be delivered",
    )
    songs = notifications(accepted)[:2]
    assert sorted(song[1] for song in songs) == ["radio-1", "radio-2"]

    # The web app goes down; notifications pile up in the outbox.
    webapp.status = 500
    clock.advance(10)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l3", user_id=None)
    s1.send(type="unregister_listener", session_id="l2")
    s1.roundtrip()
    assert status(first)["outbox"] == 2
    before = radio_state(first, "radio-1")
    assert (before["master_streamer"], before["listeners"]) == ("s1", 2)
    assert before["filename"] == play["filename"]

    hard_kill(first)
    first = None  # its memory is gone with it: only the store and Redis remain
    clock.advance(5)
    pings = s1.pings
    second = make_service(**options)

    after = status(second)
    assert (after["streamers"], after["streaming_radios"], after["listeners"]) == (1, 1, 2)
    assert after["outbox"] == 2
    wait_for(lambda: s1.pings > pings, "the restarted service to ping s1")
    state = radio_state(second, "radio-1")
    assert (state["master_streamer"], state["listeners"]) == ("s1", 2)
    assert (state["filename"], state["started_at"]) == (before["filename"], before["started_at"])
    again = start_radio(s1, "radio-1")
    assert again["filename"] == before["filename"]
    assert again["offset"] == pytest.approx(clock.now() - before["started_at"], abs=1e-3)
    assert again["offset"] == pytest.approx(15.0, abs=1e-3)
    assert notifications(accepted) == songs + [  # nothing was taken while the web app was down
        ("start_listening", "radio-1", MAT),
        ("start_listening", "radio-1", ()),
    ]

    webapp.status = 200
    clock.advance(7)
    s1.send(type="unregister_listener", session_id="l1")
    s1.send(type="stop_radio", radio_uuid="radio-1")
    s1.expect("radio_stopped")
    wait_for(lambda: second.notifier.backlog() == 0, "the outbox to drain", timeout=8)
    assert notifications(accepted) == songs + [
        ("start_listening", "radio-1", MAT),
        ("start_listening", "radio-1", ()),
        ("start_listening", "radio-1", ()),  # l3, at 10 s
        ("stop_listening", "radio-1", (("listening_duration", "10"),)),  # l2: 0 -> 10
        ("stop_listening", "radio-1", tuple(sorted((("listening_duration", "22"), *MAT)))),
        # the radio stops: its last session (l3: 10 -> 22) is closed and reported, then the total
        ("stop_listening", "radio-1", (("listening_duration", "12"),)),
        ("stopped", "radio-1", (("listening_duration", "12"),)),
    ]
    durations = {s.session_id: s.duration for s in ListenerSession.objects}
    assert durations == {"l1": 22, "l2": 10, "l3": 12}


# --- 2. Redis outage ----------------------------------------------------------------------

SONG_SECONDS = 3.0


class RetryWatch(logging.Handler):
    """Set once the bus has said `times` times that it waits at least `wait` seconds
    before its next attempt."""

    def __init__(self, wait: float, times: int = 1):
        super().__init__(logging.WARNING)
        self.wait = wait
        self.times = times
        self.event = gevent.event.Event()

    def emit(self, record):
        if "unreachable" in record.msg and record.args and record.args[-1] >= self.wait:
            self.times -= 1
            if self.times <= 0:
                self.event.set()


@pytest.fixture
def services_on(db):
    """Start services on any Redis URL (not only the session's); stopped after the test."""
    started = []

    def make(redis_url, catalog=None, **overrides):
        service = start_service(redis_url, db, catalog, **overrides)
        started.append(service)
        return service

    yield make
    for service in started:
        service.stop()


def healthz(service) -> int:
    return get(service, "/healthz").status_code


def test_a_redis_outage_is_survived(own_redis, services_on):
    server = own_redis()
    catalog = {
        "radios": [
            radio("radio-a", 100, 10, duration=SONG_SECONDS),
            radio("radio-b", 200, 20, duration=SONG_SECONDS),
        ]
    }
    service = services_on(server.url, catalog, ping_interval=0.5)
    masters = {"radio-a": "s1", "radio-b": "s2"}
    for uuid, name in masters.items():
        emulator = StreamerEmulator(server.url, name)
        start_radio(emulator, uuid)
        emulator.close()
    before = {uuid: radio_state(service, uuid) for uuid in masters}
    watch = RetryWatch(wait=bus.MAX_RETRY, times=2)
    logging.getLogger("yascheduler.bus").addHandler(watch)
    try:
        killed_at = time.monotonic()
        server.stop()
        wait_for(lambda: not service.bus.connected, "the service to see Redis gone")
        assert healthz(service) == 503
        # Down until the bus is about to wait its longest: past 2 ping intervals,
        # and long enough for the streamers to be back before the scheduler is.
        assert watch.event.wait(timeout=5), "the bus never backed off to its longest wait"
    finally:
        logging.getLogger("yascheduler.bus").removeHandler(watch)
    server.start()
    back_at = time.monotonic()
    assert back_at - killed_at > 2 * 0.5  # longer than two ping intervals
    emulators = {uuid: StreamerEmulator(server.url, name) for uuid, name in masters.items()}
    try:
        wait_for(lambda: service.bus.connected, "the service to reconnect", timeout=1.5)
        assert time.monotonic() - back_at < 1.5
        assert healthz(service) == 200
        assert status(service)["redis_connected"] is True
        # Each is brought back in step once it answers a ping: the service cannot know
        # before that it hears us (a count above 0 may be another pattern subscriber's).
        for uuid, emulator in emulators.items():
            resync = next_resync_play(emulator, uuid)
            arrived = emulator.last_arrival
            state = radio_state(service, uuid)
            if state["started_at"] <= arrived:
                assert resync["filename"] == state["filename"]
                started = state["started_at"]
            else:  # the track changed between the play and this look: it was the one before
                started = state["started_at"] - SONG_SECONDS
            assert resync["offset"] == pytest.approx(arrived - started, abs=0.25)
            emulator.send(type="test", info="back")  # subscribed again: it hears streamers
            while (message := emulator.next())["type"] == "play":
                pass  # the next track's play, or a regular one
            assert message == {"type": "test", "info": "back"}

        # Programming went on while Redis was away: same timeline, later tracks.
        wait_for(lambda: time.time() > before["radio-a"]["ends_at"] + 0.1, "a track change")
        for uuid in masters:
            state = radio_state(service, uuid)
            tracks = (state["started_at"] - before[uuid]["started_at"]) / SONG_SECONDS
            assert tracks >= 1 and tracks == pytest.approx(round(tracks), abs=1e-6)
            assert state["started_at"] <= time.time() < state["ends_at"]

        # The pongs lost in the outage dropped nobody, and pings go on.
        for emulator in emulators.values():
            wait_for(lambda e=emulator: e.pings >= 3, "three pings after the outage")
        assert service.streamers.names() == ["s1", "s2"]
        assert {uuid: radio_state(service, uuid)["master_streamer"] for uuid in masters} == masters
        assert service.metrics.redis_reconnects._value.get() == 1
        assert service.failure is None
    finally:
        for emulator in emulators.values():
            emulator.close()


def next_resync_play(emulator, uuid) -> dict:
    """The play the scheduler sends when it is back: the current track, at once (delay 0)."""
    deadline = time.monotonic() + 2.0
    while True:
        message = emulator.next(timeout=max(0.01, deadline - time.monotonic()))
        if message["type"] == "play" and message["radio_uuid"] == uuid and message["delay"] == 0:
            return message


# --- 3. hostile input ------------------------------------------------------------------------


def stored_state() -> dict:
    return {
        "streamers": sorted((s.name, s.registered_at, s.last_seen_at) for s in Streamer.objects),
        "streams": sorted((s.uuid, s.master, s.since) for s in RadioStream.objects),
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


# --- 4. secrets ---------------------------------------------------------------------------------

SECRET = "s3cret"


def test_the_redis_password_is_never_shown(own_redis, services_on, caplog):
    caplog.set_level(logging.DEBUG)
    server = own_redis(password=SECRET)
    assert SECRET in server.url
    service = services_on(server.url, basic_catalog())
    s1 = StreamerEmulator(server.url, "s1")
    try:
        start_radio(s1, "radio-1")
    finally:
        s1.close()
    server.stop()  # the reconnection path logs the URL too
    wait_for(lambda: "unreachable" in caplog.text, "the bus to log the outage")
    server.start()
    wait_for(lambda: service.bus.connected, "the service to reconnect", timeout=3)
    shown = [
        get(service, path).text
        for path in ("/api/status", "/healthz", "/metrics", "/api/radios/radio-1")
    ]
    shown.append(repr(service.reader.status()))
    assert f"127.0.0.1:{server.port}" in caplog.text  # the URL is logged, redacted
    for text in [caplog.text, *shown]:
        assert SECRET not in text


# --- a real process, killed -9 ----------------------------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("YASCHEDULER_TEST_MONGO_URL"),
    reason="needs a real MongoDB: set YASCHEDULER_TEST_MONGO_URL "
    "(the in-memory store dies with the process)",
)
def test_kill_9_of_yascheduler_run_resumes_from_the_store(mongo_url, own_redis, tmp_path):
    from tests.test_cli import start, stop, wait_healthy

    server = own_redis()
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps({"users": USERS, "radios": basic_catalog()["radios"]}))
    port = free_port()
    args = [
        "run",
        "--redis-url",
        server.url,
        "--mongo-url",
        mongo_url,
        "--http",
        f"127.0.0.1:{port}",
        "--ping-interval",
        "1",
        "--timezone",
        "UTC",
    ]
    base = f"http://127.0.0.1:{port}"
    process = start([*args, "--catalog", str(catalog_file)])
    s1 = StreamerEmulator(server.url, "s1")
    try:
        wait_healthy(process, port)
        start_radio(s1, "radio-1")
        s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
        s1.roundtrip()
        before = requests.get(f"{base}/api/radios/radio-1", timeout=2).json()
        assert (before["master_streamer"], before["listeners"]) == ("s1", 1)

        process.send_signal(signal.SIGKILL)
        process.wait(timeout=5)
        pings = s1.pings
        process = start(args)  # no catalog: the store has it
        wait_healthy(process, port)
        wait_for(lambda: s1.pings > pings, "the new process to ping s1", timeout=5)
        state = requests.get(f"{base}/api/radios/radio-1", timeout=2).json()
        assert (state["master_streamer"], state["listeners"]) == ("s1", 1)
        assert state["filename"] == before["filename"]
        assert state["started_at"] == before["started_at"]
        counts = requests.get(f"{base}/api/status", timeout=2).json()
        assert (counts["streamers"], counts["listeners"]) == (1, 1)
        again = start_radio(s1, "radio-1")
        assert again["filename"] == before["filename"]
        assert again["offset"] >= before["offset"]
        # the session opened before the kill is accounted from its real start
        opened = ListenerSession.objects.get(session_id="l1").started_at
        s1.send(type="unregister_listener", session_id="l1")
        s1.roundtrip()
        closed = ListenerSession.objects.get(session_id="l1")
        assert closed.ended_at - opened >= again["offset"] - before["offset"]
        assert closed.duration == math.floor(closed.ended_at - opened)
    finally:
        s1.close()
        if process.poll() is None:
            stop(process)
