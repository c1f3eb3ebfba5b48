"""Shows and playlists on the air, driven by the injected clock: which playlist plays when."""

import pytest

from tests.programming_support import (
    default_songs,
    instant,
    load,
    make_programmer,
    playlist,
    radio,
    run_until,
    show,
    song,
    song_starts,
)

HOUR = 3600.0
T0 = instant("2026-06-01 00:00:10")  # a Monday


def test_show_plays_in_order_from_its_start_and_does_not_cut_the_last_song(db):
    morning = show(["MON"], "07:00:00", 3600)
    show_songs = [
        song(101, 500.0, order=2),
        song(102, 500.0, order=1),
        song(103, 500.0, order=3),
    ]
    radio(
        playlists=[
            playlist(1, default_songs(20, 200.0)),
            playlist(2, show_songs, name="Morning", show=morning),
        ],
        timezone="Europe/Paris",
    )
    start = instant("2026-05-31 06:00:00", "Europe/Paris")  # a Sunday: no show that day
    programmer, clock, player = make_programmer(start)
    load(programmer)
    run_until(programmer, clock, instant("2026-06-01 10:00:00", "Europe/Paris"))
    starts = song_starts(player, "r1")
    in_show = [(song_id, at) for song_id, at in starts if song_id > 100]
    show_start = instant("2026-06-01 07:00:00", "Europe/Paris")
    assert [song_id for song_id, _ in in_show] == [
        102,
        101,
        103,
        102,
        101,
        103,
        102,
        101,
    ]
    assert show_start <= in_show[0][1] < show_start + 200
    assert in_show[-1][1] < show_start + HOUR
    after = [at for song_id, at in starts if at > in_show[-1][1]]
    assert after[0] == in_show[-1][1] + 500.0  # the show ended mid-song; the song played to its end
    assert programmer.radio_view("r1")["show"] is None


def test_ordered_show_starts_from_its_first_song_each_time(db):
    morning = show(["MON", "TUE"], "07:00:00", 1000)
    show_songs = [
        song(101, 300.0, order=1),
        song(102, 300.0, order=2),
        song(103, 300.0, order=3),
    ]
    radio(
        playlists=[
            playlist(1, default_songs(20, 200.0)),
            playlist(2, show_songs, name="Morning", show=morning),
        ],
        timezone="Europe/Paris",
    )
    programmer, clock, player = make_programmer(instant("2026-06-01 06:00:00", "Europe/Paris"))
    load(programmer)
    run_until(programmer, clock, instant("2026-06-02 09:00:00", "Europe/Paris"))
    show_days = {}
    for song_id, at in song_starts(player, "r1"):
        if song_id > 100:
            show_days.setdefault(instant_day(at), []).append(song_id)
    assert list(show_days.values()) == [[101, 102, 103, 101], [101, 102, 103, 101]]


def instant_day(at):
    return int(at // 86400)


def test_show_across_midnight_and_random_play_show(db):
    night = show(["SUN"], "23:00:00", 3 * HOUR, random_play=True)
    night_songs = [song(100 + i, 240.0) for i in range(1, 11)]
    radio(
        playlists=[
            playlist(1, default_songs(20, 200.0)),
            playlist(2, night_songs, name="Night", show=night),
        ],
        timezone="Europe/Paris",
    )
    programmer, clock, player = make_programmer(instant("2026-05-31 22:00:00", "Europe/Paris"))
    load(programmer)
    run_until(programmer, clock, instant("2026-06-01 00:30:00", "Europe/Paris"))
    assert programmer.radio_view("r1")["show"] == {"playlist_id": 2, "name": "Night"}
    run_until(programmer, clock, instant("2026-06-01 04:00:00", "Europe/Paris"))
    show_start = instant("2026-05-31 23:00:00", "Europe/Paris")
    show_end = show_start + 3 * HOUR
    for song_id, at in song_starts(player, "r1"):
        in_show = show_start <= at < show_end
        if song_id > 100:
            assert in_show
        elif in_show:
            assert at < show_start + 200  # the default song playing when the show started
    assert {song_id for song_id, _ in song_starts(player, "r1") if song_id > 100} == {
        s.id for s in night_songs
    }


def test_disabled_show_and_show_on_another_day_leave_the_default_playlist_on(db):
    radio(
        playlists=[
            playlist(1, default_songs(20, 200.0)),
            playlist(
                2,
                [song(101)],
                name="Off",
                show=show(["MON"], "07:00:00", 3600, enabled=False),
            ),
            playlist(3, [song(102)], name="Tuesday", show=show(["TUE"], "07:00:00", 3600)),
        ],
        timezone="Europe/Paris",
    )
    programmer, clock, player = make_programmer(instant("2026-06-01 06:00:00", "Europe/Paris"))
    load(programmer)
    run_until(programmer, clock, instant("2026-06-01 12:00:00", "Europe/Paris"))
    assert all(song_id < 100 for song_id, _ in song_starts(player, "r1"))


def test_show_follows_the_wall_clock_across_a_daylight_saving_change(db):
    daily = show(["SAT", "SUN", "MON"], "07:00:00", 1800)
    radio(
        playlists=[
            playlist(1, default_songs(30, 180.0)),
            playlist(2, [song(101, 180.0)], name="Daily", show=daily),
        ],
        timezone="Europe/Paris",
    )
    programmer, clock, player = make_programmer(instant("2026-03-28 00:00:00"))
    load(programmer)
    run_until(programmer, clock, instant("2026-03-30 12:00:00"))
    first_show_song = {}
    for song_id, at in song_starts(player, "r1"):
        if song_id == 101:
            first_show_song.setdefault(instant_day(at), at)
    expected = [
        instant("2026-03-28 06:00:00"),
        instant("2026-03-29 05:00:00"),
        instant("2026-03-30 05:00:00"),
    ]
    assert len(first_show_song) == 3
    for at, show_start in zip(first_show_song.values(), expected):
        assert show_start <= at < show_start + 180


def test_radio_with_only_a_show_is_on_air_during_the_show_only(db):
    evening = show(["MON"], "20:00:00", 1800)
    radio(
        playlists=[playlist(2, default_songs(3, 400.0, first_id=100), name="Evening", show=evening)]
    )
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    assert programmer.radio_view("r1")["broken"]
    run_until(programmer, clock, instant("2026-06-01 22:00:00"))
    starts = [at for _, at in song_starts(player, "r1")]
    assert starts[0] == instant("2026-06-01 20:00:00")
    assert starts[-1] < instant("2026-06-01 20:30:00")
    assert programmer.radio_view("r1")["broken"]
    assert programmer.counts()["events"] == 1  # waiting for next week's show


def morning_radio(show_enabled=True, default_enabled=True):
    """r1: a default playlist (songs 1..20) and a show (songs 101..103), Mondays 07:00-09:00 UTC."""
    return radio(
        playlists=[
            playlist(1, default_songs(20, 200.0), enabled=default_enabled),
            playlist(
                2,
                [song(101, 300.0), song(102, 300.0), song(103, 300.0)],
                name="Morning",
                show=show(["MON"], "07:00:00", 2 * HOUR),
                enabled=show_enabled,
            ),
        ]
    )


def test_a_disabled_show_playlist_is_not_on_air(db):
    morning_radio(show_enabled=False)
    programmer, clock, player = make_programmer(instant("2026-06-01 06:00:00"))
    load(programmer)
    run_until(programmer, clock, instant("2026-06-01 08:00:00"))
    assert programmer.radio_view("r1")["show"] is None
    assert all(song_id < 100 for song_id, _ in song_starts(player, "r1"))


def test_a_disabled_default_playlist_plays_nothing_outside_shows(db):
    morning_radio(default_enabled=False)
    programmer, clock, player = make_programmer(instant("2026-06-01 06:00:00"))
    load(programmer)
    assert programmer.radio_view("r1")["broken"]
    run_until(programmer, clock, instant("2026-06-01 10:00:00"))
    starts = song_starts(player, "r1")
    assert {song_id for song_id, _ in starts} == {101, 102, 103}
    assert starts[0][1] == instant("2026-06-01 07:00:00")
    assert programmer.radio_view("r1")["broken"]  # the show is over


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_disabling_or_deleting_the_show_on_air_brings_the_default_playlist_back(db, change):
    station = morning_radio()
    programmer, clock, player = make_programmer(instant("2026-06-01 07:30:00"))
    load(programmer)
    changed_at = instant("2026-06-01 07:40:00")
    run_until(programmer, clock, changed_at)
    assert song_starts(player, "r1")[-1] == (103, changed_at)  # the show's third song
    if change == "disable":
        station.playlists[1].enabled = False
    else:
        del station.playlists[1]
    station.save()
    programmer.set_radio(station)
    run_until(programmer, clock, instant("2026-06-01 08:30:00"))
    after = [song_id for song_id, at in song_starts(player, "r1") if at > changed_at]
    assert after and all(song_id < 100 for song_id in after)
    assert programmer.radio_view("r1")["show"] is None
