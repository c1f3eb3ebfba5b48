"""Listener requests end to end: POST /api/radios/<uuid>/requests as the web app makes
it, the request reaching the streamer as the next `play`; its answers (201, 400, 401,
404, 409) and GET of the pending ones; a request stored, kept across a restart."""

from datetime import datetime

import pytest
import requests

from tests.catalogs import USERS, radio
from tests.harness import http_base, stored
from yascheduler.programming.requests import request_from_stored
from yascheduler.store.requests import StoredRequests

ADMIN = "admin-test-token"
SONG_SECONDS = 6.0
ON_TIME = 0.3  # seconds of tolerance on a play's arrival, for a loaded machine


def catalog() -> dict:
    return {"users": USERS, "radios": [radio("short", 100, 10, duration=SONG_SECONDS)]}


@pytest.fixture
def service(make_service):
    return make_service(catalog(), admin_token=ADMIN)


def request_song(service, body, uuid="short", token=ADMIN):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    url = f"{http_base(service)}/api/radios/{uuid}/requests"
    return requests.post(url, json=body, headers=headers, timeout=10)


def pending(service, uuid="short"):
    return requests.get(f"{http_base(service)}/api/radios/{uuid}/requests", timeout=10)


def song_id(play) -> int:
    return int(play["filename"].removeprefix("short/").removesuffix(".mp3"))


def test_a_request_reaches_the_streamer_as_the_next_play(service, streamers):
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="short")
    s1.expect("radio_started")
    s1.expect("play")
    # a play just sent: what follows it is chosen; the request comes at the boundary after
    following = s1.expect("play", timeout=SONG_SECONDS + 2)
    recent = {song_id(following)}
    wanted = next(n for n in range(100, 106) if n not in recent | {song_id_playing(service)})
    response = request_song(service, {"song_id": wanted, "user_id": 1})
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["radio"], answer["song_id"], answer["user_id"]) == ("short", wanted, 1)
    assert (answer["artist"], answer["title"]) == (
        f"short artist {wanted - 100}",
        f"short title {wanted - 100}",
    )
    planned = datetime.fromisoformat(answer["planned_start"]).timestamp()
    assert planned == pytest.approx(answer["planned_at"], abs=1e-6)
    listed = pending(service).json()["requests"]
    assert [(item["id"], item["planned_start"]) for item in listed] == [
        (answer["id"], answer["planned_start"])
    ]
    play = s1.expect("play", timeout=SONG_SECONDS + 2)
    assert play["filename"] == f"short/{wanted}.mp3"
    assert s1.last_arrival + play["delay"] == pytest.approx(planned, abs=ON_TIME)
    assert pending(service).json()["requests"] == []


def song_id_playing(service) -> int:
    return service.programmer.radio_view("short")["song_id"]


def test_a_refused_request_is_a_409_naming_the_rule_and_changes_nothing(service):
    playing = song_id_playing(service)
    response = request_song(service, {"song_id": playing, "user_id": 1})
    assert response.status_code == 409
    assert response.json()["rule"] == "recently_played"
    assert f"song {playing} plays at" in response.json()["error"]
    response = request_song(service, {"song_id": 999, "user_id": 1})
    assert (response.status_code, response.json()["rule"]) == (409, "not_in_catalog")
    assert pending(service).json()["requests"] == []
    stored(service)
    assert StoredRequests().load_all(request_from_stored) == []


@pytest.mark.parametrize(
    "body, parameter",
    [
        ({"user_id": 1}, "song_id"),
        ({"song_id": "101", "user_id": 1}, "song_id"),
        ({"song_id": 101}, "user_id"),
        ({"song_id": 101, "user_id": True}, "user_id"),
        ([101, 1], "body"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(service, body, parameter):
    response = request_song(service, body)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    assert pending(service).json()["requests"] == []


def test_requests_need_the_admin_token_and_a_programmed_radio(service):
    assert request_song(service, {"song_id": 101, "user_id": 1}, token=None).status_code == 401
    assert request_song(service, {"song_id": 101, "user_id": 1}, token="x").status_code == 401
    response = request_song(service, {"song_id": 101, "user_id": 1}, uuid="nope")
    assert (response.status_code, response.json()["error"]) == (404, "unknown radio nope")
    assert pending(service, uuid="nope").status_code == 404
    url = f"{http_base(service)}/api/radios/short/requests"
    assert requests.put(url, timeout=5).status_code == 405


def test_a_pending_request_is_stored_and_kept_across_a_restart(make_service):
    long_songs = {"users": USERS, "radios": [radio("short", 100, 10, duration=600.0)]}
    first = make_service(long_songs, admin_token=ADMIN)
    wanted = next(n for n in range(100, 106) if n != song_id_playing(first))
    answer = request_song(first, {"song_id": wanted, "user_id": 2}).json()
    stored(first)
    in_store = StoredRequests().load_all(request_from_stored)
    assert [request.id for request in in_store] == [answer["id"]]
    first.stop()
    again = make_service(admin_token=ADMIN)
    listed = pending(again).json()["requests"]
    assert [(item["id"], item["song_id"], item["user_id"]) for item in listed] == [
        (answer["id"], wanted, 2)
    ]
    assert listed[0]["planned_start"] == answer["planned_start"]


def test_the_limits_are_the_services_settings(make_service):
    service = make_service(catalog(), admin_token=ADMIN, requests_per_user=2, requests_per_radio=1)
    free = [n for n in range(100, 106) if n != song_id_playing(service)]
    assert request_song(service, {"song_id": free[0], "user_id": 1}).status_code == 201
    response = request_song(service, {"song_id": free[1], "user_id": 1})
    assert (response.status_code, response.json()["rule"]) == (409, "radio_limit")
