"""A web app that takes every notification at once and counts them (GET /count)."""

import sys
import time

from gevent import monkey

monkey.patch_all()

import socket  # noqa: E402

from gevent.pywsgi import WSGIHandler, WSGIServer  # noqa: E402

counts = {"start_listening": 0, "stop_listening": 0, "stopped": 0, "songs_started": 0, "other": 0}
last = {"at": None}


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/count":
        start_response("200 OK", [("Content-Type", "application/json")])
        import json

        return [json.dumps({**counts, "last": last["at"]}).encode()]
    environ["wsgi.input"].read()
    for kind in counts:
        if f"/{kind}/" in path:
            counts[kind] += 1
            break
    else:
        counts["other"] += 1
    last["at"] = time.time()
    start_response("200 OK", [("Content-Type", "application/json")])
    if path.endswith("/songs_started/"):
        return [b'{"success": true}']
    if "/check_streamer_auth_token/" in path:
        return [b'{"user_id": 1, "hd_enabled": false}']
    return [b"OK"]


class NoDelayHandler(WSGIHandler):
    """pywsgi sends headers and body in two writes: with Nagle on, the body waits for
    the client's delayed ACK (40 ms a request). A web app answers without that stall."""

    def handle(self):
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle()


if __name__ == "__main__":
    WSGIServer(
        ("127.0.0.1", int(sys.argv[1])), app, log=None, handler_class=NoDelayHandler
    ).serve_forever()
