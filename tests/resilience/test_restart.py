"""A hard restart loses nothing: in the process, and a real `yascheduler run` killed -9."""

import json
import math
import signal

import pytest
import requests

from tests.catalogs import USERS, basic_catalog
from tests.harness import hard_kill, stored, wait_for
from yascheduler.support.ports import free_port
from tests.streamer_emulator import StreamerEmulator
from yascheduler.store.sessions import ListenerSession
from yascheduler.support.clock import FakeClock


from tests.resilience.conftest import (
    KEY,
    MAT,
    notifications,
    radio_state,
    record_accepted,
    start_radio,
    status,
)


def test_a_hard_restart_loses_nothing(make_service, streamers, webapp):
    clock = FakeClock()
    accepted = record_accepted(webapp)
    options = {"clock": clock, "yaapp_url": webapp.url, "yaapp_key": KEY}
    first = make_service(basic_catalog(), **options)
    s1 = streamers("s1")
    play = start_radio(s1, "radio-1")
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l2", user_id=None)
    s1.roundtrip()
    wait_for(
        lambda: len(notifications(accepted)) == 4 and first.notifier.backlog() == 0,
        "the first notifications to be delivered",
    )
    songs = notifications(accepted)[:2]
    assert sorted(song[1] for song in songs) == ["radio-1", "radio-2"]

    # The web app goes down; notifications pile up in the outbox.
    webapp.status = 500
    clock.advance(10)
    s1.send(type="register_listener", radio_uuid="radio-1", session_id="l3", user_id=None)
    s1.send(type="unregister_listener", session_id="l2")
    s1.roundtrip()
    assert status(first)["outbox"] == 2
    before = radio_state(first, "radio-1")
    assert (before["master_streamer"], before["listeners"]) == ("s1", 2)
    assert before["filename"] == play["filename"]

    stored(first)  # a crash loses no change older than write_delay, plus one write
    hard_kill(first)
    first = None  # its memory is gone with it: only the store and Redis remain
    clock.advance(5)
    pings = s1.pings
    second = make_service(**options)

    after = status(second)
    assert (after["streamers"], after["streaming_radios"], after["listeners"]) == (1, 1, 2)
    assert after["outbox"] == 2
    wait_for(lambda: s1.pings > pings, "the restarted service to ping s1")
    state = radio_state(second, "radio-1")
    assert (state["master_streamer"], state["listeners"]) == ("s1", 2)
    assert (state["filename"], state["started_at"]) == (before["filename"], before["started_at"])
    again = start_radio(s1, "radio-1")
    assert again["filename"] == before["filename"]
    assert again["offset"] == pytest.approx(clock.now() - before["started_at"], abs=1e-3)
    assert again["offset"] == pytest.approx(15.0, abs=1e-3)
    assert notifications(accepted) == songs + [  # nothing was taken while the web app was down
        ("start_listening", "radio-1", MAT),
        ("start_listening", "radio-1", ()),
    ]

    webapp.status = 200
    clock.advance(7)
    s1.send(type="unregister_listener", session_id="l1")
    s1.send(type="stop_radio", radio_uuid="radio-1")
    s1.expect("radio_stopped")
    wait_for(lambda: second.notifier.backlog() == 0, "the outbox to drain", timeout=8)
    assert notifications(accepted) == songs + [
        ("start_listening", "radio-1", MAT),
        ("start_listening", "radio-1", ()),
        ("start_listening", "radio-1", ()),  # l3, at 10 s
        ("stop_listening", "radio-1", (("listening_duration", "10"),)),  # l2: 0 -> 10
        ("stop_listening", "radio-1", tuple(sorted((("listening_duration", "22"), *MAT)))),
        # the radio stops: its last session (l3: 10 -> 22) is closed and reported, then the total
        ("stop_listening", "radio-1", (("listening_duration", "12"),)),
        ("stopped", "radio-1", (("listening_duration", "12"),)),
    ]
    durations = {s.session_id: s.duration for s in ListenerSession.objects}
    assert durations == {"l1": 22, "l2": 10, "l3": 12}


# --- a real process, killed -9 ----------------------------------------------------------------


def test_kill_9_of_yascheduler_run_resumes_from_the_store(mongo_url, own_redis, tmp_path):
    from tests.test_cli import start, stop, wait_healthy

    server = own_redis()
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps({"users": USERS, "radios": basic_catalog()["radios"]}))
    port = free_port()
    args = [
        "run",
        "--redis-url",
        server.url,
        "--mongo-url",
        mongo_url,
        "--http",
        f"127.0.0.1:{port}",
        "--ping-interval",
        "1",
        "--timezone",
        "UTC",
    ]
    base = f"http://127.0.0.1:{port}"
    process = start([*args, "--catalog", str(catalog_file)])
    s1 = StreamerEmulator(server.url, "s1")
    try:
        wait_healthy(process, port)
        start_radio(s1, "radio-1")
        s1.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
        s1.roundtrip()
        before = requests.get(f"{base}/api/radios/radio-1", timeout=2).json()
        assert (before["master_streamer"], before["listeners"]) == ("s1", 1)
        # written behind: a kill loses what is younger than write_delay plus one write
        wait_for(lambda: ListenerSession.objects(session_id="l1").count(), "l1 to be stored")

        process.send_signal(signal.SIGKILL)
        process.wait(timeout=5)
        pings = s1.pings
        process = start(args)  # no catalog: the store has it
        wait_healthy(process, port)
        wait_for(lambda: s1.pings > pings, "the new process to ping s1", timeout=5)
        state = requests.get(f"{base}/api/radios/radio-1", timeout=2).json()
        assert (state["master_streamer"], state["listeners"]) == ("s1", 1)
        assert state["filename"] == before["filename"]
        assert state["started_at"] == before["started_at"]
        counts = requests.get(f"{base}/api/status", timeout=2).json()
        assert (counts["streamers"], counts["listeners"]) == (1, 1)
        again = start_radio(s1, "radio-1")
        assert again["filename"] == before["filename"]
        assert again["offset"] >= before["offset"]
        # the session opened before the kill is accounted from its real start
        opened = ListenerSession.objects.get(session_id="l1").started_at
        s1.send(type="unregister_listener", session_id="l1")
        s1.roundtrip()
        wait_for(
            lambda: ListenerSession.objects.get(session_id="l1").ended_at is not None,
            "the close to be stored",
        )
        closed = ListenerSession.objects.get(session_id="l1")
        assert closed.ended_at - opened >= again["offset"] - before["offset"]
        assert closed.duration == math.floor(closed.ended_at - opened)
    finally:
        s1.close()
        if process.poll() is None:
            stop(process)
