"""A TCP proxy to whichever Redis the sentinels name master: what an operator puts
between the streamers and a Sentinel-managed Redis, since the C++ streamer knows no
Sentinel and talks to one address (PROTOCOL.md). In production that is HAProxy
checking `role:master`, or a virtual IP that the sentinels move.

Each new connection goes to the master of the moment; while no sentinel names a
healthy one, or it does not answer, the connection is closed at once, as HAProxy
closes one with no server up. A connection whose server dies is closed too."""

import gevent
import redis
from gevent import socket
from gevent.server import StreamServer
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

from yascheduler.support.ports import HOST

CONNECT_TIMEOUT = 1.0
CHUNK = 65536


class MasterProxy:
    def __init__(self, sentinels: list[tuple[str, int]], service: str, sentinel_password: str):
        self.service = service
        self.sentinel = Sentinel(
            sentinels,
            sentinel_kwargs={
                "password": sentinel_password,
                "socket_timeout": CONNECT_TIMEOUT,
                "retry": Retry(NoBackoff(), 0),
            },
        )
        self.server = StreamServer((HOST, 0), self._relay)
        self.server.start()

    @property
    def port(self) -> int:
        return self.server.server_port

    def url(self, password: str) -> str:
        return f"redis://:{password}@{HOST}:{self.port}/0"

    def _relay(self, client, _address) -> None:
        try:
            master = self.sentinel.discover_master(self.service)
            upstream = socket.create_connection(master, timeout=CONNECT_TIMEOUT)
        except (redis.ConnectionError, redis.TimeoutError, OSError):  # no master to go to
            client.close()
            return
        upstream.settimeout(None)
        pumps = [gevent.spawn(_pump, client, upstream), gevent.spawn(_pump, upstream, client)]
        gevent.joinall(pumps, count=1)  # one side closed: close both
        gevent.killall(pumps)
        upstream.close()
        client.close()

    def close(self) -> None:
        self.server.stop(timeout=0)
        self.sentinel.close()


def _pump(source, target) -> None:
    try:
        while data := source.recv(CHUNK):
            target.sendall(data)
    except OSError:
        pass  # either side gone: the relay closes both
