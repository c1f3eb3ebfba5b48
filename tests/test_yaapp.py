"""The web app notifier, outbox sender and token checker, against a real HTTP server."""

import json
import logging
from datetime import datetime, UTC
from urllib.parse import parse_qs

import gevent
import gevent.event
import pytest
from gevent.pywsgi import WSGIServer

from yascheduler.store.counters import Counter, StoredCounters
from yascheduler.store.outbox import OutboxItem, StoredOutbox
from yascheduler.store.tokens import StoredTokens
from yascheduler.support.clock import FakeClock
from yascheduler.webapp.sender import OutboxSender, backoff_delay
from yascheduler.webapp.notifier import Notifier, TokenChecker, webapp_session
from yascheduler.webapp.outbox import Outbox

KEY = "s3cret-scheduler-key"
SHORT_TIMEOUT = 0.3
DEADLINE = 5.0


def stored_outbox():
    """The outbox on the test's store, as the service makes it."""
    return Outbox(StoredOutbox(), StoredCounters())


class FakeWebApp:
    """A real HTTP server on 127.0.0.1 recording requests, its answers switchable.

    mode: "ok", "500", "hang" (answers after longer than SHORT_TIMEOUT),
    "trickle" (sends its answer a byte at a time, each in time, the whole too
    late), "no_success" (songs_started answers success false); stop() refuses
    connections until start() again, on the same port.
    """

    def __init__(self):
        self.mode = "ok"
        self.tokens = {}  # token -> user_id, for check_streamer_auth_token
        self.token_delay = 0.0
        self.requests = []  # every request: (method, path, query, body, answered)
        self.changed = gevent.event.Event()
        self.port = 0
        self.server = None

    def start(self):
        self.server = WSGIServer(("127.0.0.1", self.port), self.app, log=None, error_log=None)
        self.server.start()
        self.port = self.server.server_port

    def stop(self):
        self.server.stop(timeout=0)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def taken(self):
        """The requests that were answered as accepted."""
        return [r for r in self.requests if r[4] == "taken"]

    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        body = json.loads(raw) if raw else None
        query = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}
        path = environ["PATH_INFO"]
        status, payload, answered = self.answer(path, body)
        self.requests.append((environ["REQUEST_METHOD"], path, query, body, answered))
        self.changed.set()
        start_response(status, [("Content-Type", "application/json")])
        if self.mode == "trickle":
            return self.trickle(payload.encode())
        return [payload.encode()]

    @staticmethod
    def trickle(payload):
        for n in range(len(payload)):
            gevent.sleep(SHORT_TIMEOUT / 3)
            yield payload[n : n + 1]

    def answer(self, path, body):
        if path.startswith("/api/v1/check_streamer_auth_token/"):
            return self.answer_token(path.split("/")[-2])
        if self.mode == "hang":
            gevent.sleep(SHORT_TIMEOUT * 3)
            return "200 OK", '{"success": true}', "too late"
        if self.mode == "500":
            return "500 Internal Server Error", "oops", "failed"
        if self.mode == "no_success" and path == "/api/v1/songs_started/":
            return "200 OK", '{"success": false}', "refused"
        return "200 OK", '{"success": true}' if body else "ok", "taken"

    def answer_token(self, token):
        gevent.sleep(self.token_delay)
        if self.mode == "500":
            return "500 Internal Server Error", "oops", "failed"
        if token not in self.tokens:
            return "404 Not Found", "", "unknown"
        return "200 OK", json.dumps({"user_id": self.tokens[token], "hd_enabled": True}), "user"

    def wait_for(self, condition):
        """Wait until condition() is true, or fail after DEADLINE seconds."""
        with gevent.Timeout(DEADLINE, AssertionError("condition not met in time")):
            while not condition():
                self.changed.clear()
                self.changed.wait(0.05)


@pytest.fixture
def webapp():
    server = FakeWebApp()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def notifier(db, webapp):
    return Notifier(FakeClock(), webapp.url, KEY, "Europe/Paris", stored_outbox())


@pytest.fixture
def sender(notifier):
    return OutboxSender(notifier, timeout=SHORT_TIMEOUT, max_backoff=0.05)


def deliver_all(sender):
    with gevent.Timeout(DEADLINE, AssertionError("outbox not drained")):
        while sender.deliver_once():
            pass


def user():
    """A catalog user's identity, as Users.identity gives it."""
    return {"username": "alice", "api_key": "alice-api-key"}


def epoch(*args):
    return datetime(*args, tzinfo=UTC).timestamp()


def taken_songs(webapp):
    return [
        item for r in webapp.taken() if r[1] == "/api/v1/songs_started/" for item in r[3]["data"]
    ]


# --- what is sent -----------------------------------------------------------------------


def test_start_listening_anonymous_sends_only_the_key(notifier, sender, webapp):
    notifier.start_listening("r1", None)
    deliver_all(sender)
    assert webapp.requests == [
        ("POST", "/api/v1/radio/r1/start_listening/", {"key": KEY}, None, "taken")
    ]


def test_start_listening_known_user_sends_username_and_api_key(notifier, sender, webapp):
    notifier.start_listening("r1", user())
    deliver_all(sender)
    query = {"key": KEY, "username": "alice", "api_key": "alice-api-key"}
    assert webapp.requests == [("POST", "/api/v1/radio/r1/start_listening/", query, None, "taken")]


def test_stop_listening_sends_whole_seconds(notifier, sender, webapp):
    notifier.stop_listening("r1", 42, None)
    notifier.stop_listening("r2", 43, user())
    deliver_all(sender)
    assert [r[1:3] for r in webapp.requests] == [
        ("/api/v1/radio/r1/stop_listening/", {"key": KEY, "listening_duration": "42"}),
        (
            "/api/v1/radio/r2/stop_listening/",
            {
                "key": KEY,
                "listening_duration": "43",
                "username": "alice",
                "api_key": "alice-api-key",
            },
        ),
    ]


def test_stopped_sends_the_total_duration(notifier, sender, webapp):
    notifier.stopped("r1", 3600)
    deliver_all(sender)
    assert webapp.requests == [
        (
            "POST",
            "/api/v1/radio/r1/stopped/",
            {"key": KEY, "listening_duration": "3600"},
            None,
            "taken",
        )
    ]


def test_songs_started_play_date_is_wall_clock_in_the_zone(notifier, sender, webapp):
    notifier.song_started("r1", 11, epoch(2027, 1, 15, 12, 0, 0, 250000))  # CET, +1
    notifier.song_started("r2", 12, epoch(2027, 7, 15, 23, 30, 5))  # CEST, +2, next day
    deliver_all(sender)
    assert webapp.requests == [
        (
            "POST",
            "/api/v1/songs_started/",
            {},
            {
                "key": KEY,
                "data": [
                    ["r1", 11, "2027-01-15T13:00:00.250000"],
                    ["r2", 12, "2027-07-16T01:30:05.000000"],
                ],
            },
            "taken",
        )
    ]


def test_songs_go_in_batches_of_at_most_100(notifier, sender, webapp):
    for song_id in range(250):
        notifier.song_started("r1", song_id, epoch(2027, 1, 1))
    deliver_all(sender)
    assert [len(r[3]["data"]) for r in webapp.requests] == [100, 100, 50]
    assert [item[1] for item in taken_songs(webapp)] == list(range(250))


def test_a_batch_of_songs_stops_at_another_kind(notifier, sender, webapp):
    notifier.song_started("r1", 1, epoch(2027, 1, 1))
    notifier.song_started("r2", 2, epoch(2027, 1, 1))
    notifier.start_listening("r1", None)
    notifier.song_started("r1", 3, epoch(2027, 1, 1))
    deliver_all(sender)
    assert [r[1] for r in webapp.requests] == [
        "/api/v1/songs_started/",
        "/api/v1/radio/r1/start_listening/",
        "/api/v1/songs_started/",
    ]
    assert [len(r[3]["data"]) for r in webapp.requests if r[3]] == [2, 1]


def test_without_a_web_app_nothing_is_written(db):
    disabled = Notifier(FakeClock(), None, None, "UTC", stored_outbox())
    disabled.start_listening("r1", user())
    disabled.stop_listening("r1", 5, None)
    disabled.stopped("r1", 5)
    disabled.song_started("r1", 1, epoch(2027, 1, 1))
    assert not disabled.enabled
    assert disabled.backlog() == 0
    assert Counter.objects.count() == 0
    assert not disabled.wakeup.is_set()
    assert OutboxSender(disabled).deliver_once() is False


def test_writing_an_item_sets_wakeup(notifier):
    assert not notifier.wakeup.is_set()
    notifier.start_listening("r1", None)
    assert notifier.wakeup.is_set()
    assert notifier.backlog() == 1


# --- failures -----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["500", "hang", "no_success", "refuse"])
def test_an_item_stays_until_it_is_taken(notifier, sender, webapp, mode):
    notifier.song_started("r1", 1, epoch(2027, 1, 1))
    if mode == "refuse":
        webapp.stop()
    webapp.mode = mode
    assert sender.deliver_once() is False
    assert sender.deliver_once() is False
    assert notifier.backlog() == 1
    assert OutboxItem.objects.get().attempts == 2
    assert sender.failures == 2
    if mode == "refuse":
        webapp.start()
    webapp.mode = "ok"
    assert sender.deliver_once() is True
    assert notifier.backlog() == 0
    assert sender.failures == 0
    assert [item[1] for item in taken_songs(webapp)] == [1]


@pytest.mark.parametrize("mode", ["hang", "trickle"])
def test_a_slow_web_app_is_given_up_on_after_the_timeout(notifier, sender, webapp, mode):
    notifier.song_started("r1", 1, epoch(2027, 1, 1))
    webapp.mode = mode
    started = gevent.get_hub().loop.now()
    assert sender.deliver_once() is False
    assert gevent.get_hub().loop.now() - started < SHORT_TIMEOUT * 2


def test_backoff_doubles_from_half_a_second_up_to_the_cap():
    assert [backoff_delay(n, 30.0) for n in range(1, 10)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        16.0,
        30.0,
        30.0,
        30.0,
    ]
    assert backoff_delay(10_000, 30.0) == 30.0


def test_nothing_is_lost_and_order_is_kept_through_an_outage(
    notifier, sender, webapp, caplog, run_parts
):
    caplog.set_level(logging.DEBUG, logger="yascheduler.yaapp")
    supervisor = run_parts(sender)
    try:
        expected = []

        def notify(n):
            radio = f"r{n % 3}"
            if n % 2:
                notifier.song_started(radio, n, epoch(2027, 1, 1))
                expected.append(("/api/v1/songs_started/", radio, n))
            else:
                notifier.stop_listening(radio, n, user())
                expected.append((f"/api/v1/radio/{radio}/stop_listening/", radio, n))

        for outage in ["500", "hang", "refuse", "no_success"]:
            if outage == "refuse":
                webapp.stop()
            else:
                webapp.mode = outage
            for _ in range(4):
                notify(len(expected))
            webapp.wait_for(lambda: sender.failures >= 2)
            assert notifier.backlog() > 0
            if outage == "refuse":
                webapp.start()
        webapp.mode = "ok"
        webapp.wait_for(lambda: notifier.backlog() == 0)
    finally:
        supervisor.stop(1.0)
    assert taken_in_order(webapp) == expected
    assert "web app unreachable, retrying in " in caplog.text
    assert KEY not in caplog.text
    assert "alice-api-key" not in caplog.text


def taken_in_order(webapp):
    taken = []
    for _method, path, query, body, _answer in webapp.taken():
        if body:
            taken.extend((path, radio, song_id) for radio, song_id, _date in body["data"])
        else:
            taken.append((path, path.split("/")[4], int(query["listening_duration"])))
    return taken


def test_run_delivers_as_soon_as_an_item_is_written(notifier, sender, webapp, run_parts):
    supervisor = run_parts(sender)
    try:
        gevent.idle()  # it runs until it waits on the empty outbox: nothing else is ready
        assert not supervisor.greenlets["outbox-sender"].dead and notifier.backlog() == 0
        notifier.start_listening("r1", None)
        webapp.wait_for(lambda: notifier.backlog() == 0)
        notifier.stopped("r1", 9)
        webapp.wait_for(lambda: notifier.backlog() == 0)
    finally:
        supervisor.stop(1.0)
    assert [r[1] for r in webapp.taken()] == [
        "/api/v1/radio/r1/start_listening/",
        "/api/v1/radio/r1/stopped/",
    ]


@pytest.mark.parametrize(
    "stored",
    [
        {"kind": "mystery", "radio_uuid": "r1"},
        {"kind": "stopped", "params": {"listening_duration": 5}},
        {"kind": "songs_started", "radio_uuid": "r1", "params": {"song_id": 1}},
    ],
)
def test_an_undecodable_item_is_discarded_not_retried_forever(notifier, sender, webapp, stored):
    OutboxItem._get_collection().insert_one({"_id": 0, "created_at": 0.0, **stored})
    notifier.outbox.load()  # stored by another version, found at start-up
    notifier.start_listening("r1", None)
    deliver_all(sender)
    assert notifier.backlog() == 0
    assert [r[1] for r in webapp.requests] == ["/api/v1/radio/r1/start_listening/"]


def test_the_proxy_and_ca_bundle_of_the_environment_are_used(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "intranet.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/our-ca.pem")
    session = webapp_session("https://radio.example.com")
    assert session.proxies["https"] == "http://proxy.internal:3128"
    assert session.verify == "/etc/ssl/our-ca.pem"
    assert "https" not in webapp_session("https://intranet.example").proxies


# --- token checks -----------------------------------------------------------------------------


class Answers:
    def __init__(self):
        self.received = []
        self.event = gevent.event.Event()

    def __call__(self, user_id, hd):
        self.received.append((user_id, hd))
        self.event.set()

    def wait(self, count):
        with gevent.Timeout(DEADLINE, AssertionError("no answer in time")):
            while len(self.received) < count:
                self.event.clear()
                self.event.wait()
        return self.received


@pytest.fixture
def checker(webapp, db, run_parts):  # the answers are stored; its workers run
    checker = TokenChecker(webapp.url, KEY, StoredTokens(), timeout=SHORT_TIMEOUT, concurrency=2)
    run_parts(*checker.workers())
    return checker


def token_requests(webapp):
    return [r for r in webapp.requests if r[1].startswith("/api/v1/check_streamer_auth_token/")]


def test_a_valid_token_gives_its_user_and_is_remembered(checker, webapp):
    webapp.tokens["tok1"] = 12
    answers = Answers()
    checker.check("tok1", answers)
    assert answers.wait(1) == [(12, True)]
    checker.check("tok1", answers)
    assert answers.received == [(12, True), (12, True)]  # at once, from memory
    assert token_requests(webapp) == [
        ("GET", "/api/v1/check_streamer_auth_token/tok1/", {"key": KEY}, None, "user")
    ]


def test_an_unknown_token_is_remembered(checker, webapp):
    answers = Answers()
    checker.check("nope", answers)
    answers.wait(1)
    checker.check("nope", answers)
    assert answers.wait(2) == [(None, False), (None, False)]
    assert len(token_requests(webapp)) == 1


@pytest.mark.parametrize("failure", ["500", "hang", "refuse"])
def test_a_failed_check_is_not_remembered(checker, webapp, failure):
    webapp.tokens["tok1"] = 12
    if failure == "refuse":
        webapp.stop()
    webapp.mode = "500"
    webapp.token_delay = SHORT_TIMEOUT * 3 if failure == "hang" else 0.0
    answers = Answers()
    checker.check("tok1", answers)
    assert answers.wait(1) == [(None, False)]
    if failure == "refuse":
        webapp.start()
    webapp.mode, webapp.token_delay = "ok", 0.0
    checker.check("tok1", answers)
    assert answers.wait(2) == [(None, False), (12, True)]


def test_concurrent_checks_of_one_token_make_one_request(checker, webapp):
    webapp.tokens["tok1"] = 12
    webapp.token_delay = SHORT_TIMEOUT / 3
    answers = Answers()
    for _ in range(3):
        checker.check("tok1", answers)
    assert answers.wait(3) == [(12, True)] * 3
    assert len(token_requests(webapp)) == 1


def test_checks_beyond_the_concurrency_wait_their_turn(checker, webapp):
    webapp.token_delay = SHORT_TIMEOUT / 3
    webapp.tokens.update({f"tok{n}": n for n in range(5)})
    answers = Answers()
    for n in range(5):
        checker.check(f"tok{n}", answers)  # never blocks, though only 2 run at a time
    assert sorted(answers.wait(5)) == [(n, True) for n in range(5)]
    assert len(token_requests(webapp)) == 5
