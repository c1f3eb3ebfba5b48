"""`yascheduler run` with no --mongo-url, as the README starts it: an embedded store
server keeps everything in the data directory, a second run resumes it, and two runs
cannot share one directory."""

import json

import requests

from tests.catalogs import basic_catalog
from tests.streamer_emulator import StreamerEmulator
from tests.test_cli import CLEAN_ENV, ROOT, start, stop, wait_healthy, yascheduler
from yascheduler.support.ports import free_port

import subprocess


def status(port):
    return requests.get(f"http://127.0.0.1:{port}/api/status", timeout=5).json()


def run_args(redis_url, data_dir, port, *extra):
    return [
        "run",
        *("--redis-url", redis_url, "--data-dir", str(data_dir)),
        *("--http", f"127.0.0.1:{port}", "--ping-interval", "1"),
        *extra,
    ]


def test_a_second_run_on_the_same_data_directory_resumes_everything(redis_url, tmp_path):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(basic_catalog()))
    data_dir, port = tmp_path / "data", free_port()
    first = start(run_args(redis_url, data_dir, port, "--catalog", str(catalog)))
    streamer = StreamerEmulator(redis_url, "s1")
    try:
        wait_healthy(first, port)
        streamer.send(type="play_radio", radio_uuid="radio-1")
        streamer.expect("radio_started")
        streamer.expect("play")
        streamer.send(type="register_listener", radio_uuid="radio-1", session_id="l1", user_id=1)
        streamer.roundtrip()
        before = status(port)
        playing = requests.get(f"http://127.0.0.1:{port}/api/radios/radio-1", timeout=5).json()
        code, _, output = stop(first)
        assert code == 0, output

        second = start(run_args(redis_url, data_dir, port, "--catalog", str(catalog)))
        wait_healthy(second, port)
        after = status(port)
        radio = requests.get(f"http://127.0.0.1:{port}/api/radios/radio-1", timeout=5).json()
        code, _, output = stop(second)
    finally:
        streamer.close()
    assert code == 0, output
    assert (after["radios"], after["streamers"], after["streaming_radios"]) == (
        before["radios"],
        1,
        1,
    )
    assert after["listeners"] == 1
    assert radio["master_streamer"] == "s1"
    if radio["server_time"] < playing["ends_at"]:  # the same track plays on, from its start
        assert (radio["filename"], radio["started_at"]) == (
            playing["filename"],
            playing["started_at"],
        )
    else:  # the timeline went on from where it was
        assert radio["started_at"] >= playing["ends_at"] - 1
    assert "unchanged since its last import, not imported again" in output


def test_two_services_cannot_share_a_data_directory(redis_url, tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    first = start(run_args(redis_url, data_dir, port))
    try:
        wait_healthy(first, port)
        refused = subprocess.run(
            yascheduler(*run_args(redis_url, data_dir, free_port())),
            env=CLEAN_ENV,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        code, _, output = stop(first)
    assert refused.returncode == 2
    assert f"data directory {data_dir} is in use by another yascheduler (pid {first.pid})" in (
        refused.stderr
    )
    assert code == 0, output


def test_flush_empties_the_data_directory_of_a_stopped_service(redis_url, tmp_path):
    data_dir, port = tmp_path / "data", free_port()
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(basic_catalog()))
    first = start(run_args(redis_url, data_dir, port, "--catalog", str(catalog)))
    streamer = StreamerEmulator(redis_url, "s1")
    try:
        wait_healthy(first, port)
        streamer.send(type="play_radio", radio_uuid="radio-1")
        streamer.expect("radio_started")
    finally:
        streamer.close()
        stop(first)
    flushed = subprocess.run(
        yascheduler("flush", "--yes", "--data-dir", str(data_dir)),
        env=CLEAN_ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert flushed.returncode == 0, flushed.stderr
    assert f"flushed the embedded store of {data_dir}" in flushed.stdout
    assert "1 streamers" in flushed.stdout and "1 radio_masters" in flushed.stdout
    second = start(run_args(redis_url, data_dir, port))
    try:
        wait_healthy(second, port)
        after = status(port)
    finally:
        stop(second)
    assert (after["radios"], after["streamers"], after["streaming_radios"]) == (2, 0, 0)
