"""What the web app tests share: a real HTTP server playing the web app, answers
switchable, and the notifier and sender on the test's store."""

import json
from datetime import datetime, UTC
from urllib.parse import parse_qs

import gevent
import gevent.event
import pytest
from gevent.pywsgi import WSGIServer

from yascheduler.store.outbox import StoredOutbox
from yascheduler.support.clock import FakeClock
from yascheduler.webapp.sender import OutboxSender
from yascheduler.webapp.notifier import Notifier
from yascheduler.webapp.outbox import Outbox


KEY = "s3cret-scheduler-key"
SHORT_TIMEOUT = 0.3
DEADLINE = 5.0


def stored_outbox():
    """The outbox on the test's store, as the service makes it."""
    return Outbox(StoredOutbox())


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
