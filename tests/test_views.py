"""The read-side JSON API (views.py) against a running service, and its parts."""

import pytest
import requests

from tests.catalogs import USERS, radio, songs
from tests.harness import http_base, wait_for
from yascheduler.http import views
from yascheduler.support.clock import FakeClock
from yascheduler.streaming.sessions import Listeners
from yascheduler.programming.lateness import LatenessMeter
from yascheduler.streaming.liveness import Peer, Streamers
from yascheduler.store.sessions import StoredSessions
from yascheduler.store.streamers import StoredStreamers


def many_radios(count: int) -> dict:
    radios = [radio(f"r{i:03d}", 1000 + 10 * i, 100 + i) for i in range(count)]
    radios[7]["name"] = "Jazz Corner"
    empty = {"uuid": "r-empty", "playlists": [{"id": 99, "name": "default", "songs": []}]}
    return {"users": USERS, "radios": [*radios, empty]}


@pytest.fixture
def service(make_service):
    return make_service(many_radios(12))


def get(service, path, **params):
    return requests.get(f"{http_base(service)}{path}", params=params, timeout=5)


def api(service, path, **params):
    response = get(service, path, **params)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    return response.json()


def start(streamer, uuid):
    streamer.send(type="play_radio", radio_uuid=uuid)
    streamer.expect("radio_started")
    streamer.expect("play")


# --- /api/status ------------------------------------------------------------------------


def test_status_keeps_its_fields_and_adds_the_server_time(service):
    status = api(service, "/api/status")
    for field in (
        "streamers",
        "radios",
        "streaming_radios",
        "broken_radios",
        "listeners",
        "events",
        "outbox",
        "outbox_parked",
        "redis_connected",
        "messages_received",
        "messages_sent",
        "messages_rejected",
        "play_lateness",
    ):
        assert field in status
    assert status["server_time"] == pytest.approx(service.clock.now(), abs=2)
    assert (status["radios"], status["broken_radios"]) == (13, 1)
    assert status["outbox_enabled"] is False and status["outbox_oldest_at"] is None


# --- /api/radios --------------------------------------------------------------------------


def test_radios_come_broken_first_then_by_uuid_with_their_view(service, streamers):
    s1 = streamers("s1")
    start(s1, "r003")
    s1.send(type="register_listener", radio_uuid="r003", session_id="a", user_id=1)
    s1.roundtrip()
    answer = api(service, "/api/radios")
    assert (answer["total"], answer["page"], answer["per_page"], answer["state"]) == (
        13,
        1,
        50,
        "all",
    )
    assert [r["uuid"] for r in answer["radios"]] == ["r-empty"] + [f"r{i:03d}" for i in range(12)]
    assert answer["counts"] == {"all": 13, "broken": 1, "streaming": 1, "idle": 11}
    broken, r003 = answer["radios"][0], answer["radios"][4]
    assert broken["state"] == "broken" and broken["broken"] and broken["filename"] is None
    detail = api(service, "/api/radios/r003")
    moving = ("offset", "server_time")
    assert {k: v for k, v in r003.items() if k not in moving} == {
        k: v for k, v in detail.items() if k not in moving
    }
    assert (r003["name"], r003["state"], r003["master_streamer"], r003["listeners"]) == (
        "R003",
        "streaming",
        "s1",
        1,
    )
    assert r003["filename"].startswith("r003/") and r003["ends_at"] > r003["started_at"]


def test_radios_are_paginated(service):
    pages = [api(service, "/api/radios", per_page=5, page=page) for page in (1, 2, 3, 4)]
    assert [len(p["radios"]) for p in pages] == [5, 5, 3, 0]
    assert {p["total"] for p in pages} == {13}
    uuids = [r["uuid"] for p in pages for r in p["radios"]]
    assert uuids == ["r-empty"] + [f"r{i:03d}" for i in range(12)]


def test_radios_filter_by_state_text_and_streamer(service, streamers):
    s1, s2 = streamers("s1"), streamers("s2")
    start(s1, "r001")
    start(s1, "r002")
    start(s2, "r010")

    def uuids(**params):
        return [r["uuid"] for r in api(service, "/api/radios", **params)["radios"]]

    assert uuids(state="broken") == ["r-empty"]
    assert uuids(state="streaming") == ["r001", "r002", "r010"]
    assert len(uuids(state="idle")) == 9 and "r001" not in uuids(state="idle")
    assert uuids(q="R01") == ["r010", "r011"]  # a substring of the uuid, any case
    assert uuids(q="jazz") == ["r007"]  # or of the name
    assert uuids(q="EMPTY", state="broken") == ["r-empty"]
    assert uuids(streamer="s1") == ["r001", "r002"]
    assert uuids(q="nothing like it") == []
    assert api(service, "/api/radios", state="streaming", per_page=2)["total"] == 3


def test_only_the_page_asked_for_is_built(service, monkeypatch):
    built = []
    real = service.reader.radio

    def counting(uuid):
        built.append(uuid)
        return real(uuid)

    monkeypatch.setattr(service.reader, "radio", counting)
    api(service, "/api/radios", per_page=3, page=2)
    assert built == ["r002", "r003", "r004"]


@pytest.mark.parametrize(
    "path, params, parameter",
    [
        ("/api/radios", {"page": "-1"}, "page"),
        ("/api/radios", {"page": "0"}, "page"),
        ("/api/radios", {"page": "two"}, "page"),
        ("/api/radios", {"per_page": "abc"}, "per_page"),
        ("/api/radios", {"per_page": "501"}, "per_page"),
        ("/api/radios", {"per_page": "1.5"}, "per_page"),
        ("/api/radios", {"state": "bogus"}, "state"),
        ("/api/listeners", {"page": "-1"}, "page"),
        ("/api/listeners", {"per_page": "x"}, "per_page"),
        ("/api/events", {"per_page": "0"}, "per_page"),
        ("/api/events", {"page": "1e3"}, "page"),
    ],
)
def test_a_bad_query_value_is_a_400_naming_the_parameter(service, path, params, parameter):
    response = get(service, path, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == parameter
    assert body["error"].startswith(parameter + ":")


def test_an_unknown_radio_is_a_404(service):
    assert get(service, "/api/radios/nope").status_code == 404


# --- /api/streamers ------------------------------------------------------------------------


def test_streamers_show_liveness_and_the_radios_they_hold(service, streamers):
    s1, s2 = streamers("s1"), streamers("s2")
    start(s1, "r002")
    start(s1, "r001")
    s2.send(type="register_streamer")
    wait_for(lambda: s2.pings >= 1, "a ping")
    answer = api(service, "/api/streamers")
    assert answer["ping_interval"] == 1
    rows = {row["name"]: row for row in answer["streamers"]}
    assert list(rows) == ["s1", "s2"]
    assert (rows["s1"]["state"], rows["s1"]["radios"], rows["s1"]["radio_count"]) == (
        "alive",
        ["r001", "r002"],
        2,
    )
    assert (rows["s2"]["state"], rows["s2"]["radios"]) == ("alive", [])
    assert 0 <= rows["s1"]["seen_seconds_ago"] < 1.5
    assert rows["s1"]["last_seen_at"] == pytest.approx(answer["server_time"], abs=1.5)


def test_a_quiet_streamer_is_missing_and_one_no_publish_reaches_unreachable():
    clock = FakeClock()
    registry = Streamers(
        clock,
        bus=None,
        store=StoredStreamers(),
        ping_interval=10,
        unreachable_timeout=300,
        on_dead=None,
        on_back=None,
    )
    registry.peers["s1"] = Peer("s1", clock.now(), clock.now())
    assert registry.liveness("s1") == "alive"
    clock.advance(12)
    assert registry.liveness("s1") == "alive"  # within the pong's grace
    clock.advance(1)
    assert registry.liveness("s1") == "missing"
    registry.delivered("s1", "ping", 0)  # no subscriber: it is not there to answer
    assert registry.liveness("s1") == "unreachable"
    assert registry.liveness("ghost") is None


# --- /api/listeners -------------------------------------------------------------------------


def test_listeners_are_listed_oldest_first_and_by_radio(service, streamers):
    s1 = streamers("s1")
    start(s1, "r001")
    start(s1, "r002")
    for session, uuid, user in [("a", "r001", 1), ("b", "r002", None), ("c", "r001", 2)]:
        s1.send(type="register_listener", radio_uuid=uuid, session_id=session, user_id=user)
    s1.roundtrip()
    answer = api(service, "/api/listeners")
    assert answer["total"] == 3
    assert [(s["session_id"], s["radio_uuid"], s["user_id"]) for s in answer["listeners"]] == [
        ("a", "r001", 1),
        ("b", "r002", None),
        ("c", "r001", 2),
    ]
    assert all(s["seconds"] >= 0 for s in answer["listeners"])
    of_r001 = api(service, "/api/listeners", radio="r001")
    assert (of_r001["total"], [s["session_id"] for s in of_r001["listeners"]]) == (2, ["a", "c"])
    second = api(service, "/api/listeners", per_page=2, page=2)
    assert [s["session_id"] for s in second["listeners"]] == ["c"]
    assert api(service, "/api/radios/r001")["listeners"] == 2
    s1.send(type="unregister_listener", session_id="a")
    s1.roundtrip()
    assert api(service, "/api/listeners", radio="r001")["total"] == 1
    assert api(service, "/api/listeners", radio="unknown")["listeners"] == []


def test_the_per_radio_index_follows_opens_closes_and_restarts(db):
    clock = FakeClock()
    listeners = Listeners(clock, StoredSessions())
    listeners.open("a", "r1", 1, "s1")
    listeners.open("b", "r1", None, "s1")
    listeners.open("c", "r2", None, "s1")
    assert listeners.open("a", "r2", None, "s1") is None
    assert (listeners.count(), listeners.count("r1"), listeners.count("r2")) == (3, 2, 1)
    clock.advance(10.5)
    assert listeners.close("b")[1] == 10
    assert [s.session_id for s in listeners.of_radio("r1")] == ["a"]
    restarted = Listeners(clock, StoredSessions())
    restarted.load()
    assert (restarted.count("r1"), restarted.count("r2")) == (1, 1)
    assert [duration for _, duration in restarted.close_radio("r1")] == [10]
    assert (restarted.count(), restarted.count("r1"), restarted.by_radio.keys()) == (
        1,
        0,
        {"r2"},
    )


# --- /api/events ------------------------------------------------------------------------------


def test_events_are_the_pending_ones_soonest_first(service, streamers):
    s1 = streamers("s1")
    start(s1, "r001")
    answer = api(service, "/api/events")
    assert answer["total"] == 12  # one per radio but the broken one, which has nothing to wait for
    ats = [e["at"] for e in answer["events"]]
    assert ats == sorted(ats) and len(ats) == 12
    event = answer["events"][0]
    assert set(event) == {"radio_uuid", "kind", "at", "in_seconds"}
    assert event["kind"] in ("prepare", "send", "start", "retry")
    assert event["in_seconds"] == pytest.approx(event["at"] - answer["server_time"], abs=0.01)
    assert set(answer["lateness"]) == {"seconds", "count", "p50_ms", "p99_ms", "max_ms"}
    page = api(service, "/api/events", per_page=5, page=3)
    assert [e["radio_uuid"] for e in page["events"]] == [
        e["radio_uuid"] for e in answer["events"][10:]
    ]


def test_lateness_summarises_the_last_minute_as_well_as_the_last_sends():
    clock = FakeClock()
    meter = LatenessMeter(clock=clock)
    meter.add(0.5)
    clock.advance(30)
    meter.add(0.002)
    meter.add(0.004)
    assert meter.recent() == {
        "seconds": 60.0,
        "count": 3,
        "p50_ms": 4.0,
        "p99_ms": 500.0,
        "max_ms": 500.0,
    }
    clock.advance(31)
    assert meter.recent() == {
        "seconds": 60.0,
        "count": 2,
        "p50_ms": 2.0,
        "p99_ms": 4.0,
        "max_ms": 4.0,
    }
    assert meter.recent(seconds=10)["count"] == 0
    assert meter.summary()["count"] == 3  # unchanged: the last 1000 sends
    clock.advance(60)
    assert meter.recent()["p50_ms"] is None


def test_page_parameters_are_checked():
    assert views.paging({}) == (1, 50)
    assert views.paging({"page": "3", "per_page": "500"}) == (3, 500)
    with pytest.raises(views.ParameterError, match="per_page: must be 500 at most"):
        views.paging({"per_page": "501"})


def test_a_catalog_with_a_show_on_air_shows_it(make_service):
    show = {
        "id": 50,
        "name": "All Day Long",
        "show": {
            "days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
            "time": "00:00:00",
            "duration": 86400,
        },
        "songs": songs("shown", 500, 4),
    }
    station = radio("station", 100, 10)
    station["playlists"].append(show)
    service = make_service({"radios": [station]})
    view = api(service, "/api/radios")["radios"][0]
    assert view["show"] == {"playlist_id": 50, "name": "All Day Long"}
