"""Listener requests in the engine, driven by the injected clock: each rule refusing, a
request played at the next song boundary (after a due jingle), held back by a hard show,
stored across a restart, and shown by the preview."""

import random

import pytest

from tests.programming_support import (
    RecordingPlayer,
    instant,
    jingle,
    load,
    make_programmer,
    playlist,
    radio,
    run_until,
    show,
    song,
    timeline_of,
)
from yascheduler.programming import Programmer, ProgrammingSettings, preview
from yascheduler.programming.requests import request_from_stored
from yascheduler.store.requests import StoredRequests
from yascheduler.store.timelines import StoredTimelines
from yascheduler.support.clock import FakeClock
from yascheduler.support.errors import RequestRefused

START = instant("2026-06-01 12:00:00")  # a Monday
SETTINGS = ProgrammingSettings(prepare_seconds=5.0)
EVERY_DAY = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]


def songs(first_id, count, artist=None, seconds=200.0):
    return [
        song(
            first_id + n,
            seconds,
            artist=artist or f"artist {first_id + n}",
            title=f"title {first_id + n}",
        )
        for n in range(count)
    ]


def programmed(playlists, jingles=(), settings=SETTINGS):
    radio(playlists=playlists, jingles=jingles)
    programmer, clock, player = make_programmer(START, settings)
    load(programmer)
    return programmer, clock, player


def playing(programmer):
    return programmer.radio_view("r1")["song_id"]


def files_started_after(player, instant_at):
    return [command.filename for at, command in timeline_of(player, "r1") if at >= instant_at]


def refused(programmer, song_id, user_id=1):
    with pytest.raises(RequestRefused) as refusal:
        programmer.requests.submit("r1", song_id, user_id)
    return refusal.value.rule


def test_a_request_plays_at_the_next_song_boundary_then_the_rotation_goes_on(db):
    programmer, clock, player = programmed([playlist(1, songs(1, 20))])
    boundary = programmer.radio_view("r1")["ends_at"]
    wanted = next(n for n in range(1, 21) if n != playing(programmer))
    request = programmer.requests.submit("r1", wanted, user_id=7)
    assert programmer.requests.pending("r1") == [request]
    run_until(programmer, clock, boundary + 1)
    assert files_started_after(player, boundary)[0] == f"songs/{wanted}.mp3"
    assert programmer.radio_view("r1")["song_id"] == wanted
    assert programmer.requests.pending("r1") == []
    run_until(programmer, clock, boundary + 1000)
    assert len(set(files_started_after(player, boundary))) == len(
        files_started_after(player, boundary)
    )  # the rotation does not play it again


def test_a_due_jingle_plays_before_the_request(db):
    programmer, clock, player = programmed(
        [playlist(1, songs(1, 20))], jingles=[jingle("j", every=1)]
    )
    boundary = programmer.radio_view("r1")["ends_at"]
    wanted = next(n for n in range(1, 21) if n != playing(programmer))
    programmer.requests.submit("r1", wanted, user_id=7)
    run_until(programmer, clock, boundary + 60)
    assert files_started_after(player, boundary)[:2] == ["jingles/j.mp3", f"songs/{wanted}.mp3"]


def test_requests_play_oldest_first_one_a_boundary(db):
    programmer, clock, player = programmed([playlist(1, songs(1, 20))])
    boundary = programmer.radio_view("r1")["ends_at"]
    wanted = [n for n in range(1, 21) if n != playing(programmer)][:3]
    for user_id, song_id in enumerate(wanted):
        programmer.requests.submit("r1", song_id, user_id)
    run_until(programmer, clock, boundary + 3 * 200)
    assert files_started_after(player, boundary)[:3] == [f"songs/{n}.mp3" for n in wanted]


def test_a_song_not_in_the_radios_catalog_is_refused(db):
    programmer, _, _ = programmed([playlist(1, songs(1, 5)), playlist(2, songs(50, 2), "off")])
    radio(uuid="other", playlists=[playlist(3, songs(90, 3))])
    assert refused(programmer, 999) == "not_in_catalog"
    assert refused(programmer, 90) == "not_in_catalog"  # another radio's
    assert programmer.requests.pending("r1") == []


def test_a_disabled_playlist_or_song_is_not_the_catalog(db):
    off = songs(60, 2)
    off[1].enabled = False
    lists = [playlist(1, songs(1, 5) + off), playlist(2, songs(50, 2), "x", enabled=False)]
    programmer, _, _ = programmed(lists)
    assert refused(programmer, 50) == "not_in_catalog"
    assert refused(programmer, 61) == "not_in_catalog"
    programmer.requests.submit("r1", 60, 1)


def test_a_user_has_one_pending_request_at_most_on_all_radios(db):
    radio(uuid="r2", playlists=[playlist(2, songs(100, 10))])
    programmer, _, _ = programmed([playlist(1, songs(1, 20))])
    free = [n for n in range(1, 21) if n != playing(programmer)]
    programmer.requests.submit("r1", free[0], user_id=1)
    assert refused(programmer, free[1], user_id=1) == "user_limit"
    elsewhere = next(n for n in range(100, 110) if n != programmer.radio_view("r2")["song_id"])
    with pytest.raises(RequestRefused) as refusal:
        programmer.requests.submit("r2", elsewhere, 1)
    assert refusal.value.rule == "user_limit"
    programmer.requests.submit("r1", free[1], user_id=2)  # another user may


def test_a_radio_has_five_pending_requests_at_most(db):
    programmer, _, _ = programmed([playlist(1, songs(1, 20))])
    free = [n for n in range(1, 21) if n != playing(programmer)]
    for user_id in range(5):
        programmer.requests.submit("r1", free[user_id], user_id)
    assert refused(programmer, free[5], user_id=9) == "radio_limit"
    assert len(programmer.requests.pending("r1")) == 5


def test_a_song_played_or_requested_within_15_minutes_is_refused(db):
    programmer, clock, _ = programmed([playlist(1, songs(1, 20))])
    now_playing = playing(programmer)
    assert refused(programmer, now_playing) == "recently_played"
    other = next(n for n in range(1, 21) if n != now_playing)
    programmer.requests.submit("r1", other, user_id=1)
    assert refused(programmer, other, user_id=2) == "recently_played"  # requested already
    run_until(programmer, clock, START + 15 * 60 + 1)  # 15 minutes after it started
    programmer.requests.submit("r1", now_playing, user_id=3)


def test_the_repeat_minutes_are_a_setting(db):
    settings = ProgrammingSettings(prepare_seconds=5.0, request_repeat_seconds=60.0)
    programmer, clock, _ = programmed([playlist(1, songs(1, 20))], settings=settings)
    now_playing = playing(programmer)
    run_until(programmer, clock, START + 61)
    programmer.requests.submit("r1", now_playing, user_id=3)


def test_another_song_of_the_artist_or_title_just_played_breaks_the_separation(db):
    # an ordered show on air: its first song plays first
    ordered = [
        song(100, 200.0, artist="Same", title="One", order=1),
        song(101, 200.0, artist="Same", title="Two", order=2),
        song(102, 200.0, artist="Other", title="One", order=3),
        song(103, 200.0, artist="Other", title="Three", order=4),
    ]
    hour = show(EVERY_DAY, "11:55:00", 3600)
    programmer, _, _ = programmed([playlist(1, songs(1, 5)), playlist(2, ordered, "Live", hour)])
    assert playing(programmer) == 100
    assert refused(programmer, 101) == "separation"  # the artist's
    assert refused(programmer, 102) == "separation"  # the title's
    programmer.requests.submit("r1", 103, 1)


def test_during_a_hard_show_only_its_own_songs_are_taken(db):
    hour = show(EVERY_DAY, "11:55:00", 3600, start="hard")
    programmer, clock, player = programmed(
        [playlist(1, songs(1, 20)), playlist(2, songs(100, 10), "Live", hour)]
    )
    assert 100 <= playing(programmer) < 110  # the show is on air
    assert refused(programmer, 3) == "hard_show"
    wanted = next(n for n in range(100, 110) if n != playing(programmer))
    programmer.requests.submit("r1", wanted, user_id=2)
    boundary = programmer.radio_view("r1")["ends_at"]
    run_until(programmer, clock, boundary + 1)
    assert files_started_after(player, boundary)[0] == f"songs/{wanted}.mp3"


def test_a_request_whose_turn_falls_in_a_hard_show_plays_after_it(db):
    hour = show(EVERY_DAY, "12:05:00", 1800, start="hard")
    programmer, clock, player = programmed(
        [playlist(1, songs(1, 20)), playlist(2, songs(100, 10), "Live", hour)]
    )
    free = [n for n in range(1, 21) if n != playing(programmer)]
    # both accepted: the next boundary, 12:03:20, is before the show
    programmer.requests.submit("r1", free[0], user_id=1)
    programmer.requests.submit("r1", free[1], user_id=2)
    run_until(programmer, clock, instant("2026-06-01 12:45:00"))
    starts = [(at, command.filename) for at, command in timeline_of(player, "r1")]
    assert (START + 200, f"songs/{free[0]}.mp3") in starts
    show_starts = [at for at, name in starts if name.startswith("songs/10")]
    assert show_starts[0] == instant("2026-06-01 12:05:00")  # the show cut the request
    after_show = [(at, name) for at, name in starts if at > show_starts[-1]]
    assert after_show[0] == (show_starts[-1] + 200, f"songs/{free[1]}.mp3")
    assert after_show[0][0] >= instant("2026-06-01 12:35:00")
    assert programmer.requests.pending("r1") == []


def test_a_pending_request_is_stored_and_survives_a_restart(db):
    radio(playlists=[playlist(1, songs(1, 20))])
    clock = FakeClock(START)

    def engine():
        programmer = Programmer(
            clock,
            player := RecordingPlayer(clock),
            SETTINGS,
            StoredTimelines(),
            random.Random(7),
            requests=StoredRequests(),
        )
        load(programmer)
        programmer.requests.load(StoredRequests().load_all(request_from_stored))
        return programmer, player

    first, _ = engine()
    wanted = next(n for n in range(1, 21) if n != playing(first))
    request = first.requests.submit("r1", wanted, user_id=4)
    assert StoredRequests().load_all(request_from_stored) == [request]
    second, player = engine()  # the first is gone, as if the service restarted
    assert second.requests.pending("r1") == [request]
    boundary = second.radio_view("r1")["ends_at"]
    run_until(second, clock, boundary + 1)
    assert files_started_after(player, boundary)[0] == f"songs/{wanted}.mp3"
    assert StoredRequests().load_all(request_from_stored) == []  # played: no longer stored


def test_the_preview_shows_the_request_at_the_next_boundary_and_changes_nothing(db):
    programmer, _, _ = programmed([playlist(1, songs(1, 20))])
    boundary = programmer.radio_view("r1")["ends_at"]
    wanted = next(n for n in range(1, 21) if n != playing(programmer))
    request = programmer.requests.submit("r1", wanted, user_id=7)
    items = preview.preview(programmer, "r1", hours=1)["items"]
    following = next(item for item in items if item["start"] == boundary)
    assert following["song_id"] == wanted
    assert programmer.requests.pending("r1") == [request]


def test_the_planned_start_is_when_the_request_then_plays(db):
    programmer, clock, player = programmed([playlist(1, songs(1, 20))])
    free = [n for n in range(1, 21) if n != playing(programmer)]
    for user_id in range(3):
        programmer.requests.submit("r1", free[user_id], user_id)
    zone, planned = preview.planned_starts(programmer, "r1", free[:3])
    assert (
        zone.key == "UTC" and sorted(planned.values())[0] == programmer.radio_view("r1")["ends_at"]
    )
    run_until(programmer, clock, START + 3600)
    started = {int(command.filename[6:-4]): at for at, command in timeline_of(player, "r1")}
    assert planned == {song_id: started[song_id] for song_id in free[:3]}
