"""`yascheduler run` as the README starts it, against streamers that behave like the
production one and a web app that refuses a radio: every listener answered at once,
every notification of the other radios delivered, the refused ones parked."""

import json
import time

import pytest

from tests.catalogs import basic_catalog
from tests.harness import wait_for
from yascheduler.support.ports import free_port
from tests.streamer_emulator import StreamerEmulator
from tests.test_cli import run_args, start, stop, wait_healthy

KEY = "test-scheduler-key"
ADMIN = "admin-test-token"


def kinds(webapp, radio_uuid):
    return [r.path.rstrip("/").rsplit("/", 1)[1] for r in webapp.accepted() if radio_uuid in r.path]


def answered_within(streamer, seconds, **credentials):
    asked = time.monotonic()
    streamer.authenticate(**credentials)
    streamer.expect("user_authentication", timeout=seconds)
    return time.monotonic() - asked


@pytest.mark.parametrize("policy", ["proxy", "takeover"])
def test_the_production_streamer_against_yascheduler_run(
    redis_url, mongo_url, webapp, tmp_path, policy
):
    webapp.refused_radios.add("radio-2")
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(basic_catalog()))
    port = free_port()
    options = ("--yaapp-url", webapp.url, "--yaapp-key", KEY, "--master-policy", policy)
    process = start(run_args(redis_url, catalog, mongo_url, port, *options))
    s1 = StreamerEmulator(redis_url, "s1", production=True)
    s2 = StreamerEmulator(redis_url, "s2", production=True)
    try:
        wait_healthy(process, port)
        for uuid in ("radio-1", "radio-2"):
            s1.send(type="play_radio", radio_uuid=uuid)
            s1.expect("radio_started")
            s1.expect("play")
        for session, uuid in (("0x1", "radio-1"), ("0x2", "radio-2")):
            assert answered_within(s1, 1.0) < 1.0  # empty credentials: anonymous, at once
            s1.register_listener(uuid, session, None)
        assert answered_within(s1, 1.0, auth_token="tok-mat") < 1.0
        s1.register_listener("radio-1", "0x3", 1)

        s2.send(type="play_radio", radio_uuid="radio-1")
        if policy == "takeover":
            s2.expect("radio_started")
            assert s2.expect("play")["delay"] == 0
            s1.expect("radio_stopped")
            expected = ["start_listening"] * 2 + ["stop_listening"] * 2 + ["stopped"]
        else:
            s2.roundtrip()
            assert [m["type"] for m in s2.unread] == ["radio_exists"]
            s1.send(type="stop_radio", radio_uuid="radio-1")
            s1.expect("radio_stopped")
            expected = ["start_listening"] * 2 + ["stop_listening"] * 2 + ["stopped"]
        wait_for(
            lambda: kinds(webapp, "/radio/radio-1/") == expected,
            "radio-1's notifications",
            timeout=10,
        )
        wait_for(lambda: len(webapp.paths("/radio/radio-2/")) >= 1, "radio-2 refused")
        assert not [r for r in webapp.accepted() if "/radio/radio-2/" in r.path]
    finally:
        s1.close()
        s2.close()
        code, _, output = stop(process)
    assert code == 0, output
    assert "outbox: parked start_listening seq" in output
