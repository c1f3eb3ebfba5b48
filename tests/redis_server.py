"""A throwaway redis-server process on a free loopback port, that a test may kill and
start again on the same port."""

from pathlib import Path

from yascheduler.support.embedded_redis import redis_child
from yascheduler.support.ports import free_port


class RedisServer:
    def __init__(self, workdir: Path, port: int | None = None, password: str | None = None):
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.password = password
        self.server = redis_child(self.port, self.workdir, password=password)

    @property
    def url(self) -> str:
        """The server's URL, with its password if it requires one."""
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.server.start(timeout)

    def stop(self) -> None:
        """Killed, as a crash would (no clean shut-down)."""
        self.server.stop(timeout=0)

    def pid(self) -> int | None:
        return self.server.pid
