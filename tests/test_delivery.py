"""Delivery-aware liveness (PROTOCOL.md): a streamer no publish reaches is unreachable,
not dead; it is brought back in step the moment it hears us again; only a ping
that reached it and went unanswered, or a long unreachability, drops it."""

import time

import pytest
import requests

from tests.catalogs import radio
from tests.harness import http_base, start_service, wait_for
from tests.streamer_emulator import StreamerEmulator
from yascheduler.support.clock import FakeClock
from yascheduler.store.streamers import StoredStreamers
from yascheduler.streaming.liveness import Peer, Streamers

SONG_SECONDS = 3.0


def get(service, path):
    return requests.get(f"{http_base(service)}{path}", timeout=2).json()


def streamer_state(service, name):
    rows = {row["name"]: row for row in get(service, "/api/streamers")["streamers"]}
    return rows[name]["state"] if name in rows else None


def next_resync_play(emulator, uuid, timeout=2.0) -> dict:
    """The play that brings a streamer back in step: the current track, at once (delay 0)."""
    deadline = time.monotonic() + timeout
    while True:
        message = emulator.next(timeout=max(0.01, deadline - time.monotonic()))
        if message["type"] == "play" and message["radio_uuid"] == uuid and message["delay"] == 0:
            return message


def assert_in_step(service, play, arrived):
    """The play is the track on air when it arrived, at the offset reached then."""
    state = get(service, "/api/radios/radio-a")
    started = state["started_at"]
    if started > arrived:  # the track changed since: it was the one before
        started -= SONG_SECONDS
    else:
        assert play["filename"] == state["filename"]
    assert play["offset"] == pytest.approx(arrived - started, abs=0.25)


@pytest.fixture
def catalog():
    return {"radios": [radio("radio-a", 100, 10, duration=SONG_SECONDS)]}


@pytest.mark.parametrize("backoff", [0.004, 0.5, 4.0])
def test_after_a_redis_outage_the_master_is_in_step_within_a_second_of_its_resubscribe(
    own_redis, db, catalog, backoff
):
    server = own_redis()
    service = start_service(server.url, db, catalog, ping_interval=1)
    s1 = StreamerEmulator(server.url, "s1", production=True)
    try:
        s1.send(type="play_radio", radio_uuid="radio-a")
        s1.expect("radio_started")
        s1.expect("play")
        server.stop()
        # the streamer backs off, doubling from 1 ms: restart Redis once it waits this long
        wait_for(lambda: s1.backoff >= backoff, f"a {backoff}s backoff", timeout=backoff * 3 + 2)
        server.start()
        wait_for(lambda: len(s1.subscribed_at) == 2, "its resubscribe", timeout=2 * backoff + 2)
        play = next_resync_play(s1, "radio-a", timeout=3)
        assert s1.last_arrival - s1.subscribed_at[-1] < 1.0
        assert_in_step(service, play, s1.last_arrival)
        # programming goes on: the next track is prepared ahead, as ever
        assert s1.expect("play", timeout=SONG_SECONDS + 1)["delay"] > 0
        assert service.streamers.names() == ["s1"]
        assert service.metrics.streamers_dropped._value.get() == 0
        assert service.failure is None
    finally:
        s1.close()
        service.stop()


def test_a_streamer_that_lost_its_subscription_is_resynced_once_it_is_back(
    make_service, streamers, catalog
):
    service = make_service(catalog, ping_interval=0.5)
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-a")
    s1.expect("radio_started")
    s1.expect("play")
    s1.unsubscribe()  # Redis stays up: only the streamer's subscription is gone
    wait_for(lambda: streamer_state(service, "s1") == "unreachable", "s1 to be unreachable")
    unreceived = service.metrics.unreceived["ping"]
    wait_for(lambda: service.metrics.unreceived["ping"] >= unreceived + 4, "more pings lost")
    assert streamer_state(service, "s1") == "unreachable"  # not dropped for missed pongs
    s1.subscribe_again()
    play = next_resync_play(s1, "radio-a", timeout=1.5)
    assert s1.last_arrival - s1.subscribed_at[-1] < 1.0
    assert_in_step(service, play, s1.last_arrival)
    wait_for(lambda: streamer_state(service, "s1") == "alive", "s1 alive again")


def test_a_streamer_unreachable_too_long_is_dropped_with_its_radios(
    make_service, streamers, catalog, caplog
):
    service = make_service(catalog, ping_interval=0.2, unreachable_timeout=1.5)
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-a")
    s1.expect("radio_started")
    s1.close()
    wait_for(lambda: service.streamers.count() == 0, "s1 to be dropped", timeout=5)
    assert get(service, "/api/radios/radio-a")["master_streamer"] is None
    assert "streamer s1 dropped: unreachable for 1." in caplog.text
    assert service.metrics.streamers_dropped._value.get() == 1


def test_a_master_no_publish_reaches_does_not_keep_its_radio_from_another(
    make_service, streamers, catalog
):
    service = make_service(catalog, ping_interval=0.3)
    s1, s2 = streamers("s1"), streamers("s2")
    s1.send(type="play_radio", radio_uuid="radio-a")
    s1.expect("radio_started")
    s1.unsubscribe()
    wait_for(lambda: streamer_state(service, "s1") == "unreachable", "s1 to be unreachable")
    s2.send(type="play_radio", radio_uuid="radio-a")  # proxy mode, but s1 cannot serve it
    assert s2.expect("radio_started")["radio_uuid"] == "radio-a"
    assert get(service, "/api/radios/radio-a")["master_streamer"] == "s2"


# --- the liveness rules, with an injected clock -------------------------------------------------


class Publishes:
    """Stands in for the bus: records the pings, and is connected or not."""

    def __init__(self):
        self.connected = True
        self.sent: list[tuple[str, dict]] = []

    def publish(self, name, message):
        self.sent.append((name, message))


@pytest.fixture
def liveness():
    clock, bus, dead, back = FakeClock(), Publishes(), [], []
    registry = Streamers(
        clock, bus, StoredStreamers(), 10, 60, lambda n, why: dead.append(why), back.append
    )
    registry.peers["s1"] = Peer("s1", clock.now(), clock.now())
    return clock, bus, registry, dead, back


def test_a_delivered_ping_left_unanswered_drops_the_streamer(liveness):
    clock, bus, registry, dead, _ = liveness
    registry.tick()
    registry.delivered("s1", "ping", 1)
    clock.advance(9.9)
    registry.tick()
    assert dead == []
    clock.advance(0.1)
    registry.tick()
    assert dead == ["no pong for 10.0s"]


def test_a_pong_read_before_the_count_of_its_ping_keeps_the_streamer(liveness, db):
    clock, bus, registry, dead, _ = liveness
    registry.tick()  # the ping queued, and published...
    registry.pong("s1")  # ...its pong read first (a busy process reads both sockets at once)
    registry.delivered("s1", "ping", 1)  # then the count of the publish
    clock.advance(10)
    registry.tick()
    assert dead == []  # answered: not awaited, and pinged again
    registry.delivered("s1", "ping", 1)
    clock.advance(10)
    registry.tick()
    assert dead == ["no pong for 20.0s"]  # that one went unanswered


def test_pings_that_reach_nobody_never_drop_before_the_unreachable_timeout(liveness):
    clock, bus, registry, dead, _ = liveness
    for _ in range(59):
        registry.tick()
        registry.delivered("s1", "ping", 0)
        clock.advance(1)
    registry.tick()
    assert dead == [] and registry.liveness("s1") == "unreachable"
    clock.advance(1)
    registry.tick()
    assert dead == ["unreachable for 60.0s"]


def test_nobody_is_pinged_or_dropped_while_redis_is_away(liveness):
    clock, bus, registry, dead, _ = liveness
    registry.tick()
    registry.delivered("s1", "ping", 1)
    bus.connected = False
    clock.advance(100)
    registry.tick()
    assert dead == [] and len(bus.sent) == 1


def test_after_our_resubscribe_one_unanswered_ping_is_forgiven_and_a_pong_resyncs(liveness):
    clock, bus, registry, dead, back = liveness
    registry.resubscribed()
    registry.tick()  # probed at once
    registry.delivered("s1", "ping", 1)  # may be another pattern subscriber: wait for a pong
    assert back == []
    clock.advance(10)
    registry.tick()  # its first pong was lost: forgiven
    assert dead == []
    registry.delivered("s1", "ping", 1)
    registry.seen("s1")  # a message from it: alive, though not proof that it hears us
    assert back == []
    clock.advance(10)
    registry.tick()
    assert dead == []  # it spoke since the ping


def test_a_streamer_behind_is_resynced_by_its_first_delivery_or_pong(liveness, db):
    clock, bus, registry, dead, back = liveness
    registry.delivered("s1", "play", 0)  # missed for sure
    registry.delivered("s1", "ping", 0)
    assert back == []
    registry.delivered("s1", "ping", 1)  # it is subscribed again
    assert back == ["s1"]
    registry.undelivered({"s1"})  # Redis failed a publish: it may have missed it
    registry.delivered("s1", "ping", 1)
    assert back == ["s1"]
    registry.pong("s1")
    assert back == ["s1", "s1"]
