"""The show calendar and local hours, in the radio's time zone."""

import itertools
from zoneinfo import ZoneInfo

from tests.programming_support import instant, playlist, radio, show, song
from yascheduler.programming.localtime import next_top_of_hour
from yascheduler.programming.shows import next_show_start, on_air

PARIS = ZoneInfo("Europe/Paris")


def show_radio(*shows, zone="Europe/Paris"):
    playlists = [
        playlist(10 + index, [song(100 + index)], name=f"show{index}", show=s)
        for index, s in enumerate(shows)
    ]
    return radio(playlists=playlists, timezone=zone, save=False)


def on_air_id(station, when, zone=PARIS):
    show_on_air = on_air(station, zone, when)
    return None if show_on_air is None else show_on_air.playlist.id


def test_show_is_on_air_from_its_start_to_its_end():
    station = show_radio(show(["MON"], "07:00:00", 3600))
    assert on_air_id(station, instant("2026-06-01 06:59:59", "Europe/Paris")) is None
    assert on_air_id(station, instant("2026-06-01 07:00:00", "Europe/Paris")) == 10
    assert on_air_id(station, instant("2026-06-01 07:59:59", "Europe/Paris")) == 10
    assert on_air_id(station, instant("2026-06-01 08:00:00", "Europe/Paris")) is None


def test_show_on_the_wrong_weekday_is_not_on_air():
    station = show_radio(show(["TUE"], "07:00:00", 3600))
    assert on_air_id(station, instant("2026-06-01 07:30:00", "Europe/Paris")) is None
    assert on_air_id(station, instant("2026-06-02 07:30:00", "Europe/Paris")) == 10


def test_disabled_show_is_never_on_air():
    station = show_radio(show(["MON"], "07:00:00", 3600, enabled=False))
    assert on_air_id(station, instant("2026-06-01 07:30:00", "Europe/Paris")) is None
    assert next_show_start(station, PARIS, instant("2026-06-01 00:00:00")) is None


def test_show_without_playable_songs_is_not_on_air():
    station = show_radio(show(["MON"], "07:00:00", 3600))
    station.playlists[0].songs[0].enabled = False
    assert on_air_id(station, instant("2026-06-01 07:30:00", "Europe/Paris")) is None


def test_show_crossing_midnight_runs_into_the_next_day():
    # starts Sunday 23:00, so Monday 01:00 is still Sunday's show
    station = show_radio(show(["SUN"], "23:00:00", 3 * 3600))
    assert on_air_id(station, instant("2026-05-31 23:30:00", "Europe/Paris")) == 10
    assert on_air_id(station, instant("2026-06-01 01:59:00", "Europe/Paris")) == 10
    assert on_air_id(station, instant("2026-06-01 02:00:00", "Europe/Paris")) is None
    assert on_air_id(station, instant("2026-06-01 23:30:00", "Europe/Paris")) is None


def test_of_two_shows_on_air_the_one_that_started_last_wins():
    station = show_radio(show(["MON"], "06:00:00", 4 * 3600), show(["MON"], "08:00:00", 3600))
    assert on_air_id(station, instant("2026-06-01 07:00:00", "Europe/Paris")) == 10
    assert on_air_id(station, instant("2026-06-01 08:30:00", "Europe/Paris")) == 11
    assert on_air_id(station, instant("2026-06-01 09:30:00", "Europe/Paris")) == 10


def test_show_in_the_skipped_hour_of_spring_starts_when_clocks_resume():
    # 2026-03-29: Paris clocks jump from 02:00 to 03:00 (01:00 UTC)
    station = show_radio(show(["SUN"], "02:30:00", 3600))
    start = instant("2026-03-29 01:00:00")
    assert next_show_start(station, PARIS, instant("2026-03-28 12:00:00")) == start
    assert on_air_id(station, start - 1) is None
    assert on_air_id(station, start) == 10
    assert on_air_id(station, start + 3599) == 10
    assert on_air_id(station, start + 3600) is None


def test_show_in_the_repeated_hour_of_autumn_starts_the_first_time():
    # 2026-10-25: Paris clocks go back from 03:00 to 02:00 (01:00 UTC); 02:30 happens twice
    station = show_radio(show(["SUN"], "02:30:00", 1800))
    first = instant("2026-10-25 00:30:00")
    assert next_show_start(station, PARIS, instant("2026-10-24 12:00:00")) == first
    assert on_air_id(station, first) == 10
    assert on_air_id(station, first + 1800) is None
    assert on_air_id(station, first + 3600) is None  # the second 02:30


def test_show_keeps_its_wall_clock_time_across_a_daylight_saving_change():
    station = show_radio(show(["SAT", "SUN"], "07:00:00", 3600))
    saturday = next_show_start(station, PARIS, instant("2026-03-28 00:00:00"))
    sunday = next_show_start(station, PARIS, saturday)
    assert saturday == instant("2026-03-28 06:00:00")  # 07:00 CET
    assert sunday == instant("2026-03-29 05:00:00")  # 07:00 CEST
    assert sunday - saturday == 23 * 3600


def test_next_show_start_looks_a_week_ahead():
    station = show_radio(show(["MON"], "07:00:00", 3600))
    after_this_week = instant("2026-06-01 08:00:00", "Europe/Paris")
    assert next_show_start(station, PARIS, after_this_week) == instant(
        "2026-06-08 07:00:00", "Europe/Paris"
    )


def test_top_of_the_hour_is_local():
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+05:30
    assert next_top_of_hour(kolkata, instant("2026-06-01 10:00:00")) == instant(
        "2026-06-01 10:30:00"
    )
    assert next_top_of_hour(PARIS, instant("2026-06-01 10:00:00")) == instant("2026-06-01 11:00:00")
    assert next_top_of_hour(PARIS, instant("2026-06-01 10:59:59.5")) == instant(
        "2026-06-01 11:00:00"
    )


def test_hours_keep_coming_every_hour_across_daylight_saving():
    tops, when = [], instant("2026-10-24 23:30:00")
    for _ in range(4):
        when = next_top_of_hour(PARIS, when)
        tops.append(when)
    assert [b - a for a, b in itertools.pairwise(tops)] == [3600, 3600, 3600]
