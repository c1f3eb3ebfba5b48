import logging
import os
import socket
import stat

import pytest
import redis

from yascheduler.support import embedded_redis
from yascheduler.support.embedded_redis import PREFERRED_PORT, EmbeddedRedis
from yascheduler.support.errors import YaschedulerError


@pytest.fixture
def server():
    embedded = EmbeddedRedis()
    yield embedded
    embedded.stop()


def ping(url: str) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        return client.ping()
    finally:
        client.close()


def test_the_bundled_binary_is_found():
    assert os.access(embedded_redis.redis_server_binary(), os.X_OK)


def test_starts_and_answers_ping(server, caplog):
    caplog.set_level(logging.INFO, logger="yascheduler.redis")
    url = server.start()
    assert url.startswith("redis://127.0.0.1:") and url.endswith("/0")
    assert ping(url)
    started = f"embedded redis-server started at {url} (pid {server.process.pid})"
    assert started in caplog.messages


def test_takes_another_port_when_6379_is_busy(server):
    with socket.socket() as squatter:
        if embedded_redis.port_is_free(PREFERRED_PORT):
            squatter.bind(("127.0.0.1", PREFERRED_PORT))
            squatter.listen()
        url = server.start()
        assert url != f"redis://127.0.0.1:{PREFERRED_PORT}/0"
        assert ping(url)


def test_keeps_nothing_on_disk(server):
    client = redis.Redis.from_url(server.start())
    try:
        assert client.config_get("save") == {"save": ""}
        assert client.config_get("appendonly") == {"appendonly": "no"}
        assert client.config_get("dir") == {"dir": str(server.workdir.resolve())}
    finally:
        client.close()


def test_stop_ends_the_process_and_removes_its_files(server):
    url = server.start()
    process, workdir = server.process, server.workdir
    server.stop()
    assert process.poll() is not None
    assert not workdir.exists()
    with pytest.raises(redis.ConnectionError):
        ping(url)
    server.stop()  # a second stop does nothing


def test_a_server_that_dies_at_start_is_reported_with_its_log(server, tmp_path, monkeypatch):
    broken = tmp_path / "redis-server"
    broken.write_text("#!/bin/sh\necho 'FATAL: cannot start, bad config' >&2\nexit 1\n")
    broken.chmod(broken.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(embedded_redis, "redis_server_binary", lambda: str(broken))
    with pytest.raises(YaschedulerError, match="exited with status 1") as caught:
        server.start()
    assert "FATAL: cannot start, bad config" in str(caught.value)
    assert server.process is None and server.workdir is None


def test_a_server_that_never_answers_is_killed(server, tmp_path, monkeypatch):
    silent = tmp_path / "redis-server"
    silent.write_text("#!/bin/sh\necho 'starting slowly'\nexec sleep 60\n")
    silent.chmod(silent.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(embedded_redis, "redis_server_binary", lambda: str(silent))
    server.start_timeout = 0.5
    with pytest.raises(YaschedulerError, match="did not answer PING within 0.5s") as caught:
        server.start()
    assert "starting slowly" in str(caught.value)
