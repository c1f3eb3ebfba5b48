"""The embedded store server: nx-27017 (a MongoDB wire-protocol server on SQLite) as a
child process, its data in the data directory, when no mongo_url is configured.

The data directory holds the store (`store/`, one SQLite file per database), the
server's pid file and log, and a lock that one yascheduler holds while it runs:
a second one on the same directory refuses to start, naming the holder.
"""

import fcntl
import logging
import os
import sys
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

from yascheduler.support.child_server import ChildServer
from yascheduler.support.errors import YaschedulerError
from yascheduler.support.ports import HOST, free_port

log = logging.getLogger("yascheduler.store")

DATABASE = "yascheduler"
LOCK_NAME = "yascheduler.lock"
STORE_DIR = "store"
# nx-27017's console script, as the interpreter that runs us finds it (no PATH needed)
SERVER = "import sys; from nx_27017.nx_27017 import main; sys.exit(main())"


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
    """nx-27017 on a loopback port, on the data directory's store."""

    def __init__(self, data_dir: Path, start_timeout: float = 20.0, stop_timeout: float = 5.0):
        self.directory = DataDirectory(data_dir)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.server: ChildServer | None = None
        self.url: str | None = None

    def start(self) -> str:
        """Lock the data directory, start the server, wait until it answers; its URL."""
        self.directory.lock()
        try:
            port = free_port()
            self.server = store_child(self.directory.path, HOST, port)
            self.server.start(self.start_timeout)
        except BaseException:
            self.stop()
            raise
        self.url = f"mongodb://{HOST}:{port}/{DATABASE}"
        log.info(
            "embedded store server (nx-27017, pid %d) at %s, data in %s",
            self.server.pid,
            self.url,
            self.directory.path,
        )
        return self.url

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(self.stop_timeout)
            log.info("embedded store server stopped")
            self.server = None
        self.directory.unlock()
        self.url = None


def store_child(data_dir: Path, host: str, port: int) -> ChildServer:
    """An nx-27017 child keeping its databases, pid file and log in `data_dir`."""
    command = [
        sys.executable, "-c", SERVER,
        "--data-dir", str(data_dir / STORE_DIR),
        "--host", host,
        "--port", str(port),
        # its own pid file: by default every server of the machine shares one, and refuses
        "--pid-file", str(data_dir / "store.pid"),
        "--log-file", str(data_dir / "store.log"),
    ]  # fmt: skip
    (data_dir / STORE_DIR).mkdir(parents=True, exist_ok=True)
    return ChildServer(
        "nx-27017",
        command,
        answers=lambda: answers_ping(host, port),
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
