"""A catalog imported through one instance reaches the radios every other instance
programs: two real `yascheduler run` processes on one Redis and one store server."""

import json

import requests

from tests.catalogs import USERS, radio
from tests.fleet.test_three_instances import RADIOS, SONG, owners, run_args, shared, until_owners
from tests.harness import wait_for
from tests.test_cli import start, stop, wait_healthy
from yascheduler.fleet.ownership import shard_of
from yascheduler.support.ports import free_port

TOKEN = "fleet-admin"


def test_an_import_through_one_instance_is_programmed_by_the_owner(mongo_url, redis_url, tmp_path):
    catalog_file = tmp_path / "catalog.json"
    radios = [radio(uuid, 100 * (n + 1), n + 1, SONG) for n, uuid in enumerate(RADIOS)]
    catalog_file.write_text(json.dumps({"users": USERS, "radios": radios}))
    ports = {name: free_port() for name in "ab"}
    processes = {}
    try:
        for name in "ab":
            args = [*run_args(redis_url, mongo_url, name), "--http", f"127.0.0.1:{ports[name]}"]
            extra = ["--catalog", str(catalog_file)] if name == "a" else []
            processes[name] = start([*args, *extra], YASCHEDULER_ADMIN_TOKEN=TOKEN)
            wait_healthy(processes[name], ports[name])
        until_owners(lambda: shared("ab"), "the shards shared", 20)
        shards = owners()
        of_b = [uuid for uuid in RADIOS if shards[shard_of(uuid)] == "b"]
        new = next(f"new-{n}" for n in range(1000) if shards[shard_of(f"new-{n}")] == "b")

        def radio_on(name, uuid):
            return requests.get(f"http://127.0.0.1:{ports[name]}/api/radios/{uuid}", timeout=5)

        assert radio_on("b", new).status_code == 404
        renamed = {**radios[RADIOS.index(of_b[0])], "name": "Renamed through a"}
        answer = requests.post(
            f"http://127.0.0.1:{ports['a']}/api/catalog",
            json={"radios": [renamed, radio(new, 5000, 500, SONG)]},
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        wait_for(lambda: radio_on("b", new).status_code == 200, "b to program the new radio")
        assert radio_on("b", new).json()["owner"] == "b"
        assert radio_on("b", of_b[0]).json()["name"] == "Renamed through a"
        assert radio_on("a", new).json()["owner"]["instance"] == "b"  # a does not program it
        status = requests.get(f"http://127.0.0.1:{ports['b']}/api/status", timeout=5).json()
        assert status["radios"] == len(of_b) + 1
    finally:
        for process in processes.values():
            if process.poll() is None:
                stop(process)
