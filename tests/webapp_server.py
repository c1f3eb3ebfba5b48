"""A real HTTP server on loopback standing in for the platform's web app."""

from dataclasses import dataclass, field
from urllib.parse import parse_qs

import gevent.event
import ujson
from gevent.pywsgi import WSGIServer


@dataclass
class Request:
    method: str
    path: str
    query: dict
    body: bytes

    @property
    def json(self):
        return ujson.loads(self.body)


@dataclass
class WebApp:
    """Records every request; `status` and `tokens` set how it answers."""

    status: int = 200
    tokens: dict = field(default_factory=dict)  # auth token -> (user_id, hd)
    requests: list = field(default_factory=list)

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
        status, body = self.answer(request)
        start_response(f"{status} X", [("Content-Type", "application/json")])
        return [body]

    def answer(self, request: Request):
        if self.status != 200:
            return self.status, b"error"
        if "/check_streamer_auth_token/" in request.path:
            token = request.path.rstrip("/").rsplit("/", 1)[1]
            if token not in self.tokens:
                return 404, b"{}"
            user_id, hd = self.tokens[token]
            return 200, ujson.dumps({"user_id": user_id, "hd_enabled": hd}).encode()
        if request.path.endswith("/songs_started/"):
            return 200, b'{"success": true}'
        return 200, b"OK"

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
