"""A real `yascheduler run` killed -9 at a random instant under load, twice: every
change older than write_delay plus one write is in the store.

The changes are listener sessions opened at a steady pace; each is followed by
a `test`, whose reply proves the session was handled (the subscriber handles
in order) by the time it arrived. "One write" is what the service itself
measured just before the kill: its longest write (the histogram of its store
writer's turns), counted twice: a change may come while a write is in flight,
and wait for it to end before its own.
"""

import json
import random
import signal
import subprocess
import time

import gevent
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.catalogs import USERS, basic_catalog
from tests.resilience.conftest import start_radio
from tests.test_cli import CLEAN_ENV, ROOT, yascheduler
from yascheduler.store.sessions import ListenerSession
from yascheduler.support.ports import free_port

WRITE_DELAY = 0.05
LISTENERS_A_SECOND = 50


def run_args(redis_url, mongo_url, port, catalog=None):
    args = ["run", "--redis-url", redis_url, "--mongo-url", mongo_url]
    args += ["--http", f"127.0.0.1:{port}", "--write-delay", str(WRITE_DELAY)]
    args += ["--ping-interval", "1", "--timezone", "UTC"]
    return args + (["--catalog", str(catalog)] if catalog else [])


def longest_write(port) -> float:
    """The upper bound of the service's write-time histogram bucket that holds them all."""
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    for family in text_string_to_metric_families(text):
        if family.name == "yascheduler_store_write_seconds":
            buckets = sorted(
                (float(sample.labels["le"]), sample.value)
                for sample in family.samples
                if sample.name.endswith("_bucket")
            )
            total = buckets[-1][1]
            assert total > 0, "nothing was written"
            return next(bound for bound, seen in buckets if seen == total)
    raise AssertionError("no write-time histogram")


def handled_sessions(streamer, first: int, stop: gevent.event.Event) -> dict[str, float]:
    """Open sessions at a steady pace until `stop`; session id -> when its handling was
    proven (the arrival of the `test` sent after it)."""
    proven: dict[str, float] = {}
    number = first
    while not stop.is_set():
        session_id = f"l{number}"
        streamer.send(type="register_listener", radio_uuid="radio-1", session_id=session_id)
        streamer.send(type="test", info=session_id)
        number += 1
        while not streamer.inbox.empty():
            arrival, message = streamer.inbox.get()
            if message["type"] == "test":
                proven[message["info"]] = arrival
        gevent.sleep(1 / LISTENERS_A_SECOND)
    return proven


def test_a_kill_9_at_any_instant_keeps_every_change_older_than_write_delay_and_a_write(
    own_store, redis_url, streamers, tmp_path
):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"users": USERS, "radios": basic_catalog()["radios"]}))
    port, chance = free_port(), random.Random()
    s1 = streamers("s1")
    catalog_once = catalog
    first = 0
    for round_number in range(2):
        process = launch(run_args(redis_url, own_store.database_url, port, catalog_once), tmp_path)
        catalog_once = None  # the store has it
        try:
            wait_healthy(process, port, tmp_path / "service.log")
            s1.drain()
            start_radio(s1, "radio-1")
            stop = gevent.event.Event()
            load = gevent.spawn(handled_sessions, s1, first, stop)
            gevent.sleep(chance.uniform(1.5, 3.5))  # some instant under load
            bound = WRITE_DELAY + 2 * longest_write(port)
            killed_at = time.time()
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=5)
            stop.set()
            proven = load.get()
        finally:
            if process.poll() is None:
                process.kill()
        stored = {session.session_id for session in ListenerSession.objects}
        older = {name for name, at in proven.items() if at < killed_at - bound}
        assert len(older) >= LISTENERS_A_SECOND / 2, f"round {round_number}: too little load"
        lost = sorted(older - stored, key=lambda name: int(name[1:]))
        assert lost == [], f"round {round_number}: lost, though older than {bound:.3f}s"
        first += len(proven) + 1000  # the next round's session ids are new


def wait_healthy(process, port, log_path, timeout=20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        gevent.sleep(0.1)
    raise AssertionError("not healthy in time: " + log_path.read_text())


def launch(args, tmp_path) -> subprocess.Popen:
    """`yascheduler run`, its output in a file (a pipe nobody reads would fill up)."""
    with open(tmp_path / "service.log", "a") as output:
        return subprocess.Popen(
            yascheduler(*args),
            env=CLEAN_ENV,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
