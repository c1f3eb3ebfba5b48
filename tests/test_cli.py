"""`yascheduler` as an operator runs it: a real process, real signals, exit codes."""

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

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = ROOT / "config" / "catalog.example.json"
CLEAN_ENV = {k: v for k, v in os.environ.items() if not k.startswith("YASCHEDULER_")}


def yascheduler(*args):
    """The console command installed beside this Python, as an operator runs it."""
    return [str(Path(sys.executable).parent / "yascheduler"), *args]


def start(args, cwd=ROOT, **env):
    return subprocess.Popen(
        yascheduler(*args),
        env={**CLEAN_ENV, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_args(redis_url, catalog, mongo_url, port, *extra):
    """`yascheduler run` against the test's Redis and store, serving HTTP on `port`."""
    return [
        "run",
        *("--redis-url", redis_url, "--mongo-url", mongo_url),
        *("--catalog", str(catalog), "--http", f"127.0.0.1:{port}"),
        *extra,
    ]


def wait_healthy(process, port, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        # not listening yet, or (gunicorn) listening on the arbiter's socket while the
        # worker still starts: the request waits in the backlog
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    process.kill()
    raise AssertionError("not healthy in time: " + process.stdout.read())


def stop(process, signum=signal.SIGTERM):
    started = time.monotonic()
    process.send_signal(signum)
    output, _ = process.communicate(timeout=10)
    return process.returncode, time.monotonic() - started, output


@pytest.fixture
def catalog_file(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(basic_catalog()))
    return path


def test_run_serves_then_stops_cleanly_on_sigterm(redis_url, catalog_file, mongo_url):
    port = free_port()
    process = start(run_args(redis_url, catalog_file, mongo_url, port, "--ping-interval", "1"))
    wait_healthy(process, port)
    status = requests.get(f"http://127.0.0.1:{port}/api/status", timeout=2).json()
    assert status["radios"] == 2
    code, took, output = stop(process)
    assert code == 0, output
    assert took < 5
    assert "yascheduler stopped" in output


def test_settings_come_from_the_environment(redis_url, catalog_file, mongo_url):
    port = free_port()
    process = start(
        ["run"],
        YASCHEDULER_REDIS_URL=redis_url,
        YASCHEDULER_MONGO_URL=mongo_url,
        YASCHEDULER_CATALOG=str(catalog_file),
        YASCHEDULER_HTTP=f"127.0.0.1:{port}",
    )
    wait_healthy(process, port)
    code, _, output = stop(process, signal.SIGINT)
    assert code == 0, output


def test_run_with_nothing_configured_starts_its_own_redis_and_store(tmp_path):
    port = free_port()
    run = ["run", "--catalog", str(EXAMPLE_CATALOG), "--http", f"127.0.0.1:{port}"]
    process = start(run, cwd=tmp_path)
    wait_healthy(process, port)
    code, took, output = stop(process)
    assert code == 0, output
    assert "embedded redis-server started at redis://127.0.0.1:" in output
    data = tmp_path / "yascheduler-data"
    assert "at mongodb://127.0.0.1:" in output and f"data in {data}" in output
    assert "embedded store server stopped" in output
    assert (data / "store").is_dir()


def test_a_broken_catalog_stops_start_up_naming_the_entry(redis_url, tmp_path, mongo_url):
    broken = basic_catalog()
    broken["radios"][1]["playlists"][0]["songs"][3]["duration"] = -1
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = subprocess.run(
        yascheduler(*run_args(redis_url, path, mongo_url, free_port())),
        env=CLEAN_ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "radios[1].playlists[0].songs[3].duration" in result.stdout + result.stderr


def test_a_wrong_setting_is_named_with_exit_status_2():
    result = subprocess.run(
        yascheduler("run", "--ping-interval", "-3"),
        env=CLEAN_ENV,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "ping_interval" in result.stderr


def test_catalog_import_posts_to_a_running_scheduler(redis_url, catalog_file, tmp_path, mongo_url):
    port = free_port()
    process = start(
        run_args(redis_url, catalog_file, mongo_url, port), YASCHEDULER_ADMIN_TOKEN="admin-secret"
    )
    try:
        wait_healthy(process, port)
        extra = tmp_path / "extra.json"
        extra.write_text(json.dumps({"radios": [{"uuid": "radio-1", "deleted": True}]}))
        url = f"http://127.0.0.1:{port}"
        rejected = subprocess.run(
            yascheduler("catalog", "import", str(extra), "--url", url, "--admin-token", "wrong"),
            env=CLEAN_ENV,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert rejected.returncode == 1
        accepted = subprocess.run(
            yascheduler("catalog", "import", str(extra), "--url", url),
            env={**CLEAN_ENV, "YASCHEDULER_ADMIN_TOKEN": "admin-secret"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert accepted.returncode == 0, accepted.stderr
        assert "1 deleted" in accepted.stdout
        assert requests.get(f"{url}/api/status", timeout=2).json()["radios"] == 1
    finally:
        stop(process)
