"""`--store-listen`: one `yascheduler run` serves its embedded store, a second one
shares it with `--mongo-url`, and the two share the radios out; the values it refuses,
each named, with exit status 2."""

import json
import socket
import subprocess

import pytest
import requests

from tests.catalogs import USERS, radio
from tests.fleet.test_three_instances import RADIOS, SONG, Plays
from tests.harness import wait_for
from tests.streamer_emulator import StreamerEmulator
from tests.test_cli import CLEAN_ENV, ROOT, start, stop, wait_healthy, yascheduler
from yascheduler.fleet.ownership import SHARDS
from yascheduler.support import config
from yascheduler.support.errors import ConfigError
from yascheduler.support.ports import free_port

# long: these tests kill no instance, and a beat late on a loaded machine loses no shard
LEASE = 10


def run_args(redis_url, name, http_port, *store):
    return ["run", "--redis-url", redis_url, "--instance-id", name,
            "--http", f"127.0.0.1:{http_port}", "--lease-seconds", str(LEASE),
            "--ping-interval", "1", "--timezone", "UTC", *store]  # fmt: skip


def fleet_of(http_port) -> dict:
    answer = requests.get(f"http://127.0.0.1:{http_port}/api/instances", timeout=5).json()
    return {i["id"]: i for i in answer["instances"]}


def refused(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        yascheduler("run", *args),
        env=CLEAN_ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_instance_shares_the_store_one_serves(redis_url, tmp_path):
    catalog_file = tmp_path / "catalog.json"
    radios = [radio(uuid, 100 * (n + 1), n + 1, SONG) for n, uuid in enumerate(RADIOS)]
    catalog_file.write_text(json.dumps({"users": USERS, "radios": radios}))
    store_port, ports = free_port(), {"a": free_port(), "b": free_port()}
    store_url = f"mongodb://127.0.0.1:{store_port}/yascheduler"
    serving = start(
        run_args(redis_url, "a", ports["a"], "--store-listen", f"127.0.0.1:{store_port}")
        + ["--data-dir", str(tmp_path / "data"), "--catalog", str(catalog_file)]
    )
    sharing, outputs = None, {}
    s1 = StreamerEmulator(redis_url, "s1")
    try:
        wait_healthy(serving, ports["a"])
        sharing = start(run_args(redis_url, "b", ports["b"], "--mongo-url", store_url))
        wait_healthy(sharing, ports["b"])

        def held(what):  # by each instance, as its last heartbeat told
            fleet = fleet_of(ports["b"])
            return [fleet.get(name, {}).get(what, 0) for name in "ab"]

        def shared_out():
            shards, radios = held("shards"), held("radios")
            return sum(shards) == SHARDS and all(radios) and sum(radios) == len(RADIOS)

        wait_for(shared_out, "the shards and radios shared out between a and b", 15)
        fleet = fleet_of(ports["a"])
        assert {name: fleet[name]["alive"] for name in "ab"} == {"a": True, "b": True}

        plays = Plays(s1)
        for uuid in RADIOS:
            s1.send(type="play_radio", radio_uuid=uuid)
        wait_for(lambda: all(plays.by_radio.values()), "a play for every radio", 15)
        started = plays.of("radio_started")
        assert sorted(r["radio_uuid"] for r in started) == sorted(RADIOS)  # each once

        # b stops cleanly: a takes its radios over from the store a serves, and plays them on
        answer = requests.get(f"http://127.0.0.1:{ports['b']}/api/radios?per_page=100", timeout=5)
        of_b = [r["uuid"] for r in answer.json()["radios"]]
        assert of_b and len(of_b) < len(RADIOS)
        code, _, outputs["b"] = stop(sharing)
        assert code == 0, outputs["b"]
        handed = {uuid: len(plays.by_radio[uuid]) for uuid in of_b}
        wait_for(
            lambda: all(len(plays.by_radio[uuid]) > n for uuid, n in handed.items()),
            "a to play b's radios on",
            2 * SONG + LEASE,
        )
        wait_for(
            lambda: fleet_of(ports["a"])["a"]["shards"] == SHARDS, "a to tell it holds all", 10
        )
        assert len(plays.of("radio_started")) == len(RADIOS)  # nothing started twice
    finally:
        s1.close()
        for name, process in (("b", sharing), ("a", serving)):
            if process is not None and process.poll() is None:
                outputs[name] = stop(process)[2]
    assert serving.returncode == 0, outputs["a"]
    assert f"they start with --mongo-url {store_url}" in outputs["a"]
    assert f"store: {store_url}" in outputs["b"]


def test_the_sharing_instance_says_the_store_is_gone_with_the_serving_one(redis_url, tmp_path):
    store_port, ports = free_port(), {"a": free_port(), "b": free_port()}
    store_url = f"mongodb://127.0.0.1:{store_port}/yascheduler"
    serving = start(
        run_args(redis_url, "a", ports["a"], "--store-listen", f"127.0.0.1:{store_port}")
        + ["--data-dir", str(tmp_path / "data")]
    )
    sharing = None
    try:
        wait_healthy(serving, ports["a"])
        sharing = start(run_args(redis_url, "b", ports["b"], "--mongo-url", store_url))
        wait_healthy(sharing, ports["b"])
        code, _, output = stop(serving)
        assert code == 0, output

        def health():
            return requests.get(f"http://127.0.0.1:{ports['b']}/healthz", timeout=5)

        wait_for(lambda: health().status_code == 503, "b to find the store gone", 15)
        assert "store unreachable" in health().text
    finally:
        if serving.poll() is None:
            stop(serving)
        if sharing is not None:  # killed: a clean stop waits on the store for its leases
            sharing.kill()
            sharing.wait()


def test_a_store_listen_that_is_not_host_port_is_refused(tmp_path, cli_in_process):
    for value, reason in (
        ("27017", "must be HOST:PORT"),
        ("127.0.0.1:0", "must have a port from 1 to 65535"),
        ("127.0.0.1:70000", "must have a port from"),
    ):
        result = cli_in_process("run", "--store-listen", value, "--data-dir", str(tmp_path))
        assert result.returncode == 2, (value, result.stderr)
        assert f"store_listen: {reason}" in result.stderr, result.stderr
        assert repr(value) in result.stderr


def test_store_listen_with_mongo_url_is_refused(cli_in_process):
    result = cli_in_process(
        "run", "--store-listen", "127.0.0.1:27018", "--mongo-url", "mongodb://127.0.0.1/yascheduler"
    )
    assert result.returncode == 2
    assert "store_listen: serves the embedded store, and mongo_url names another" in result.stderr


def test_a_store_listen_address_in_use_is_refused_naming_it(redis_url, tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = refused(
            *("--store-listen", f"127.0.0.1:{port}", "--redis-url", redis_url),
            *("--data-dir", str(tmp_path / "data"), "--http", f"127.0.0.1:{free_port()}"),
        )
    assert result.returncode == 2
    assert (
        f"store_listen: cannot serve the embedded store on 127.0.0.1:{port}: Address already in use"
    ) in result.stderr, result.stderr


def test_store_listen_with_mongo_url_is_refused_from_any_source(tmp_path):
    mongo_file = tmp_path / "mongo.toml"
    mongo_file.write_text('mongo_url = "mongodb://mongo.internal/yascheduler"\n')
    with pytest.raises(ConfigError) as caught:
        config.resolve({"config": str(mongo_file)}, {"YASCHEDULER_STORE_LISTEN": "0.0.0.0:27017"})
    assert str(caught.value).startswith(
        "store_listen: serves the embedded store, and mongo_url names another store"
    )
    both = tmp_path / "both.toml"
    both.write_text('mongo_url = "mongodb://m/y"\nstore_listen = "0.0.0.0:1"\n')
    settings, problems = config.check_config_file(both)
    assert settings is None and problems[0].startswith("store_listen: serves the embedded")
