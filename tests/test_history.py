"""The play history through a running service, on the injected clock: every track
started kept with its kind, show, artist, title, lateness and listeners; served by GET
/api/radios/<uuid>/history, exported by `yascheduler history export`, and kept
history_days (a TTL index, and the hourly deletion)."""

import csv
import io
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.catalogs import USERS, songs
from tests.harness import http_base, stored, wait_for
from tests.test_ops_cli import run_cli
from yascheduler.app.play_log import SWEEP_EVERY, Retention
from yascheduler.programming.interface import TrackStart
from yascheduler.store.packed_plays import BUCKETS
from yascheduler.store.plays import DAY, Play, StoredPlays
from yascheduler.support.clock import FakeClock

PARIS = ZoneInfo("Europe/Paris")
# near the wall clock: nx-27017 expires TTL-indexed records by its own clock when read
NOW = (int(time.time()) // 3600) * 3600 - 600.0  # ten minutes before an hour
SHOW_AT = NOW + 1200  # ten minutes past that hour
SONG_SECONDS, HOUR = 20.0, 3600.0


def catalog() -> dict:
    show_time = datetime.fromtimestamp(SHOW_AT, PARIS).strftime("%H:%M:%S")
    news = {
        "days": ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"],
        "time": show_time,
        "duration": 300,
        "start": "hard",
    }
    return {
        "users": USERS,
        "radios": [
            {
                "uuid": "radio-1",
                "name": "Radio One",
                "timezone": "Europe/Paris",
                "playlists": [
                    {"id": 10, "name": "default", "songs": songs("pop", 100, 30, SONG_SECONDS)},
                    {"id": 11, "name": "News", "show": news, "songs": songs("news", 200, 3, 60.0)},
                ],
                "jingles": [
                    {
                        "id": "hour",
                        "name": "Top of the hour",
                        "filename": "jingles/hour.mp3",
                        "duration": 5.0,
                        "schedule": [{"type": "hourly"}],
                    },
                    {
                        "id": "ident",
                        "name": "Station ident",
                        "filename": "jingles/ident.mp3",
                        "duration": 5.0,
                        "schedule": [{"type": "between_songs", "range": 3}],
                    },
                ],
            }
        ],
    }


def play_for(service, seconds: float) -> None:
    """Let the radio play `seconds` of the injected clock, the clock set to each event's
    time in turn (each play is sent on time)."""
    clock, programmer = service.clock, service.programmer
    until = clock.now() + seconds
    while (next_at := programmer.pending_events(1)[0][0]) < until:
        clock.set(max(clock.now(), next_at))
        programmer.wakeup.set()
        wait_for(lambda: programmer.pending_events(1)[0][0] > clock.now(), "the events due")
    stored(service)


@pytest.fixture
def service(make_service):
    service = make_service(catalog(), clock=FakeClock(NOW), admin_token="t")
    service.listeners.open("l1", "radio-1", 1, "s1")  # a listener from the start
    play_for(service, HOUR)
    return service


def history(service, uuid="radio-1", **params):
    url = f"{http_base(service)}/api/radios/{uuid}/history"
    return requests.get(url, params=params, timeout=10)


def test_the_history_lists_every_track_started_newest_first(service):
    answer = history(service).json()
    assert (answer["radio"], answer["page"], answer["per_page"], answer["more"]) == (
        "radio-1",
        1,
        100,
        True,
    )
    items = answer["items"]
    assert len(items) == 100
    starts = [item["started_at"] for item in items]
    assert starts == sorted(starts, reverse=True) and starts[0] <= NOW + HOUR
    newest = items[0]
    assert newest["started_at_utc"] == datetime.fromtimestamp(starts[0], UTC).isoformat()
    assert newest["started_at_local"] == datetime.fromtimestamp(starts[0], PARIS).isoformat()
    assert all(item["listeners"] == 1 for item in items)
    assert all(item["lateness_ms"] == 0 for item in items)  # each event done at its time


def every_item(service) -> list[dict]:
    items, page = [], 1
    while True:
        answer = history(service, page=page).json()
        items += answer["items"]
        if not answer["more"]:
            return items
        page += 1


def test_each_kind_with_its_song_artist_title_and_show(service):
    items = every_item(service)
    by_kind = {}
    for item in items:
        by_kind.setdefault(item["kind"], []).append(item)
    assert set(by_kind) == {"song", "jingle", "hourly_jingle", "show_song"}
    news = by_kind["show_song"][-1]  # the oldest: the show's first song, at its hard start
    assert news["started_at"] == SHOW_AT
    assert (news["song_id"], news["artist"], news["title"], news["file"], news["show"]) == (
        200,
        "news artist 0",
        "news title 0",
        "news/200.mp3",
        "News",
    )
    (hourly,) = by_kind["hourly_jingle"]
    assert hourly["started_at"] == NOW + 600  # the top of the hour
    assert (hourly["song_id"], hourly["artist"], hourly["title"], hourly["show"]) == (
        None,
        None,
        "Top of the hour",
        None,
    )
    song = by_kind["song"][0]
    assert song["artist"].startswith("pop artist ") and song["file"].startswith("pop/")
    assert song["show"] is None
    # every start once: the sum of what played is the hour
    assert len({item["started_at"] for item in items}) == len(items)


def test_the_history_reads_the_same_once_gathered_by_hour_and_its_turns_deleted(service):
    before, page_two = every_item(service), history(service, page=2).json()
    plays = service.repositories.plays
    turns = plays_documents()
    assert 0 < turns < len(before)  # a writer turn's records in one document a bucket
    for _ in range(BUCKETS):  # the history-gathering part's turns, through every bucket
        service.gathering.loop()
    stored(service)
    assert plays.delete_gathered() == turns
    assert plays_documents() == 2  # the radio's two clock hours
    assert every_item(service) == before and history(service, page=2).json() == page_two


def plays_documents() -> int:
    return len(list(Play._get_collection().find({}, {"_id": 1})))


def test_since_and_until_select_in_the_radios_local_time_or_with_an_offset(service):
    since = datetime.fromtimestamp(SHOW_AT, PARIS).replace(tzinfo=None)
    until = since + timedelta(minutes=5)
    items = history(service, since=since.isoformat(), until=until.isoformat()).json()["items"]
    assert items and all(SHOW_AT <= item["started_at"] < SHOW_AT + 300 for item in items)
    assert {item["show"] for item in items} == {"News"}  # its songs, and a jingle during it
    utc = datetime.fromtimestamp(SHOW_AT, UTC).isoformat()
    assert history(service, since=utc, until=until.isoformat()).json()["items"] == items


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-13-01T00:00:00"}, "until"),
        ({"since": "2026-06-02T00:00:00", "until": "2026-06-01T00:00:00"}, "until"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(service, params, parameter):
    response = history(service, **params)
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter


def test_an_unknown_radio_is_a_404(service):
    response = history(service, uuid="nope")
    assert response.status_code == 404
    assert response.json()["error"] == "unknown radio nope"


def test_history_export_writes_the_csv_from_the_store_with_the_service_stopped(
    service, db, tmp_path
):
    expected = [item for item in every_item(service) if item["started_at"] >= SHOW_AT]
    service.stop()
    since = datetime.fromtimestamp(SHOW_AT, PARIS).replace(tzinfo=None).isoformat()
    until = datetime.fromtimestamp(NOW + 2 * HOUR, UTC).isoformat()
    output = tmp_path / "report.csv"
    result = run_cli(
        "history", "export", "--radio", "radio-1", "--since", since, "--until", until,
        "--output", str(output), "--mongo-url", db,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"{len(expected)} tracks of radio radio-1 written to {output}" in result.stderr
    rows = list(csv.reader(io.StringIO(output.read_text())))
    assert rows[0] == [
        "started_at_utc", "started_at_local", "kind", "song_id", "artist", "title", "file",
        "show", "listeners",
    ]  # fmt: skip
    assert rows[1] == [
        datetime.fromtimestamp(SHOW_AT, UTC).isoformat(),
        datetime.fromtimestamp(SHOW_AT, PARIS).isoformat(),
        "show_song", "200", "news artist 0", "news title 0", "news/200.mp3", "News", "1",
    ]  # fmt: skip
    oldest_first = list(reversed(expected))
    assert [row[0] for row in rows[1:]] == [item["started_at_utc"] for item in oldest_first]


def test_history_export_of_an_unknown_radio_or_a_bad_time_says_so(db):
    result = run_cli(
        "history", "export", "--radio", "nope", "--since", "2026-06-01T00:00:00",
        "--until", "2026-06-02T00:00:00", "--mongo-url", db,
    )  # fmt: skip
    assert (result.returncode, result.stderr.strip()) == (1, "yascheduler: unknown radio nope")
    result = run_cli(
        "history", "export", "--radio", "nope", "--since", "soon", "--until", "later",
    )  # fmt: skip
    assert result.returncode == 2
    assert "since: not an ISO 8601 time: 'soon'" in result.stderr


def test_history_export_reads_the_embedded_store_of_data_dir_by_default(tmp_path):
    result = run_cli(
        "history", "export", "--radio", "nope", "--since", "2026-06-01T00:00:00",
        "--until", "2026-06-02T00:00:00", "--data-dir", str(tmp_path / "data"),
    )  # fmt: skip
    assert (result.returncode, result.stderr.strip()) == (1, "yascheduler: unknown radio nope")
    assert (tmp_path / "data").is_dir()


# --- retention -----------------------------------------------------------------------


def track(at: float) -> TrackStart:
    return TrackStart("r1", "song", 1, "a.mp3", "A", "T", None, at, 0.0)


def test_the_ttl_index_expires_plays_history_days_after_their_start(db):
    plays = StoredPlays()
    plays.keep_for(30)
    assert plays.expiry() == 30 * 86400
    plays.keep_for(7)  # the setting changed: the index is made again
    assert plays.expiry() == 7 * 86400


def test_the_hourly_deletion_removes_plays_older_than_history_days(db):
    # a clock ten days ahead of the store's: what is 35 days old here, nx-27017's own
    # expiry (25 days by its clock) leaves; the deletion does not
    clock = FakeClock(time.time() + 10 * DAY)
    plays = StoredPlays()
    plays.keep_for(30)
    for age in (35, 29, 1):
        plays.add(track(clock.now() - age * DAY), listeners=2)
    assert Retention(clock, plays, 30).loop() == SWEEP_EVERY
    kept = plays.page("r1", None, None, 0, 10)
    assert [round((clock.now() - row["started_at"]) / DAY) for row in kept] == [1, 29]


def test_the_service_keeps_history_days_of_plays(make_service):
    service = make_service(catalog(), clock=FakeClock(NOW), history_days=7)
    assert service.repositories.plays.expiry() == 7 * 86400
    assert service.retention.days == 7
