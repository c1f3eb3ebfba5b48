"""The embedded store server: nx-27017 (a MongoDB wire-protocol server on SQLite) as a
child process, its data in the data directory, when no mongo_url is configured.

The data directory holds the store (`store/`, one SQLite file per database), the
server's pid file and log, and a lock that one yascheduler holds while it runs:
a second one on the same directory refuses to start, naming the holder.

With `store_listen` the server listens on that address, for other instances to
share it (`--mongo-url mongodb://HOST:PORT/yascheduler`); it still lives and
dies with this process. Without, a free loopback port: this instance alone.
"""

import fcntl
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

from yascheduler.support.child_server import ChildServer
from yascheduler.support.config import format_host_port
from yascheduler.support.errors import ConfigError, YaschedulerError
from yascheduler.support.ports import HOST, bind_problem, free_port

log = logging.getLogger("yascheduler.store")

# a server listening on every address is reached, by this instance, on loopback
EVERY_ADDRESS = {"0.0.0.0": "127.0.0.1", "::": "::1"}

DATABASE = "yascheduler"
LOCK_NAME = "yascheduler.lock"
STORE_DIR = "store"
PID_FILE = "store.pid"
KILLED_WITHIN = 1.0  # seconds a SIGKILLed leftover server may take to be gone
# nx-27017's console script, as the interpreter that runs us finds it (no PATH needed)
SERVER = "import sys; from nx_27017.nx_27017 import main; sys.exit(main())"


def end_leftover(pid_file: Path, timeout: float) -> None:
    """The server of a yascheduler killed with -9 is told to stop as its parent dies, but
    may still be stopping when the next run starts, and nx-27017 refuses to start while
    the process its pid file names lives. With the data directory locked, that file is
    ours: a server it names is a leftover, waited for, then killed if it lingers past
    `timeout`; any other program it names took a stale pid, and the file goes."""
    pid = _pid_in(pid_file)
    if pid is not None and _is_store_server(pid):
        log.warning("store server of an earlier run (pid %d) still stopping: waiting", pid)
        if not _gone(pid, timeout):
            log.warning("store server of an earlier run (pid %d) lingers: killing it", pid)
            os.kill(pid, signal.SIGKILL)
            _gone(pid, KILLED_WITHIN)  # its files are let go as it exits
    pid_file.unlink(missing_ok=True)


def _pid_in(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_store_server(pid: int) -> bool:
    """That process lives and is an nx-27017 (not a pid reused since; a zombie has no
    command line)."""
    try:
        return b"nx_27017" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _is_store_server(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)  # not our child: no wait() to block on
    return True


class DataDirectoryInUse(YaschedulerError):
    """Another yascheduler holds the data directory."""


class DataDirectory:
    """The data directory, locked for as long as this process uses it."""

    def __init__(self, path: Path):
        self.path = Path(path).expanduser().resolve()
        self._lock = None

    def lock(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise YaschedulerError(
                f"data_dir: cannot create {self.path}: {error.strerror}"
            ) from None
        lock_file = open(self.path / LOCK_NAME, "a+")  # noqa: SIM115 - held while we run
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "unknown"
            lock_file.close()
            raise DataDirectoryInUse(
                f"data directory {self.path} is in use by another yascheduler (pid {holder}); "
                "stop it, or give this one another --data-dir"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        lock_file.write(f"{os.getpid()}\n")
        lock_file.flush()
        self._lock = lock_file

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the lock; the kernel does it on a crash
            self._lock = None


class EmbeddedStore:
    """nx-27017 on the data directory's store: on `listen` (HOST, PORT) for the fleet,
    else on a free loopback port."""

    def __init__(
        self,
        data_dir: Path,
        listen: tuple[str, int] | None = None,
        start_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ):
        self.directory = DataDirectory(data_dir)
        self.listen = listen
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.server: ChildServer | None = None
        self.url: str | None = None

    def start(self) -> str:
        """Lock the data directory, start the server, wait until it answers; the URL
        this instance connects to."""
        self.directory.lock()
        try:
            end_leftover(self.directory.path / PID_FILE, self.stop_timeout)
            host, port = self._address()
            self.server = store_child(self.directory.path, host, port)
            self.server.start(self.start_timeout)
        except BaseException:
            self.stop()
            raise
        self.url = store_url(EVERY_ADDRESS.get(host, host), port)
        log.info(
            "embedded store server (nx-27017, pid %d) at %s, data in %s",
            self.server.pid,
            self.url,
            self.directory.path,
        )
        if self.listen is not None:
            log_shared(host, port)
        return self.url

    def _address(self) -> tuple[str, int]:
        """Where the server listens: `listen`, refused if something holds it already (an
        answer from there would be another server's store), or a free loopback port."""
        if self.listen is None:
            return HOST, free_port()
        host, port = self.listen
        problem = bind_problem(host, port)
        if problem is not None:
            raise ConfigError(
                f"store_listen: cannot serve the embedded store on {format_host_port(self.listen)}"
                f": {problem} (another program listening there, or not an address of this "
                "machine); give another --store-listen"
            )
        return host, port

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(self.stop_timeout)
            log.info("embedded store server stopped")
            self.server = None
        self.directory.unlock()
        self.url = None


def store_url(host: str, port: int) -> str:
    return f"mongodb://{format_host_port((host, port))}/{DATABASE}"


def log_shared(host: str, port: int) -> None:
    """What the operator gives the other instances: one line, with the URL they need."""
    if host in EVERY_ADDRESS:
        log.info(
            "embedded store served to other instances on every address of this machine "
            "(%s): they start with --mongo-url %s, this machine's address in place of %s "
            "(as %s); it stops with this instance",
            format_host_port((host, port)),
            store_url(host, port),
            host,
            store_url(socket.gethostname(), port),
        )
    else:
        log.info(
            "embedded store served to other instances: they start with --mongo-url %s; "
            "it stops with this instance",
            store_url(host, port),
        )


def store_child(data_dir: Path, host: str, port: int) -> ChildServer:
    """An nx-27017 child keeping its databases, pid file and log in `data_dir`."""
    command = [
        sys.executable, "-c", SERVER,
        "--data-dir", str(data_dir / STORE_DIR),
        "--host", host,
        "--port", str(port),
        # its own pid file: by default every server of the machine shares one, and refuses
        "--pid-file", str(data_dir / PID_FILE),
        "--log-file", str(data_dir / "store.log"),
    ]  # fmt: skip
    (data_dir / STORE_DIR).mkdir(parents=True, exist_ok=True)
    return ChildServer(
        "nx-27017",
        command,
        answers=lambda: answers_ping(EVERY_ADDRESS.get(host, host), port),
        probe="ping",
        log_path=data_dir / "store-output.log",
    )


def answers_ping(host: str, port: int) -> bool:
    client = pymongo.MongoClient(host, port, serverSelectionTimeoutMS=500, connect=False)
    try:
        return client.admin.command("ping").get("ok") == 1
    except PyMongoError:
        return False
    finally:
        client.close()
