"""The operator commands: `config check`, `status`, `flush`, and `--log-format json`."""

import json
import logging
import subprocess
import sys

import pytest

from tests.catalogs import basic_catalog
from tests.harness import http_base
from yascheduler.support.ports import free_port
from tests.test_cli import CLEAN_ENV, ROOT, start, stop, wait_healthy, yascheduler
from yascheduler.app import cli
from yascheduler.support import logs
from yascheduler.store.catalog import StoredCatalog
from yascheduler.store.counters import Counter
from yascheduler.store.outbox import OutboxItem
from yascheduler.store.radios import Radio
from yascheduler.store.sessions import ListenerSession
from yascheduler.store.streamers import Streamer
from yascheduler.store.streams import ShardMasters, StoredStreams
from yascheduler.store.timelines import RadioTimeline
from yascheduler.store.tokens import VouchedToken
from yascheduler.store.users import User


def run_cli(*args, stdin=subprocess.DEVNULL, **env):
    return subprocess.run(
        yascheduler(*args), env={**CLEAN_ENV, **env}, cwd=ROOT, stdin=stdin,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


# --- config check --------------------------------------------------------------------


def test_config_check_accepts_a_good_config_and_shows_the_effective_settings(
    tmp_path, cli_in_process
):
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(basic_catalog()))
    config = tmp_path / "yascheduler.toml"
    config.write_text(
        f'catalog = "{catalog}"\nping_interval = 3\nyaapp_key = "s3cret"\n'
        'redis_url = "redis://:hunter2@redis.internal:6379/0"\n'
    )
    result = cli_in_process("config", "check", str(config), YASCHEDULER_PING_INTERVAL="-1")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"{config}: ok"
    assert lines[1].split() == ["config", str(config)]
    rows = dict(line.split(None, 1) for line in lines[1:-1])
    assert rows["ping_interval"] == "3"  # the file alone: the environment is not read
    assert rows["redis_url"] == "redis://:***@redis.internal:6379/0"
    assert rows["yaapp_key"] == "***"
    assert lines[-1] == f"catalog {catalog}: ok (2 radios ready, 2 users)"
    assert "s3cret" not in result.stdout and "hunter2" not in result.stdout


def test_config_check_reports_every_problem_with_exit_status_2(tmp_path, cli_in_process):
    config = tmp_path / "yascheduler.toml"
    config.write_text('ping_interval = -3\nhttp = "nowhere"\npign_interval = 3\n')
    result = cli_in_process("config", "check", str(config))
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{config}: 3 problems",
        f"  config: {config} has an unknown setting 'pign_interval'; did you mean 'ping_interval'?",
        f"  http: must be HOST:PORT, as in 127.0.0.1:9000, got 'nowhere' (from {config})",
        f"  ping_interval: must be > 0, got -3 (from {config})",
    ]


def test_output_cut_short_by_its_reader_ends_quietly(tmp_path):
    """`yascheduler config check FILE | head -1`: the pipe closes before the output ends."""
    config = tmp_path / "yascheduler.toml"
    config.write_text("ping_interval = 3\n")
    process = subprocess.Popen(
        yascheduler("config", "check", str(config)),
        env=CLEAN_ENV,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    process.stdout.close()  # the reader is gone before the first line
    assert process.wait(timeout=60) == 0
    assert process.stderr.read() == ""  # no traceback


def test_config_check_checks_the_catalog_it_names(tmp_path, cli_in_process):
    broken = basic_catalog()
    broken["radios"][1]["playlists"][0]["songs"][3]["duration"] = -1
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(broken))
    config = tmp_path / "yascheduler.toml"
    config.write_text(f'catalog = "{catalog}"\n')
    result = cli_in_process("config", "check", str(config))
    assert result.returncode == 2
    assert f"catalog: {catalog}: radios[1].playlists[0].songs[3].duration" in result.stderr


def test_config_check_of_a_missing_file(tmp_path, cli_in_process):
    result = cli_in_process("config", "check", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


# --- status ------------------------------------------------------------------------------


def test_status_prints_a_table(make_service, capsys):
    service = make_service(basic_catalog())
    assert cli.main(["status", "--url", http_base(service)]) == 0
    status, instances = capsys.readouterr().out.split("\n\n")
    rows = dict(line.split(None, 1) for line in status.splitlines())
    assert rows["instance"] == service.settings.instance_id
    assert rows["fleet.instances_alive"] == "1"
    header, line = instances.splitlines()  # the fleet: this instance alone
    assert header == "instances (1)"
    assert line.split()[:3] == [service.settings.instance_id, "alive", "(this"]
    assert "256 shards, 2 radios" in line
    assert rows["radios"] == "2"
    assert rows["streamers"] == "0"
    assert rows["redis_connected"] == "yes"
    assert rows["play_lateness.count"] == "0"
    assert rows["messages_received"] == "-"


def test_status_of_an_unreachable_scheduler(cli_in_process):
    result = cli_in_process("status", "--url", f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert "unreachable" in result.stderr


# --- flush -------------------------------------------------------------------------------


@pytest.fixture
def stored_state(db):
    """The catalog and some state, in the test's store."""
    from yascheduler.catalog import importer as catalog

    catalog.import_catalog(basic_catalog(), StoredCatalog())
    Streamer(name="s1", registered_at=1.0, last_seen_at=2.0).save()
    StoredStreams().add("radio-1", "s1", 1.0)
    RadioTimeline(uuid="radio-1", song_starts={"100": 1.0}).save()
    Counter(name="outbox", value=7).save()
    return db


def test_flush_with_yes_deletes_the_state_and_keeps_the_catalog(stored_state):
    catalog = (Radio.objects.count(), User.objects.count())
    assert catalog[0] > 0 and catalog[1] > 0
    result = run_cli("flush", "--yes", "--mongo-url", stored_state)
    assert result.returncode == 0, result.stderr
    assert "1 streamers, 1 radio_masters" in result.stdout
    assert "users and radios kept" in result.stdout
    state = (
        Streamer,
        ShardMasters,
        ListenerSession,
        RadioTimeline,
        OutboxItem,
        Counter,
        VouchedToken,
    )
    for document in state:
        assert document.objects.count() == 0, document
    assert (Radio.objects.count(), User.objects.count()) == catalog


def test_flush_without_yes_refuses_when_stdin_is_not_a_terminal(cli_in_process):
    result = cli_in_process(
        "flush", "--mongo-url", f"mongodb://127.0.0.1:{free_port()}/yascheduler"
    )
    assert result.returncode == 1
    assert "pass --yes" in result.stderr
    assert "flushed" not in result.stdout


def test_flush_of_an_in_memory_store_explains_there_is_nothing_to_flush(cli_in_process):
    result = cli_in_process("flush", "--yes", "--mongo-url", "mongomock://localhost/yascheduler")
    assert result.returncode == 2
    assert "in memory" in result.stderr


# --- JSON logs ---------------------------------------------------------------------------


def test_run_with_log_format_json_writes_one_object_a_line(redis_url, mongo_url):
    port = free_port()
    stores = ["--redis-url", redis_url, "--mongo-url", mongo_url]
    process = start(["run", *stores, "--http", f"127.0.0.1:{port}", "--log-format", "json"])
    wait_healthy(process, port)
    code, _, output = stop(process)
    assert code == 0, output
    lines = [json.loads(line) for line in output.splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert lines[0]["time"].endswith("Z") and "T" in lines[0]["time"]
    assert ("yascheduler.service", "INFO", "yascheduler stopped") in [
        (line["logger"], line["level"], line["message"]) for line in lines
    ]


def test_json_lines_carry_the_exception():
    formatter = logs.JsonFormatter()
    try:
        raise ValueError("bad \ud800 thing")
    except ValueError:
        record = logging.LogRecord(
            "yascheduler.bus",
            logging.ERROR,
            __file__,
            1,
            "failed %s",
            ("here",),
            sys.exc_info(),
        )
    line = json.loads(formatter.format(record))
    assert line["message"] == "failed here"
    assert line["level"] == "ERROR" and line["logger"] == "yascheduler.bus"
    assert "Traceback" in line["exception"] and "ValueError" in line["exception"]
