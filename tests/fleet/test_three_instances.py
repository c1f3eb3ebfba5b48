"""Three `yascheduler run` processes on one Redis and one store server, a streamer
holding every radio: each reply comes once; one instance killed -9, one stopped
cleanly, one paused past its lease: every radio's plays go on, one per slot, each
before its track starts."""

import json
import signal
import time
from collections import Counter

import gevent

from tests.catalogs import USERS, radio
from tests.harness import wait_for
from tests.streamer_emulator import StreamerEmulator
from tests.test_cli import start, stop, wait_healthy
from yascheduler.fleet.ownership import SHARDS, fair_share, shard_of
from yascheduler.store.shards import StoredShards
from yascheduler.support.ports import free_port

SONG = 8.0  # seconds: a play every 8 s on each radio
RADIOS = [f"radio-{n}" for n in range(12)]
LEASE = 3.0


class Plays:
    """Every play the streamer gets, by radio: (when its track starts, when it came)."""

    def __init__(self, streamer):
        self.streamer = streamer
        self.by_radio: dict[str, list[tuple[float, float]]] = {uuid: [] for uuid in RADIOS}
        self.replies: list[dict] = []
        self.greenlet = gevent.spawn(self._collect)

    def _collect(self):
        while True:
            arrived, message = self.streamer.inbox.get()
            if message["type"] == "play":
                starts = arrived + message["delay"] - message["offset"]
                self.by_radio[message["radio_uuid"]].append((starts, arrived + message["delay"]))
            else:
                self.replies.append(message)

    def of(self, kind: str) -> list[dict]:
        return [reply for reply in self.replies if reply["type"] == kind]


def until_owners(condition, what: str, timeout: float) -> None:
    """wait_for a condition on the shards' owners, asking the store five times a second:
    asked a hundred times a second, the store server the instances share slows them all
    (pongs late past the ping interval: s1 found dead)."""
    with gevent.Timeout(timeout, AssertionError(f"timed out waiting for {what}")):
        while not condition():
            gevent.sleep(0.2)


def shared(names) -> bool:
    """Every shard owned, each of `names` holding its fair share (the handovers done)."""
    held = Counter(owners().values())
    share = fair_share(len(names))
    return set(held) == set(names) and sum(held.values()) == SHARDS and max(held.values()) <= share


def owners() -> dict[int, str]:
    now = time.time()
    return {s["number"]: s["owner"] for s in StoredShards().all() if s["expires_at"] > now}


def run_args(redis_url, mongo_url, name):
    return ["run", "--redis-url", redis_url, "--mongo-url", mongo_url, "--instance-id", name,
                "--lease-seconds", str(LEASE), "--prepare-seconds", "5",
                "--ping-interval", "1", "--timezone", "UTC"]  # fmt: skip


def instances(redis_url, mongo_url, catalog_file, names):
    processes, ports = {}, {}
    for name in names:
        ports[name] = free_port()
        args = [*run_args(redis_url, mongo_url, name), "--http", f"127.0.0.1:{ports[name]}"]
        first = not processes
        processes[name] = start([*args, "--catalog", str(catalog_file)] if first else args)
        if first:
            wait_healthy(processes[name], ports[name])
    for name in names:
        wait_healthy(processes[name], ports[name])
    return processes, ports


def check_on_air(plays: Plays, since: float, until: float) -> None:
    """Each radio: one play per slot (no two for one track start), each slot following the
    last with no gap, and each play there before its track starts."""
    for uuid, slots in plays.by_radio.items():
        starts = sorted(starts for starts, _ in slots if since <= starts <= until)
        assert len(starts) >= (until - since) // SONG - 1, f"{uuid}: plays missing {starts}"
        gaps = [later - earlier for earlier, later in zip(starts, starts[1:])]
        assert all(gap > SONG - 0.5 for gap in gaps), f"{uuid}: a slot played twice {starts}"
        assert all(gap < SONG + 0.5 for gap in gaps), f"{uuid}: a gap {starts}"


def test_three_instances_share_the_radios_and_survive_kill_term_and_pause(
    mongo_url, redis_url, tmp_path
):
    catalog_file = tmp_path / "catalog.json"
    radios = [radio(uuid, 100 * (n + 1), n + 1, SONG) for n, uuid in enumerate(RADIOS)]
    catalog_file.write_text(json.dumps({"users": USERS, "radios": radios}))
    processes, ports = instances(redis_url, mongo_url, catalog_file, ["a", "b", "c"])
    s1 = StreamerEmulator(redis_url, "s1")
    try:
        until_owners(lambda: shared("abc"), "the shards shared", 20)
        plays = Plays(s1)
        for uuid in RADIOS:
            s1.send(type="play_radio", radio_uuid=uuid)
        for n in range(20):
            s1.send(type="test", info=n)
        wait_for(lambda: len(plays.of("test")) >= 20, "the test replies", 10)
        wait_for(lambda: len(plays.of("radio_started")) >= len(RADIOS), "radios started", 10)
        gevent.sleep(1.0)  # any reply sent twice would be in by now
        assert sorted(reply["info"] for reply in plays.of("test")) == list(range(20))
        assert sorted(r["radio_uuid"] for r in plays.of("radio_started")) == sorted(RADIOS)
        started = time.time()

        # kill -9 the instance owning radio-0: another takes its radios within the lease
        victim = owners()[shard_of("radio-0")]
        processes[victim].send_signal(signal.SIGKILL)
        processes[victim].wait(timeout=5)
        until_owners(lambda: victim not in owners().values(), "the dead one's shards", LEASE + 3)
        until_owners(lambda: len(owners()) == SHARDS, "its shards taken", LEASE + 3)
        gevent.sleep(SONG)

        # started again with its id (dead now): it gets its share back
        args = [*run_args(redis_url, mongo_url, victim), "--http", f"127.0.0.1:{ports[victim]}"]
        processes[victim] = start(args)
        wait_healthy(processes[victim], ports[victim])
        until_owners(lambda: victim in owners().values(), "a share for the one back", 10)
        gevent.sleep(SONG)

        # paused past its lease: the others take its radios; back, it sends nothing stale
        paused = owners()[shard_of("radio-2")]
        processes[paused].send_signal(signal.SIGSTOP)
        gevent.sleep(LEASE + 2.0)
        until_owners(lambda: paused not in owners().values(), "the paused one's shards", 5)
        processes[paused].send_signal(signal.SIGCONT)
        until_owners(lambda: paused in owners().values(), "a share for the paused one", 10)
        gevent.sleep(SONG)

        # SIGTERM hands over at once: well within a lease
        leaving = owners()[shard_of("radio-1")]
        processes[leaving].send_signal(signal.SIGTERM)
        processes[leaving].wait(timeout=10)
        exited = time.time()
        assert leaving not in owners().values()  # released as it stopped
        until_owners(lambda: len(owners()) == SHARDS, "every shard owned again", 5)
        assert time.time() - exited < LEASE * 2 / 3  # at the others' next beat
        gevent.sleep(2 * SONG)

        check_on_air(plays, started + 6.0, time.time() - 1.0)
        s1.send(type="test", info="still answered")
        wait_for(lambda: len(plays.of("test")) > 20, "the last reply")
        gevent.sleep(1.0)
        assert [r["info"] for r in plays.of("test")][20:] == ["still answered"]
    finally:
        s1.close()
        for process in processes.values():
            if process.poll() is None:
                stop(process)


def test_a_second_instance_with_a_live_id_refuses_to_start(mongo_url, redis_url, tmp_path):
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps({"users": USERS, "radios": [radio("r", 1, 1)]}))
    processes, _ = instances(redis_url, mongo_url, catalog_file, ["a"])
    try:
        second = start([*run_args(redis_url, mongo_url, "a"), "--http", f"127.0.0.1:{free_port()}"])
        output, _ = second.communicate(timeout=20)
        assert second.returncode == 2
        assert "instance_id 'a' is alive already" in output
        assert processes["a"].poll() is None
    finally:
        stop(processes["a"])
