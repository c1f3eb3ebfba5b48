"""`yascheduler outbox list|retry|discard`, against a running scheduler whose web app
does not know one radio; and `yascheduler run` delivering around the refused radio."""

import json

import pytest

from tests.catalogs import basic_catalog
from tests.harness import http_base, wait_for
from yascheduler.support.ports import free_port
from tests.streamer_emulator import StreamerEmulator
from tests.test_cli import run_args, start, stop, wait_healthy
from tests.test_outbox_parking import notifications
from yascheduler.app import cli

KEY = "test-scheduler-key"
ADMIN = "admin-secret"


@pytest.fixture
def service(make_service, webapp):
    webapp.refused_radios.add("radio-2")
    service = make_service(basic_catalog(), yaapp_url=webapp.url, yaapp_key=KEY, admin_token=ADMIN)
    for _ in range(2):  # parked after radio-2's first song
        service.notifier.stopped("radio-2", 1)
        service.notifier.stopped("radio-1", 1)
    wait_for(lambda: service.notifier.outbox.parked_count() == 3, "3 parked items")
    return service


def outbox(service, *args, token=ADMIN):
    extra = ["--admin-token", token] if token and args[0] != "list" else []
    return cli.main(["outbox", *args, "--url", http_base(service), *extra])


def seqs(service):
    total, documents = service.notifier.outbox.parked_page(None, 0, 100)
    return [document["_id"] for document in documents]


def test_list_prints_a_line_per_parked_notification(service, capsys):
    assert outbox(service, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "3 parked, page 1 of 1"
    assert lines[1].split()[:6] == ["seq", "kind", "radio", "status", "parked", "at"]
    rows = [line.split() for line in lines[2:]]
    assert [row[:4] for row in rows] == [
        [str(seqs(service)[0]), "songs_started", "radio-2", "404"],
        [str(seqs(service)[1]), "stopped", "radio-2", "404"],
        [str(seqs(service)[2]), "stopped", "radio-2", "404"],
    ]
    assert all("Page not found" in line for line in lines[2:])
    assert outbox(service, "list", "--radio", "radio-1") == 0
    assert capsys.readouterr().out == "no parked notification of radio radio-1\n"


def test_retry_sends_the_notifications_named_again(service, webapp, capsys):
    first, second, third = seqs(service)
    webapp.refused_radios.clear()
    assert outbox(service, "retry", "--seq", str(third), "--seq", str(second)) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"retried 2 parked notifications: seqs {second}, {third}",
        "1 still parked",
    ]
    wait_for(lambda: len(notifications(webapp, "radio-2")) == 2, "the two retried")
    assert notifications(webapp, "radio-2") == [("stopped", (("listening_duration", "1"),))] * 2
    assert seqs(service) == [first]


def test_discard_deletes_them(service, webapp, capsys):
    assert outbox(service, "discard", "--radio", "radio-2") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("discarded 3 parked notifications: seqs ")
    assert out[1] == "0 still parked"
    assert outbox(service, "discard", "--all") == 0
    assert capsys.readouterr().out.splitlines() == [
        "no parked notification matched: nothing discarded",
        "0 still parked",
    ]
    assert service.notifier.outbox.parked_count() == 0


def test_failures_are_explained_with_the_exit_status(service, capsys):
    assert outbox(service, "retry", "--all", token="") == 2
    assert "--admin-token or YASCHEDULER_ADMIN_TOKEN is required" in capsys.readouterr().err
    assert outbox(service, "retry", "--all", token="wrong") == 1
    assert "refused (401)" in capsys.readouterr().err
    assert outbox(service, "discard", "--seq", "99999") == 1
    assert "refused (404): no parked item with seq 99999" in capsys.readouterr().err
    assert service.notifier.outbox.parked_count() == 3
    unreachable = f"http://127.0.0.1:{free_port()}"
    assert cli.main(["outbox", "list", "--url", unreachable]) == 1
    assert "unreachable" in capsys.readouterr().err


def test_yascheduler_run_delivers_every_other_radio_and_shows_the_parked(
    redis_url, mongo_url, webapp, tmp_path, cli_in_process
):
    webapp.refused_radios.add("radio-2")
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(basic_catalog()))
    port = free_port()
    options = ("--yaapp-url", webapp.url, "--yaapp-key", KEY, "--admin-token", ADMIN)
    process = start(run_args(redis_url, catalog, mongo_url, port, *options))
    streamer = StreamerEmulator(redis_url, "s1")
    try:
        wait_healthy(process, port)
        for uuid in ("radio-1", "radio-2"):
            streamer.send(type="play_radio", radio_uuid=uuid)
            streamer.expect("radio_started")
            streamer.expect("play")
        for session, uuid in (("a", "radio-1"), ("b", "radio-2"), ("c", "radio-1")):
            streamer.send(
                type="register_listener", radio_uuid=uuid, session_id=session, user_id=None
            )
            streamer.send(type="unregister_listener", session_id=session)
        streamer.roundtrip()
        wait_for(lambda: len(notifications(webapp, "radio-1")) == 5, "radio-1's notifications")
        assert [kind for kind, _ in notifications(webapp, "radio-1")] == [
            "songs_started",
            *["start_listening", "stop_listening"] * 2,
        ]
        url = f"http://127.0.0.1:{port}"

        def parked_lines():
            listed = cli_in_process("outbox", "list", "--url", url)
            assert listed.returncode == 0, listed.stderr
            return listed.stdout.splitlines()

        wait_for(lambda: parked_lines()[0].startswith("3 parked"), "3 parked", timeout=10)
        kinds = [line.split()[1] for line in parked_lines()[2:]]
        assert kinds == ["songs_started", "start_listening", "stop_listening"]
        assert notifications(webapp, "radio-2") == []
    finally:
        streamer.close()
        code, _, output = stop(process)
    assert code == 0, output
    assert "outbox: parked start_listening seq" in output
