"""A light command imports only what it needs: the service, the store and the HTTP
client cost more than a second of CPU at each `yascheduler` process."""

import json
import subprocess
import sys

from tests.test_cli import ROOT

# What `--help` and `config check` of a config without a catalog have no use for.
HEAVY = (
    "yascheduler.app.service",
    "yascheduler.app.runner",
    "yascheduler.store",
    "yascheduler.catalog",
    "mongoengine",
    "pymongo",
    "mongomock",
    "redis",
    "requests",
)

PROBE = """
import contextlib, io, json, sys
from yascheduler.app import cli
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = cli.main(sys.argv[1:])
    except SystemExit as exit:
        code = exit.code
loaded = sorted(
    heavy for heavy in HEAVY
    if any(name == heavy or name.startswith(heavy + ".") for name in sys.modules)
)
print(json.dumps({"code": code, "loaded": loaded}))
"""


def loaded_by(*args: str) -> dict:
    """The exit status of `yascheduler ARGS`, and which of HEAVY it imported."""
    result = subprocess.run(
        [sys.executable, "-c", f"HEAVY = {HEAVY!r}\n{PROBE}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_help_imports_neither_the_service_nor_the_store_nor_the_http_client():
    assert loaded_by("--help") == {"code": 0, "loaded": []}


def test_config_check_without_a_catalog_imports_neither_the_store_nor_the_service():
    assert loaded_by("config", "check", "config/yascheduler.example.toml") == {
        "code": 0,
        "loaded": [],
    }


def test_the_probe_sees_a_command_that_needs_the_http_client_import_it():
    # the same probe on `status`, which needs requests: proves the probe can fail
    assert loaded_by("status", "--url", "http://127.0.0.1:9") == {
        "code": 1,
        "loaded": ["requests"],
    }
