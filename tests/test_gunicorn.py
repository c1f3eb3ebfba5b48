"""gunicorn with config/gunicorn.conf.py, a real process: the scheduler of `yascheduler run`."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.catalogs import basic_catalog
from yascheduler.support.ports import free_port
from tests.test_cli import wait_healthy

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "config" / "gunicorn.conf.py"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("YASCHEDULER_")}


def gunicorn(*args, **env):
    """gunicorn as systemd starts it: the config file, the settings in the environment."""
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(GUNICORN_CONF), *args]
    return subprocess.Popen(
        command, env={**CLEAN_ENV, **env}, cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


@pytest.fixture
def catalog_file(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(basic_catalog()))
    return path


def test_gunicorn_runs_the_scheduler_in_its_worker(redis_url, mongo_url, catalog_file, streamers):
    port = free_port()
    process = gunicorn(
        "yascheduler.app.wsgi:application",
        YASCHEDULER_REDIS_URL=redis_url, YASCHEDULER_MONGO_URL=mongo_url,
        YASCHEDULER_CATALOG=str(catalog_file), YASCHEDULER_HTTP=f"127.0.0.1:{port}",
        YASCHEDULER_PING_INTERVAL="1", YASCHEDULER_LOG_FORMAT="json",
    )  # fmt: skip
    try:
        wait_healthy(process, port)
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/api/status", timeout=2).json()["radios"] == 2

        # The streamer protocol, over the test's Redis, answered by the worker's scheduler.
        s1 = streamers("s1")
        s1.send(type="test", info={"nested": [1, "two"]})
        assert s1.expect("test", timeout=5) == {"type": "test", "info": {"nested": [1, "two"]}}
        s1.send(type="play_radio", radio_uuid="radio-1")
        assert s1.expect("radio_started") == {"type": "radio_started", "radio_uuid": "radio-1"}
        play = s1.expect("play")
        assert play["radio_uuid"] == "radio-1" and play["filename"].startswith("radio-1/")
        radio = requests.get(f"{base}/api/radios/radio-1", timeout=2).json()
        assert radio["master_streamer"] == "s1"
    finally:
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    took = time.monotonic() - started
    assert process.returncode == 0, output
    assert took < 10, f"stopped in {took:.1f}s"
    lines = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    messages = [(line["logger"], line["message"]) for line in lines]
    assert ("yascheduler.service", "yascheduler stopped") in messages
    assert any(logger == "gunicorn.error" and "Booting worker" in m for logger, m in messages)
    assert not any("MonkeyPatchWarning" in line["message"] for line in lines)
    # One worker: the scheduler started once.
    assert sum(m.startswith("yascheduler started") for _, m in messages) == 1


def test_gunicorn_refuses_a_wrong_setting_like_run():
    process = gunicorn(YASCHEDULER_PING_INTERVAL="-3")
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "ping_interval: must be > 0" in output


def test_gunicorn_refuses_a_second_worker():
    process = gunicorn("--workers", "2", YASCHEDULER_HTTP=f"127.0.0.1:{free_port()}")
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "exactly one worker" in output


def test_gunicorn_stops_when_the_catalog_is_broken(redis_url, mongo_url, tmp_path):
    broken = basic_catalog()
    broken["radios"][1]["playlists"][0]["songs"][3]["duration"] = -1
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    process = gunicorn(
        YASCHEDULER_REDIS_URL=redis_url, YASCHEDULER_MONGO_URL=mongo_url,
        YASCHEDULER_CATALOG=str(path), YASCHEDULER_HTTP=f"127.0.0.1:{free_port()}",
    )  # fmt: skip
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 3  # gunicorn's "worker failed to boot"
    assert "the catalog is broken: radios[1].playlists[0].songs[3].duration" in output


def test_the_wsgi_application_answers_503_until_the_scheduler_runs():
    from yascheduler.app import wsgi

    statuses = []
    body = wsgi.application(
        {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz"},
        lambda status, headers: statuses.append(status),
    )
    assert statuses == ["503 Service Unavailable"]
    assert b"not running" in b"".join(body)
