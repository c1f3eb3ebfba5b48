"""Programming seen from a streamer: plays on time, shows in order, live catalog changes."""

import time
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.catalogs import USERS, radio, songs
from tests.harness import http_base, wait_for

ADMIN = "admin-test-token"
PREPARE = 1.0
ON_TIME = 0.25  # seconds of tolerance on a play's arrival, for a loaded CI machine


def post_catalog(service, body, token=ADMIN):
    return requests.post(
        f"{http_base(service)}/api/catalog",
        json=body,
        timeout=10,
        headers={"Authorization": f"Bearer {token}"},
    )


def radio_state(service, uuid):
    return requests.get(f"{http_base(service)}/api/radios/{uuid}", timeout=2)


def join(streamer, uuid):
    streamer.send(type="play_radio", radio_uuid=uuid)
    streamer.expect("radio_started")
    play = streamer.expect("play")
    return play, streamer.last_arrival


def test_plays_of_short_songs_arrive_prepare_seconds_ahead_without_gaps(make_service, streamers):
    catalog = {"radios": [radio("short", 100, 10, duration=2.5)]}
    make_service(catalog, admin_token=ADMIN)
    s1 = streamers("s1")
    play, arrived = join(s1, "short")
    track_end = arrived + 2.5 - play["offset"]
    for _ in range(4):
        play = s1.expect("play", timeout=4)
        # computed as it was sent, after its choice was stored: a little under PREPARE,
        # and the start it names is the end of the track before
        assert PREPARE - ON_TIME <= play["delay"] <= PREPARE
        assert s1.last_arrival + play["delay"] == pytest.approx(track_end, abs=ON_TIME)
        assert play["offset"] == 0
        assert s1.last_arrival == pytest.approx(track_end - PREPARE, abs=ON_TIME)
        track_end += 2.5


def ordered_show_on_air_now(duration: float = 2.0) -> dict:
    started = datetime.now(UTC) - timedelta(minutes=1)
    show_songs = songs("show", 500, 4, duration=duration)
    for order, song in zip((3, 1, 4, 2), show_songs):
        song["order"] = order
    return {
        "uuid": "showtime",
        "timezone": "UTC",
        "playlists": [
            {
                "id": 50,
                "name": "default",
                "songs": songs("showtime", 600, 4, duration=duration),
            },
            {
                "id": 51,
                "name": "Live",
                "songs": show_songs,
                "show": {
                    "days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
                    "time": started.strftime("%H:%M:%S"),
                    "duration": 3600,
                },
            },
        ],
    }


def test_an_ordered_show_on_air_plays_in_its_order(make_service, streamers):
    service = make_service({"radios": [ordered_show_on_air_now()]})
    assert radio_state(service, "showtime").json()["show"]["name"] == "Live"
    s1 = streamers("s1")
    join(s1, "showtime")
    filenames = [s1.expect("play", timeout=4)["filename"] for _ in range(5)]
    by_order = ["show/501.mp3", "show/503.mp3", "show/500.mp3", "show/502.mp3"]
    start = by_order.index(filenames[0])
    assert filenames == [by_order[(start + i) % 4] for i in range(5)]


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_a_catalog_post_taking_the_show_off_the_air_brings_the_default_playlist_back(
    make_service, streamers, change
):
    radio_on_air = ordered_show_on_air_now(duration=2.5)
    service = make_service({"radios": [radio_on_air]}, admin_token=ADMIN)
    s1 = streamers("s1")
    play, _ = join(s1, "showtime")
    assert play["filename"].startswith("show/")
    # a play just came: the next choice is a track away, after the import
    assert s1.expect("play", timeout=4)["filename"].startswith("show/")
    live = radio_on_air["playlists"][1]
    edit = {**live, "enabled": False} if change == "disable" else {"id": 51, "deleted": True}
    answer = post_catalog(service, {"radios": [{"uuid": "showtime", "playlists": [edit]}]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["radios"] == ["showtime"]
    assert radio_state(service, "showtime").json()["show"] is None
    assert s1.expect("play", timeout=4)["filename"].startswith("showtime/")


def test_a_catalog_post_adds_and_deletes_radios_while_running(make_service, streamers, webapp):
    service = make_service(
        {"users": USERS, "radios": [radio("radio-1", 100, 10)]},
        admin_token=ADMIN,
        yaapp_url=webapp.url,
        yaapp_key="k",
    )
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-new")
    s1.expect("radio_unknown")
    answer = post_catalog(service, {"radios": [radio("radio-new", 200, 20)]})
    assert answer.status_code == 200, answer.text
    join(s1, "radio-new")
    join(s1, "radio-1")

    answer = post_catalog(service, {"radios": [{"uuid": "radio-1", "deleted": True}]})
    assert answer.json()["deleted"] == ["radio-1"]
    assert s1.expect("radio_stopped") == {
        "type": "radio_stopped",
        "radio_uuid": "radio-1",
    }
    assert radio_state(service, "radio-1").status_code == 404
    webapp.wait_for(1, "/radio/radio-1/stopped/")
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_unknown")


def test_a_bad_catalog_post_is_refused_and_changes_nothing(make_service):
    service = make_service({"radios": [radio("radio-1", 100, 10)]}, admin_token=ADMIN)
    bad = {"radios": [radio("radio-2", 200, 20), {"uuid": "radio-1", "ready": "yes"}]}
    answer = post_catalog(service, bad)
    assert answer.status_code == 400
    assert answer.json()["path"] == "radios[1].ready"
    assert radio_state(service, "radio-2").status_code == 404
    assert requests.get(f"{http_base(service)}/api/status", timeout=2).json()["radios"] == 1


@pytest.mark.parametrize("token, status", [(None, 403), ("wrong", 401)])
def test_catalog_post_needs_the_admin_token(make_service, token, status):
    overrides = {"admin_token": ADMIN} if token else {}
    service = make_service({"radios": []}, **overrides)
    assert post_catalog(service, {"radios": []}, token=token or "anything").status_code == status


def test_a_broken_radio_gets_no_play_and_recovers_when_fixed(make_service, streamers):
    empty = {"uuid": "empty", "playlists": [{"id": 70, "name": "default", "songs": []}]}
    service = make_service({"radios": [empty, radio("radio-1", 100, 10)]}, admin_token=ADMIN)
    status = requests.get(f"{http_base(service)}/api/status", timeout=2).json()
    assert (status["radios"], status["broken_radios"]) == (2, 1)
    assert radio_state(service, "empty").json()["broken"]
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="empty")
    s1.expect("radio_started")
    s1.roundtrip()  # no play came before the test reply

    fixed = {
        "uuid": "empty",
        "playlists": [{"id": 70, "name": "default", "songs": songs("empty", 700, 3)}],
    }
    assert post_catalog(service, {"radios": [fixed]}).status_code == 200
    play = s1.expect("play")
    assert play["filename"].startswith("empty/")
    assert play["delay"] == 0 and play["offset"] < 1.0
    assert radio_state(service, "empty").json()["broken"] is None


def test_the_radio_view_shows_the_next_track_once_chosen(make_service, streamers):
    service = make_service({"radios": [radio("short", 100, 10, duration=2.0)]})
    wait_for(
        lambda: radio_state(service, "short").json()["next"] is not None,
        "the next track to be chosen",
        timeout=4,
    )
    view = radio_state(service, "short").json()
    assert view["next"]["starts_at"] == pytest.approx(view["ends_at"], abs=0.01)
    assert view["next"]["filename"].startswith("short/")
    assert 0 <= view["offset"] <= 2.0
    assert abs(view["started_at"] - time.time()) < 3
