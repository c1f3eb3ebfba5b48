"""The fleet on the dashboard, rendered by a real headless Chromium: nothing of it for
one instance alone; with a second `yascheduler run` process on the same store and
Redis (and the record of a dead one), the instances with their figures, and the owner
of each radio."""

import re
import time

import requests

from tests.browser import ARTIFACTS, run_chromium
from tests.dashboard_scene import QUICK, scene_catalog
from tests.harness import http_base, wait_for
from tests.test_cli import start, stop, wait_healthy
from yascheduler.fleet.ownership import SHARDS
from yascheduler.store.instances import StoredInstances
from yascheduler.support.ports import free_port

GONE_FACTS = {"host": "old-box", "pid": 4242, "http": "10.0.0.9:9000", "shards": 0,
              "radios": 0, "streaming_radios": 0, "listeners": 0, "streamers": 0,
              "events": 0, "play_lateness_p99_ms": 12.5}  # fmt: skip
# long: the test kills no instance, and a beat late on a loaded machine loses no shard
LEASE = "10"
CELLS = ("alive", "heartbeat", "http", "shards", "radios", "listeners", "lateness")


def steady_catalog() -> dict:
    """The scene's radios but the quick one: no play while the page is drawn, so the
    figures the page shows are those the API gave just before."""
    catalog = scene_catalog()
    catalog["radios"] = [r for r in catalog["radios"] if r["uuid"] != QUICK]
    return catalog


def heartbeat_age(shown: str) -> float:
    """Seconds, from the page's "just now" or "N s ago"."""
    if shown == "just now":
        return 0.0
    match = re.fullmatch(r"(\d+) s ago", shown)
    assert match, f"not a recent heartbeat: {shown!r}"
    return float(match[1])


def instance_rows(dom: str) -> dict[str, dict[str, str]]:
    """The instances table as drawn: each row's cells, as text, by instance id."""
    body = dom[dom.index('id="instances"') : dom.index("</tbody>", dom.index('id="instances"'))]
    rows = {}
    for instance, row in re.findall(
        r'<tr class="\w+" data-instance="([^"]+)">(.*?)</tr>', body, re.S
    ):
        cells = dict(re.findall(r'class="(?:num )?c-([\w-]+)[^"]*">(.*?)</td>', row, re.S))
        rows[instance] = {
            name: " ".join(re.sub(r"<[^>]+>", " ", cells[name]).split()) for name in CELLS
        }
        rows[instance]["link"] = re.search(r'href="([^"]*)"', cells["http"])
    return rows


def test_one_instance_alone_shows_no_fleet(make_service, tmp_path):
    service = make_service(steady_catalog(), instance_id="here")
    wait_for(lambda: len(service.reader.instances()) == 1, "its own heartbeat read")
    dom = run_chromium(http_base(service) + "/", tmp_path, "--dump-dom")
    assert 'id="instances-panel" hidden' in dom
    assert 'class="data radios"' in dom and "radios fleet" not in dom  # no owner column
    assert 'class="pill ok">live<' in dom


def test_the_dashboard_shows_every_instance_and_the_owner_of_each_radio(
    make_service, streamers, mongo_url, redis_url, tmp_path
):
    radios = [r["uuid"] for r in steady_catalog()["radios"]]
    service = make_service(
        steady_catalog(), instance_id="here", ping_interval=30, lease_seconds=LEASE
    )
    port = free_port()
    there = start(["run", "--redis-url", redis_url, "--mongo-url", mongo_url,
                   "--instance-id", "there", "--http", f"127.0.0.1:{port}",
                   "--lease-seconds", LEASE, "--ping-interval", "30",
                   "--timezone", "UTC"])  # fmt: skip
    try:
        wait_healthy(there, port)
        api = f"{http_base(service)}/api/instances"

        def fleet():
            answer = requests.get(api, timeout=5).json()
            return {
                i["id"]: {**i, "age": answer["server_time"] - i["last_heartbeat_at"]}
                for i in answer["instances"]
            }

        def shared_out():
            live = [fleet().get(name, {}) for name in ("here", "there")]
            return sum(i.get("shards", 0) for i in live) == SHARDS and all(
                i.get("radios") for i in live
            )

        wait_for(shared_out, "the shards and radios shared out", 15)
        alpha, beta = streamers("streamer-alpha"), streamers("streamer-beta")
        for streamer, uuid in [(alpha, "radio-1"), (alpha, "radio-3"), (beta, "radio-2")]:
            streamer.send(type="play_radio", radio_uuid=uuid)
            streamer.expect("radio_started")
            streamer.expect("play")
        for session, uuid in [("l-1", "radio-1"), ("l-2", "radio-1"), ("l-3", "radio-3")]:
            alpha.send(type="register_listener", radio_uuid=uuid, session_id=session, user_id=1)
        alpha.roundtrip()

        long_ago = time.time() - 120  # killed 2 min ago: recorded late, so that it shows so
        StoredInstances().claim("gone", long_ago, long_ago - int(LEASE), GONE_FACTS)

        def told():  # the heartbeats after the plays and listeners, and the dead one read
            known = fleet()
            return (
                "gone" in known
                and sum(known[n]["listeners"] for n in ("here", "there")) == 3
                and sum(known[n]["streaming_radios"] for n in ("here", "there")) == 3
            )

        wait_for(told, "the heartbeats to tell the plays and listeners", 10)
        before = fleet()
        dom = run_chromium(http_base(service) + "/", tmp_path, "--dump-dom")
        after = fleet()
        ARTIFACTS.mkdir(exist_ok=True)  # for review, as the dashboard's other screenshots
        shot = ARTIFACTS / "dashboard-fleet.png"
        run_chromium(
            http_base(service) + "/", tmp_path, f"--screenshot={shot}", "--window-size=1366,900"
        )
    finally:
        code, _, output = stop(there)
    assert code == 0, output

    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert 'id="instances-panel" hidden' not in dom
    assert "2 alive of 3" in dom
    rows = instance_rows(dom)
    assert set(rows) == {"gone", "here", "there"}
    for name in ("here", "there"):
        shown, known = rows[name], after[name]
        for figure in ("shards", "radios", "listeners", "play_lateness_p99_ms"):
            assert before[name][figure] == known[figure], (name, figure)  # steady meanwhile
        assert shown["alive"] == "alive"
        # as old as the API said before or after, or younger (a beat came meanwhile)
        assert heartbeat_age(shown["heartbeat"]) <= max(before[name]["age"], known["age"]) + 1
        assert shown["shards"] == str(known["shards"])
        assert shown["radios"] == f"{known['radios']} {known['streaming_radios']} streaming"
        assert shown["listeners"] == str(known["listeners"])
        late = known["play_lateness_p99_ms"]
        assert shown["lateness"] == ("–" if late is None else f"{late:.1f} ms")
        assert shown["link"][1] == f"http://{known['http']}/"
    assert rows["there"]["http"] == f"127.0.0.1:{port}"
    assert (
        "(this one)" in dom[dom.index('data-instance="here"') : dom.index('data-instance="there"')]
    )
    assert [rows["gone"][c] for c in ("alive", "heartbeat", "shards", "lateness")] == [
        "dead",
        "2 min ago",
        "0",
        "12.5 ms",
    ]
    assert rows["gone"]["link"][1] == "http://10.0.0.9:9000/"

    # the radios table: this instance's radios, each naming it as its owner
    assert 'class="data radios fleet"' in dom
    table = dom[dom.index('id="radios"') : dom.index('id="page-info"')]
    owners = re.findall(r'data-uuid="([^"]+)".*?class="c-owner">([^<]*)<', table, re.S)
    mine = [uuid for uuid, _ in owners]
    assert len(mine) == after["here"]["radios"] and set(mine) < set(radios)
    assert {owner for _, owner in owners} == {"here"}
