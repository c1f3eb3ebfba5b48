"""A Redis master failover through Sentinel is survived: the service follows the
sentinels to the promoted replica, and every master streamer is back in step. The
first sentinel of the URL dies with the master, as one on the same machine would.

Real parts: a master, its replica and three sentinels (redis-server, one binary), the
service on a redis+sentinel:// URL, production streamer emulators. The emulators
reach Redis through a proxy that follows the sentinels (tests/master_proxy.py), as
the C++ streamer, which knows no Sentinel, would through HAProxy or a virtual IP."""

import logging
import time

import pytest

from tests.catalogs import radio
from tests.harness import wait_for
from tests.master_proxy import MasterProxy
from tests.redis_sentinel import SERVICE, SentinelRedis
from tests.resilience.conftest import get, healthz, radio_state, start_radio, status
from tests.streamer_emulator import StreamerEmulator
from yascheduler.support.ports import HOST

SONG_SECONDS = 3.0
PASSWORD = "master-s3cret"
SENTINEL_PASSWORD = "sentinel-s3cret"
MASTERS = {"radio-a": "s1", "radio-b": "s1", "radio-c": "s2"}
# the sentinels take about 2 s; then the emulators' own backoff (1 ms doubling) runs on
FAILOVER_TIMEOUT = 10.0
STREAMERS_BACK_TIMEOUT = 15.0
# from a streamer's resubscription to its radios' current tracks: the service probes
# every 0.25 s (liveness.PROBE_INTERVAL) a streamer it could not reach
IN_STEP_WITHIN = 1.0
# from the promotion to the service subscribed: its longest wait between attempts
# (bus.MAX_RETRY, 0.5 s) and a margin; the dead sentinel first in the URL is passed
# over at once (with redis-py's default retries it would cost ~2 s an attempt)
RECONNECTED_WITHIN = 1.5


@pytest.fixture
def sentinel_redis(tmp_path):
    redis = SentinelRedis(tmp_path, PASSWORD, SENTINEL_PASSWORD)
    try:
        redis.start()
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def master_proxy(sentinel_redis):
    sentinels = [(HOST, port) for port in sentinel_redis.sentinel_ports]
    proxy = MasterProxy(sentinels, SERVICE, SENTINEL_PASSWORD)
    yield proxy
    proxy.close()


def test_a_redis_master_failover_through_sentinel_is_survived(
    sentinel_redis, master_proxy, services_on, caplog
):
    caplog.set_level(logging.INFO)
    catalog = {
        "radios": [
            radio(uuid, 100 * (i + 1), 10 * (i + 1), duration=SONG_SECONDS)
            for i, uuid in enumerate(MASTERS)
        ]
    }
    service = services_on(sentinel_redis.url, catalog, ping_interval=0.5)
    streamer_url = master_proxy.url(PASSWORD)
    emulators = {
        name: StreamerEmulator(streamer_url, name, production=True)
        for name in sorted(set(MASTERS.values()))
    }
    try:
        for uuid, name in MASTERS.items():
            start_radio(emulators[name], uuid)
        promoted = (HOST, sentinel_redis.replica_port)
        assert sentinel_redis.master_named() != promoted

        sentinel_redis.kill_master()
        sentinel_redis.kill_sentinel(0)
        wait_for(lambda: not service.bus.connected, "the service to see the master gone")
        assert healthz(service) == 503
        for emulator in emulators.values():
            emulator.drain()  # what came before the failover
        wait_for(lambda: sentinel_redis.master_named() == promoted, "the sentinels to promote "
                 "the replica", FAILOVER_TIMEOUT)  # fmt: skip
        wait_for(lambda: service.bus.connected, "the service to subscribe on the new master",
                 RECONNECTED_WITHIN)  # fmt: skip
        assert f"redis master of {SERVICE}: {HOST}:{sentinel_redis.replica_port}" in caplog.text
        assert healthz(service) == 200
        assert status(service)["redis_connected"] is True

        for name, emulator in emulators.items():
            radios = sorted(uuid for uuid, master in MASTERS.items() if master == name)
            wait_for(lambda e=emulator: len(e.subscribed_at) == 2, f"{name} to resubscribe",
                     STREAMERS_BACK_TIMEOUT)  # fmt: skip
            resyncs = resync_plays(emulator, radios)
            for uuid, (arrived, play) in resyncs.items():
                assert 0 <= arrived - emulator.subscribed_at[-1] < IN_STEP_WITHIN
                assert_current_track(service, uuid, play, arrived)

        # Nobody dropped; pings answered on the new master (the first pong of each is
        # lost, as the production streamer's, and forgiven).
        for emulator in emulators.values():
            pings = emulator.pings
            wait_for(lambda e=emulator, n=pings: e.pings >= n + 2, "two more pings")
            assert_heard(emulator)
        assert service.streamers.names() == sorted(emulators)
        assert {uuid: radio_state(service, uuid)["master_streamer"] for uuid in MASTERS} == MASTERS
        assert service.metrics.redis_reconnects._value.get() == 1
        assert service.failure is None

        shown = [caplog.text, get(service, "/api/status").text, get(service, "/metrics").text]
        for secret in (PASSWORD, SENTINEL_PASSWORD):
            assert not any(secret in text for text in shown)
    finally:
        for emulator in emulators.values():
            emulator.close()


def resync_plays(emulator, radios) -> dict[str, tuple[float, dict]]:
    """Each radio's play sent when the streamer is heard again: at once (delay 0)."""
    found = {}
    deadline = time.monotonic() + IN_STEP_WITHIN + 1.0
    while set(found) != set(radios):
        message = emulator.next(timeout=max(0.01, deadline - time.monotonic()))
        if message["type"] == "play" and message["delay"] == 0:
            found.setdefault(message["radio_uuid"], (emulator.last_arrival, message))
    return found


def assert_heard(emulator) -> None:
    """A `test` the streamer sends is answered: the service hears it on the new master."""
    emulator.send(type="test", info="after the failover")
    while (message := emulator.next())["type"] == "play":
        pass  # a next track's play
    assert message == {"type": "test", "info": "after the failover"}


def assert_current_track(service, uuid, play, arrived) -> None:
    """The play is the track on air when it arrived, at the offset it had reached."""
    state = radio_state(service, uuid)
    if state["started_at"] <= arrived:
        assert play["filename"] == state["filename"]
        started = state["started_at"]
    else:  # the track changed since the play arrived: it was the one before
        started = state["started_at"] - SONG_SECONDS
    assert play["offset"] == pytest.approx(arrived - started, abs=0.25)
