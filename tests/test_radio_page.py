"""The page of one radio (/radios/<uuid>) and what it reads: tracks named by artist and
title in /api/radios, the radio's hour in /api/series, its schedule and history; the
page rendered by a real headless Chromium (tests/browser.py), with screenshots."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.browser import ARTIFACTS, chart_points, run_chromium
from tests.catalogs import USERS, songs
from tests.harness import http_base, wait_for
from yascheduler.support.clock import FakeClock

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 6, 1, 19, 50, tzinfo=PARIS).timestamp()
HOUR_AT = datetime(2026, 6, 1, 20, 0, tzinfo=PARIS).timestamp()


def catalog() -> dict:
    hourly = {
        "id": "hour",
        "name": "Top of the hour",
        "filename": "jingles/hour.mp3",
        "duration": 8.0,
        "schedule": [{"type": "hourly"}],
    }
    playlist = {"id": 10, "name": "default", "songs": songs("pop", 100, 8, 700.0)}
    radio = {
        "uuid": "radio-1",
        "name": "Radio One",
        "timezone": "Europe/Paris",
        "playlists": [playlist],
        "jingles": [hourly],
    }
    return {"users": USERS, "radios": [radio]}


@pytest.fixture
def service(make_service, streamers):
    """Radio One at 19:59:59.5 in Paris, streamed, two listeners: its first song plays,
    the hourly jingle is chosen next; a sample of the hour taken."""
    service = make_service(catalog(), clock=FakeClock(NOW))
    s1 = streamers("s1")
    s1.send(type="play_radio", radio_uuid="radio-1")
    s1.expect("radio_started")
    s1.expect("play")
    for session, user in [("l-1", 1), ("l-2", None)]:
        s1.send(type="register_listener", radio_uuid="radio-1", session_id=session, user_id=user)
    s1.roundtrip()
    service.clock.set(HOUR_AT - 0.5)
    service.programmer.wakeup.set()
    wait_for(lambda: service.reader.radio("radio-1")["next"], "the hourly jingle chosen")
    service.series.sample()
    return service


def radio_view(service) -> dict:
    response = requests.get(http_base(service) + "/api/radios/radio-1", timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_track_is_named_by_its_artist_and_title_a_jingle_by_its_name(service):
    view = radio_view(service)
    song = songs("pop", 100, 8)[view["song_id"] - 100]
    assert (view["kind"], view["artist"], view["title"]) == ("song", song["artist"], song["title"])
    assert view["filename"] == song["filename"]
    assert view["next"] == {
        "filename": "jingles/hour.mp3",
        "kind": "jingle",
        "song_id": None,
        "artist": None,
        "title": "Top of the hour",
        "starts_at": HOUR_AT,
    }


def test_the_radio_page_is_served_at_its_path(service):
    base = http_base(service)
    response = requests.get(base + "/radios/radio-1", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"/static/radio.js" in response.content
    assert requests.get(base + "/radios/", timeout=5).status_code == 404


def test_the_radio_page_shows_now_next_the_next_24_hours_and_the_last_tracks(service, tmp_path):
    base = http_base(service)
    view = radio_view(service)
    items = requests.get(base + "/api/radios/radio-1/schedule?hours=24", timeout=10).json()["items"]
    history = requests.get(base + "/api/radios/radio-1/history", timeout=5)

    dom = run_chromium(base + "/radios/radio-1", tmp_path, "--dump-dom")

    assert "<title>Radio One · yascheduler</title>" in dom
    now = dom[dom.index('id="now"') : dom.index('id="next"')]
    assert f"{view['artist']} – {view['title']}" in now and view["filename"] in now
    following = dom[dom.index('id="next"') : dom.index('id="listener-count"')]
    assert "Top of the hour" in following and "jingles/hour.mp3" in following
    assert 'id="listener-count">2<' in dom

    schedule = dom[dom.index('id="schedule"') : dom.index('id="history"')]
    songs_ahead = [item for item in items if item["kind"] == "song"]
    assert len(songs_ahead) > 24  # 700 s songs, a day of them
    for item in songs_ahead:
        assert f"{item['artist']} – {item['title']}" in schedule
    assert schedule.count(">hourly jingle<") == sum(i["kind"] == "hourly jingle" for i in items)
    assert "cut at 20:00:00 by the hourly jingle" in schedule
    assert '<tr class="day"><td colspan="4">2026-06-02</td></tr>' in schedule  # past midnight

    played = dom[dom.index('id="history"') : dom.index('id="listeners-info"')]
    if history.status_code == 404:  # a service without the history endpoint
        assert "history not available" in played
    else:
        assert history.status_code == 200, history.text
        for item in history.json()["items"][:50]:
            assert f"{item['artist']} – {item['title']}" in played

    assert chart_points(dom, "chart-listeners")["listeners"] >= 1
    legend = dom[dom.index('id="legend-listeners"') : dom.index('id="chart-listeners"')]
    assert "listeners <b>2</b>" in legend
    assert chart_points(dom, "chart-lateness")["p99"] >= 1  # the first song's play
    assert re.search(r'data-label="Session" class="mono">l-2<', dom)


def test_the_page_of_an_unknown_radio_says_so(service, tmp_path):
    dom = run_chromium(http_base(service) + "/radios/nope", tmp_path, "--dump-dom")
    assert 'No radio <span class="mono">nope</span> is programmed.' in dom
    assert 'id="unknown" class="panel notice">' in dom  # shown, no longer hidden


@pytest.mark.parametrize("name, size", [("radio.png", "1366,768"), ("radio-phone.png", "390,844")])
def test_the_radio_page_screenshots_are_written_for_review(service, tmp_path, name, size):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.unlink(missing_ok=True)
    url = http_base(service) + "/radios/radio-1"
    run_chromium(url, tmp_path, f"--screenshot={path}", f"--window-size={size}")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000  # a rendered page, not a blank one
