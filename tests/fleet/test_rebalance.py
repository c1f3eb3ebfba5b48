"""A second `yascheduler run` joins one that holds every radio: it takes its share within
a few seconds, radio by radio at safe moments, while the streamer hears every radio's
plays go on (no gap, no slot twice, never from two instances) and each listener
opened or closed meanwhile reaches the web app exactly once."""

import json
import time
from collections import Counter

import gevent

from tests.catalogs import USERS, radio
from tests.fleet.test_three_instances import RADIOS, SONG, Plays, check_on_air, owners
from tests.fleet.test_three_instances import run_args, until_owners
from tests.harness import wait_for
from tests.streamer_emulator import StreamerEmulator
from tests.test_cli import start, stop, wait_healthy
from yascheduler.fleet.handover import bound
from yascheduler.fleet.ownership import SHARDS, fair_share, shard_of
from yascheduler.support.ports import free_port

KEY = "fleet-key"
PREPARE = 5.0  # run_args' --prepare-seconds
DECIDE_AHEAD = 1.0  # the default decide_ahead_seconds
SESSIONS = 40  # opened, then closed, one every LISTENER_PACE while the second joins
LISTENER_PACE = 0.1


def test_a_joining_instance_takes_its_share_radio_by_radio(mongo_url, redis_url, tmp_path, webapp):
    catalog_file = tmp_path / "catalog.json"
    radios = [radio(uuid, 100 * (n + 1), n + 1, SONG) for n, uuid in enumerate(RADIOS)]
    catalog_file.write_text(json.dumps({"users": USERS, "radios": radios}))
    ports = {name: free_port() for name in "ab"}

    def args(name):
        return [*run_args(redis_url, mongo_url, name), "--http", f"127.0.0.1:{ports[name]}",
                "--yaapp-url", webapp.url, "--yaapp-key", KEY]  # fmt: skip

    processes = {"a": start([*args("a"), "--catalog", str(catalog_file)])}
    s1 = StreamerEmulator(redis_url, "s1")
    try:
        wait_healthy(processes["a"], ports["a"])
        until_owners(lambda: len(owners()) == SHARDS, "a to hold every shard", 10)
        plays = Plays(s1)
        for uuid in RADIOS:
            s1.send(type="play_radio", radio_uuid=uuid)
        wait_for(lambda: len(plays.of("radio_started")) >= len(RADIOS), "radios started", 10)
        gevent.sleep(SONG)  # a whole slot played by a alone
        started = time.time()

        processes["b"] = start(args("b"))
        listeners = gevent.spawn(open_and_close_listeners, s1)
        wait_healthy(processes["b"], ports["b"])  # it has shards: those without radios
        until_owners(
            lambda: Counter(owners().values())["b"] == fair_share(2),
            "b's whole share",
            # each radio at a safe moment: within its choice ahead, prepare_seconds, a margin
            bound(PREPARE + DECIDE_AHEAD) + 2.0,
        )
        listeners.get(timeout=30)
        gevent.sleep(2 * SONG)  # the plays after the handover too

        check_on_air(plays, started - SONG, time.time() - 1.0)
        moved = [uuid for uuid in RADIOS if owners()[shard_of(uuid)] == "b"]
        assert moved, "no radio moved to b"
        opened = webapp.wait_for(SESSIONS, "/start_listening/", timeout=20)
        closed = webapp.wait_for(SESSIONS, "/stop_listening/", timeout=20)
        gevent.sleep(2.0)  # any notification sent twice would be in by now
        assert len(webapp.paths("/start_listening/")) == SESSIONS, Counter(webapp.paths("/st"))
        assert len(webapp.paths("/stop_listening/")) == SESSIONS
        assert Counter(r.radio_uuid for r in opened) == Counter(r.radio_uuid for r in closed)
        for name, process in processes.items():
            code, _, output = stop(process)
            assert code == 0, f"{name}: {output}"
            assert "radios handed" in output, f"{name}: {output}"  # radio by radio, logged
    finally:
        s1.close()
        for process in processes.values():
            if process.poll() is None:
                print(stop(process)[2])


def open_and_close_listeners(streamer):
    """One listener opened on each radio in turn, then closed, while the second joins."""
    for n in range(SESSIONS):
        uuid = RADIOS[n % len(RADIOS)]
        streamer.send(type="register_listener", radio_uuid=uuid, session_id=f"s{n}", user_id=None)
        gevent.sleep(LISTENER_PACE)
    for n in range(SESSIONS):
        uuid = RADIOS[n % len(RADIOS)]
        if n % 2:  # half of them name their radio, half of them only their session
            streamer.send(type="unregister_listener", session_id=f"s{n}", radio_uuid=uuid)
        else:
            streamer.send(type="unregister_listener", session_id=f"s{n}")
        gevent.sleep(LISTENER_PACE)
