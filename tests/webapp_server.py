"""A real HTTP server on loopback standing in for the platform's web app."""

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

import gevent.event
import ujson
from gevent.pywsgi import WSGIServer


@dataclass
class Request:
    method: str
    path: str
    query: dict
    body: bytes
    status: int = 0  # how it was answered; 0 until it is

    @property
    def radio_uuid(self) -> str | None:
        """The radio of a /api/v1/radio/<uuid>/<kind>/ notification."""
        parts = self.path.strip("/").split("/")
        return parts[3] if parts[:3] == ["api", "v1", "radio"] and len(parts) == 5 else None

    @property
    def json(self):
        return ujson.loads(self.body)


@dataclass
class WebApp:
    """Records every request; `status`, `tokens`, the refused radios and songs and
    `delay` set how it answers.

    As the production web app: a notification of a radio in `refused_radios`
    is answered 404, and so is a songs_started batch with one song of such a
    radio or a song id in `refused_songs`; the 404 page quotes the request's
    URL, query string included, as Django's does in debug. `status` other than 200 answers
    everything with it; `delay` seconds pass before each answer (a hang,
    for the sender's timeout).
    """

    status: int = 200
    tokens: dict = field(default_factory=dict)  # auth token -> (user_id, hd)
    requests: list = field(default_factory=list)
    refused_radios: set = field(default_factory=set)
    refused_songs: set = field(default_factory=set)
    delay: float = 0.0

    def __post_init__(self):
        self.arrived = gevent.event.Event()
        self.server = WSGIServer(("127.0.0.1", 0), self.app, log=None)
        self.server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        request = Request(
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"],
            query,
            environ["wsgi.input"].read(length),
        )
        self.requests.append(request)
        self.arrived.set()
        if self.delay:
            gevent.sleep(self.delay)
        status, body = self.answer(request)
        request.status = status
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [body]

    def answer(self, request: Request):
        if self.status != 200:
            return self.status, b"error"
        if request.radio_uuid in self.refused_radios:
            return 404, not_found(request)
        if "/check_streamer_auth_token/" in request.path:
            token = request.path.rstrip("/").rsplit("/", 1)[1]
            if token not in self.tokens:
                return 404, b"{}"
            user_id, hd = self.tokens[token]
            return 200, ujson.dumps({"user_id": user_id, "hd_enabled": hd}).encode()
        if request.path.endswith("/songs_started/"):
            if any(self._refused_song(*item) for item in request.json["data"]):
                return 404, not_found(request)
            return 200, b'{"success": true}'
        return 200, b"OK"

    def _refused_song(self, radio_uuid, song_id, _play_date) -> bool:
        return radio_uuid in self.refused_radios or song_id in self.refused_songs

    def accepted(self) -> list[Request]:
        """The requests answered 200, in arrival order."""
        return [r for r in self.requests if r.status == 200]

    def paths(self, containing: str = "") -> list[str]:
        return [r.path for r in self.requests if containing in r.path]

    def wait_for(self, count: int, containing: str = "", timeout: float = 5.0) -> list:
        """The requests whose path contains `containing`, once there are `count` of them."""
        with gevent.Timeout(
            timeout, AssertionError(f"web app: fewer than {count} {containing!r} requests")
        ):
            while True:
                found = [r for r in self.requests if containing in r.path]
                if len(found) >= count:
                    return found
                self.arrived.clear()
                self.arrived.wait()

    def stop(self):
        self.server.stop(timeout=1)


def not_found(request: Request) -> bytes:
    return f"Page not found. Request URL: {request.path}?{urlencode(request.query)}".encode()
