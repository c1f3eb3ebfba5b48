"""Seeing the fleet from any instance: /api/instances, the owner of each radio, the
fleet's totals in /api/status, the instance id in /metrics, `yascheduler status`:
two real `yascheduler run` processes on one Redis and one store server."""

import json
import signal

import requests

from tests.catalogs import USERS, radio
from tests.fleet.test_three_instances import (
    LEASE,
    RADIOS,
    SONG,
    Plays,
    instances,
    owners,
    shared,
    until_owners,
)
from tests.harness import wait_for
from tests.streamer_emulator import StreamerEmulator
from tests.test_cli import stop
from yascheduler.fleet.ownership import SHARDS, shard_of


def get(ports, name, path):
    return requests.get(f"http://127.0.0.1:{ports[name]}{path}", timeout=5)


def fleet_of(ports, name) -> dict:
    return {i["id"]: i for i in get(ports, name, "/api/instances").json()["instances"]}


def test_every_instance_shows_the_fleet_and_who_owns_each_radio(
    mongo_url, redis_url, tmp_path, cli_in_process
):
    catalog_file = tmp_path / "catalog.json"
    radios = [radio(uuid, 100 * (n + 1), n + 1, SONG) for n, uuid in enumerate(RADIOS)]
    catalog_file.write_text(json.dumps({"users": USERS, "radios": radios}))
    processes, ports = instances(redis_url, mongo_url, catalog_file, ["a", "b"])
    s1 = StreamerEmulator(redis_url, "s1")
    try:
        until_owners(lambda: shared("ab"), "the shards shared", 20)
        plays = Plays(s1)  # the replies, whatever plays come between them
        for uuid in RADIOS[:4]:
            s1.send(type="play_radio", radio_uuid=uuid)
        s1.send(type="register_listener", radio_uuid="radio-0", session_id="l1", user_id=1)
        wait_for(lambda: len(plays.of("radio_started")) == 4, "the radios started", 10)

        seen = {}

        def settled():  # the facts of the heartbeats after the plays (and the handover)
            seen.update(fleet_of(ports, "b"))  # each instance's as of its last beat
            return (
                set(seen) == {"a", "b"}
                and sum(i["shards"] for i in seen.values()) == SHARDS
                and sum(i["streaming_radios"] for i in seen.values()) == 4
                and sum(i["listeners"] for i in seen.values()) == 1
            )

        wait_for(settled, "the heartbeats to tell the radios started", 10)
        fleet = seen
        assert [fleet[n]["alive"] for n in "ab"] == [True, True]
        assert [fleet[n]["this"] for n in "ab"] == [False, True]
        assert {fleet[n]["http"] for n in "ab"} == {f"127.0.0.1:{ports[n]}" for n in "ab"}
        assert sum(fleet[n]["shards"] for n in "ab") == SHARDS
        assert sum(fleet[n]["radios"] for n in "ab") == len(RADIOS)
        assert sum(fleet[n]["streamers"] for n in "ab") == 1, fleet  # s1: answered by one
        assert all(fleet[n]["last_heartbeat_at"] > 0 for n in "ab")

        # each instance's radios name it as their owner; the others name who has them
        shards = owners()
        for name in "ab":
            page = get(ports, name, "/api/radios?per_page=100").json()
            mine = sorted(r["uuid"] for r in page["radios"])
            assert mine == sorted(u for u in RADIOS if shards[shard_of(u)] == name)
            assert {r["owner"] for r in page["radios"]} == {name}
        elsewhere = next(u for u in RADIOS if shards[shard_of(u)] == "b")
        answer = get(ports, "a", f"/api/radios/{elsewhere}")
        assert answer.status_code == 404
        assert answer.json()["owner"] == {
            "instance": "b",
            "alive": True,
            "http": f"127.0.0.1:{ports['b']}",
        }
        unknown = next(f"nope-{n}" for n in range(1000) if shards[shard_of(f"nope-{n}")] == "a")
        assert get(ports, "a", f"/api/radios/{unknown}").json() == {
            "error": f"unknown radio {unknown}"
        }

        # /api/status: its own counts beside the fleet's
        def told(name):  # an instance's view of the others: as read at its last beat
            fleet = get(ports, name, "/api/status").json()["fleet"]
            return (fleet["radios"], fleet["shards"], fleet["streaming_radios"]) == (
                len(RADIOS),
                SHARDS,
                4,
            )

        for name in "ab":
            wait_for(lambda: told(name), f"{name} to be told the fleet's counts", 10)  # noqa: B023
            status = get(ports, name, "/api/status").json()
            assert status["instance"] == name
            assert status["fleet"]["instances_alive"] == 2
            assert status["fleet"]["radios"] == len(RADIOS)
            assert status["fleet"]["streaming_radios"] == 4
            assert (status["fleet"]["streamers"], status["fleet"]["listeners"]) == (1, 1)
            assert status["fleet"]["shards"] == SHARDS
            assert status["radios"] == fleet[name]["radios"]
            metrics = get(ports, name, "/metrics").text
            assert f'yascheduler_instance_info{{instance="{name}"}} 1.0' in metrics

        shown = cli_in_process("status", "--url", f"http://127.0.0.1:{ports['a']}")
        assert shown.returncode == 0, shown.stderr
        lines = shown.stdout.splitlines()
        assert "instances (2)" in lines
        line_of = {line.split()[0]: line for line in lines[lines.index("instances (2)") + 1 :]}
        assert "alive (this one)" in line_of["a"] and "alive," in line_of["b"]
        assert f"{fleet['b']['radios']} radios" in line_of["b"]

        # killed -9: the others show it dead once its heartbeat is older than the lease
        processes["b"].send_signal(signal.SIGKILL)
        processes["b"].wait(timeout=5)
        wait_for(lambda: not fleet_of(ports, "a")["b"]["alive"], "b shown dead", LEASE + 2)
        wait_for(
            lambda: get(ports, "a", "/api/status").json()["fleet"]["radios"] == len(RADIOS),
            "a to program every radio",
            LEASE + 5,
        )
        fleet = get(ports, "a", "/api/status").json()["fleet"]
        assert fleet["instances_alive"] == 1, (fleet, fleet_of(ports, "a"))
    finally:
        s1.close()
        for process in processes.values():
            if process.poll() is None:
                stop(process)
