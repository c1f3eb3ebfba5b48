"""`yascheduler simulate` as operators run it: a real process, against a running service."""

import argparse
import json
import random
import subprocess
import sys
import time

from tests.catalogs import basic_catalog
from yascheduler.tools.sim_streamer import MAX_SAMPLES, Stats
from yascheduler.tools.simulate import add_arguments
from yascheduler.tools.simulation import Simulation


def test_simulate_reports_replies_and_no_errors(make_service, redis_url, tmp_path):
    catalog = basic_catalog(duration=2.5)
    make_service(catalog)
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog))
    summary_file = tmp_path / "summary.json"
    # subprocess is gevent's here (conftest patches): the in-process service keeps running meanwhile
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "yascheduler",
            "simulate",
            "--redis-url",
            redis_url,
            "--streamers",
            "2",
            "--radios-per-streamer",
            "1",
            "--listeners-per-radio",
            "2",
            "--listener-period",
            "2",
            "--duration",
            "6",
            "--catalog",
            str(catalog_file),
            "--prepare-seconds",
            "1",
            "--token",
            "tok-mat",
            "--json",
            str(summary_file),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors: 0" in result.stdout
    assert "[    1s] replies/s" in result.stderr  # progress while it runs
    summary = json.loads(summary_file.read_text())
    assert summary["radios_started"] == 2
    for kind in ("radio_started", "play", "test", "user_authentication", "radio_stopped"):
        assert summary["replies"].get(kind, 0) > 0, kind
    assert summary["play_lateness_ms"]["count"] > 0
    assert summary["gaps"]["count"] == 0
    assert summary["errors"]["total"] == 0


def test_samples_stay_a_uniform_sample_of_everything_offered():
    random.seed(3)
    stats = Stats()
    latency = stats.latency["test"]
    offered = 5 * MAX_SAMPLES
    for value in range(offered):
        stats.sample(latency, value)
    assert len(latency) == MAX_SAMPLES
    median = sorted(latency)[MAX_SAMPLES // 2]
    assert abs(median - offered / 2) < offered * 0.05


def test_a_slot_played_twice_is_counted_and_recorded(redis_url, tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    plays_file = tmp_path / "plays.jsonl"
    args = parser.parse_args(["--redis-url", redis_url, "--plays", str(plays_file)])
    simulation = Simulation(args, ["radio-1"], {"radios": ["radio-1"], "durations": {"a": 30.0}})
    streamer = simulation.streamers["sim-0"]
    now = time.time()
    play = {"type": "play", "radio_uuid": "radio-1", "filename": "a", "offset": 0}
    streamer.receive({**play, "delay": 5.0}, now)
    # the same track start from a second sender (or a stale one), 0.3 s later
    streamer.receive({**play, "delay": 4.7}, now + 0.3)
    # the next track, right after the first ends: not a duplicate
    streamer.receive({**play, "delay": 5.0}, now + 30.0)
    simulation.plays_file.close()
    assert simulation.stats.duplicates == 1
    assert simulation.summary(31.0, 0)["errors"]["duplicate_plays"] == 1
    recorded = [json.loads(line) for line in plays_file.read_text().splitlines()]
    assert [duplicate for *_, duplicate in recorded] == [False, True, False]
    assert abs(recorded[2][3]) < 1e-6  # no gap: it starts as the first one ends


def test_plays_read_once_the_streamers_stop_are_counted_not_timed(redis_url, tmp_path):
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--redis-url", redis_url])
    simulation = Simulation(args, ["radio-1"], {"radios": ["radio-1"], "durations": {"a": 30.0}})
    streamer = simulation.streamers["sim-0"]
    now = time.time()
    play = {"type": "play", "radio_uuid": "radio-1", "filename": "a", "offset": 0}
    streamer.receive({**play, "delay": 5.0}, now)
    simulation.stopping_at = now + 20.0  # every radio stopped at once: the reader waits
    # sent 5 s ahead, read 4.5 s late: it would count as a gap of 0.5 s
    streamer.receive({**play, "delay": 1.0}, now + 34.5)
    streamer.receive({**play, "delay": 0.7}, now + 34.8)  # the same slot again
    summary = simulation.summary(35.0, 0)
    assert (summary["teardown_plays"], summary["gaps"]["count"]) == (1, 0)
    assert summary["play_lateness_ms"]["count"] == 0
    assert summary["duplicate_plays"] == 1  # still found
