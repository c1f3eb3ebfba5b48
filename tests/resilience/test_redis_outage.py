"""A Redis outage is survived, and its password is never shown."""

import logging
import time

import gevent
import gevent.event
import pytest

from tests.catalogs import basic_catalog, radio
from tests.harness import wait_for
from tests.streamer_emulator import StreamerEmulator
from yascheduler.streaming import bus


from tests.resilience.conftest import get, healthz, radio_state, start_radio, status


# --- 2. Redis outage ----------------------------------------------------------------------

SONG_SECONDS = 3.0


class RetryWatch(logging.Handler):
    """Set once the bus has said `times` times that it waits at least `wait` seconds
    before its next attempt."""

    def __init__(self, wait: float, times: int = 1):
        super().__init__(logging.WARNING)
        self.wait = wait
        self.times = times
        self.event = gevent.event.Event()

    def emit(self, record):
        if "unreachable" in record.msg and record.args and record.args[-1] >= self.wait:
            self.times -= 1
            if self.times <= 0:
                self.event.set()


def test_a_redis_outage_is_survived(own_redis, services_on):
    server = own_redis()
    catalog = {
        "radios": [
            radio("radio-a", 100, 10, duration=SONG_SECONDS),
            radio("radio-b", 200, 20, duration=SONG_SECONDS),
        ]
    }
    service = services_on(server.url, catalog, ping_interval=0.5)
    masters = {"radio-a": "s1", "radio-b": "s2"}
    for uuid, name in masters.items():
        emulator = StreamerEmulator(server.url, name)
        start_radio(emulator, uuid)
        emulator.close()
    before = {uuid: radio_state(service, uuid) for uuid in masters}
    watch = RetryWatch(wait=bus.MAX_RETRY, times=2)
    logging.getLogger("yascheduler.bus").addHandler(watch)
    try:
        killed_at = time.monotonic()
        server.stop()
        wait_for(lambda: not service.bus.connected, "the service to see Redis gone")
        assert healthz(service) == 503
        # Down until the bus is about to wait its longest: past 2 ping intervals,
        # and long enough for the streamers to be back before the scheduler is.
        assert watch.event.wait(timeout=5), "the bus never backed off to its longest wait"
    finally:
        logging.getLogger("yascheduler.bus").removeHandler(watch)
    server.start()
    back_at = time.monotonic()
    assert back_at - killed_at > 2 * 0.5  # longer than two ping intervals
    emulators = {uuid: StreamerEmulator(server.url, name) for uuid, name in masters.items()}
    try:
        wait_for(lambda: service.bus.connected, "the service to reconnect", timeout=1.5)
        assert time.monotonic() - back_at < 1.5
        assert healthz(service) == 200
        assert status(service)["redis_connected"] is True
        # Each is brought back in step once it answers a ping: the service cannot know
        # before that it hears us (a count above 0 may be another pattern subscriber's).
        for uuid, emulator in emulators.items():
            resync = next_resync_play(emulator, uuid)
            arrived = emulator.last_arrival
            state = radio_state(service, uuid)
            if state["started_at"] <= arrived:
                assert resync["filename"] == state["filename"]
                started = state["started_at"]
            else:  # the track changed between the play and this look: it was the one before
                started = state["started_at"] - SONG_SECONDS
            assert resync["offset"] == pytest.approx(arrived - started, abs=0.25)
            emulator.send(type="test", info="back")  # subscribed again: it hears streamers
            while (message := emulator.next())["type"] == "play":
                pass  # the next track's play, or a regular one
            assert message == {"type": "test", "info": "back"}

        # Programming went on while Redis was away: same timeline, later tracks.
        wait_for(lambda: time.time() > before["radio-a"]["ends_at"] + 0.1, "a track change")
        for uuid in masters:
            state = radio_state(service, uuid)
            tracks = (state["started_at"] - before[uuid]["started_at"]) / SONG_SECONDS
            assert tracks >= 1 and tracks == pytest.approx(round(tracks), abs=1e-6)
            assert state["started_at"] <= time.time() < state["ends_at"]

        # The pongs lost in the outage dropped nobody, and pings go on.
        for emulator in emulators.values():
            wait_for(lambda e=emulator: e.pings >= 3, "three pings after the outage")
        assert service.streamers.names() == ["s1", "s2"]
        assert {uuid: radio_state(service, uuid)["master_streamer"] for uuid in masters} == masters
        assert service.metrics.redis_reconnects._value.get() == 1
        assert service.failure is None
    finally:
        for emulator in emulators.values():
            emulator.close()


def next_resync_play(emulator, uuid) -> dict:
    """The play the scheduler sends when it is back: the current track, at once (delay 0)."""
    deadline = time.monotonic() + 2.0
    while True:
        message = emulator.next(timeout=max(0.01, deadline - time.monotonic()))
        if message["type"] == "play" and message["radio_uuid"] == uuid and message["delay"] == 0:
            return message


# --- 4. secrets ---------------------------------------------------------------------------------

SECRET = "s3cret"


def test_the_redis_password_is_never_shown(own_redis, services_on, caplog):
    caplog.set_level(logging.DEBUG)
    server = own_redis(password=SECRET)
    assert SECRET in server.url
    service = services_on(server.url, basic_catalog())
    s1 = StreamerEmulator(server.url, "s1")
    try:
        start_radio(s1, "radio-1")
    finally:
        s1.close()
    server.stop()  # the reconnection path logs the URL too
    wait_for(lambda: "unreachable" in caplog.text, "the bus to log the outage")
    server.start()
    wait_for(lambda: service.bus.connected, "the service to reconnect", timeout=3)
    shown = [
        get(service, path).text
        for path in ("/api/status", "/healthz", "/metrics", "/api/radios/radio-1")
    ]
    shown.append(repr(service.reader.status()))
    assert f"127.0.0.1:{server.port}" in caplog.text  # the URL is logged, redacted
    for text in [caplog.text, *shown]:
        assert SECRET not in text
