"""What the resilience tests share: the service's views over HTTP, what the web app
took, services on a Redis of the test's own."""

import pytest
import requests

from tests.harness import http_base, start_service


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
