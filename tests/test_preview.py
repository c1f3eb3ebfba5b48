"""The preview, a dry run of the engine on a copy of a radio, driven by the injected
clock: what it lists is what the engine then plays, and the live radio does not move."""

import random

import pytest

from tests.programming_support import (
    default_songs,
    instant,
    jingle,
    load,
    RecordingPlayer,
    make_programmer,
    playlist,
    radio,
    run_until,
    show,
    song,
    timeline_of,
)
from yascheduler.programming import Programmer, ProgrammingSettings
from yascheduler.programming.catalog_view import radio_from_stored
from yascheduler.programming.persistence import whole
from yascheduler.programming.preview import Discarded, preview
from yascheduler.store.radios import StoredRadios
from yascheduler.support.clock import FakeClock
from yascheduler.support.errors import ParameterError

HOUR = 3600.0
WEEK = 168
EVERY_DAY = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
SETTINGS = ProgrammingSettings(prepare_seconds=5.0, crossfade_seconds=2.0)
SHOW_FILES = {f"songs/{n}.mp3" for n in (101, 102, 103, 104, 105, 201, 202, 203)}
START = instant("2026-06-01 09:50:00", "Europe/Paris")  # a Monday


def programme_radio(zone="Europe/Paris", show_time="20:00:00"):
    """Random default songs, a hard ordered show every day, a soft one with a wait on
    weekdays, a jingle every three songs and an hourly one."""
    radio(
        playlists=[
            playlist(1, default_songs(40, 217.0)),
            playlist(
                2,
                [song(100 + n, 290.0 + n, order=n) for n in range(1, 6)],
                "Evening",
                show(EVERY_DAY, show_time, 3600, start="hard"),
            ),
            playlist(
                3,
                [song(200 + n, 400.0, order=n) for n in range(1, 4)],
                "Morning",
                show(["MON", "TUE", "WED", "THU", "FRI"], "07:00:00", 1800, max_wait=90),
            ),
        ],
        jingles=[jingle("id", every=3), jingle("hour", duration=8.0, hourly=True)],
        timezone=zone,
    )


def engine(start=START):
    programmer, clock, player = make_programmer(start, SETTINGS)
    load(programmer)
    return programmer, clock, player


def twin_engine(start=START):
    """An engine like engine()'s, of its own: it keeps its timelines to itself."""
    clock = FakeClock(start)
    player = RecordingPlayer(clock)
    twin = Programmer(clock, player, SETTINGS, Discarded(), random.Random(7))
    twin.load(StoredRadios().ready(radio_from_stored), {})
    return twin, clock, player


def previewed(answer):
    """(start, file, offset) of every item that plays something."""
    return [
        (item["start"], item["file"], item["offset"])
        for item in answer["items"]
        if item["kind"] != "dead air"
    ]


def played(player, until):
    return [(at, c.filename, c.offset) for at, c in timeline_of(player, "r1") if at < until]


def test_a_week_of_preview_is_what_the_engine_then_plays(db):
    programme_radio()
    programmer, clock, player = engine()
    answer = preview(programmer, "r1", None, WEEK)
    until = START + WEEK * HOUR
    run_until(programmer, clock, until)
    items, plays = previewed(answer), played(player, until)

    def fixed(timeline):  # the ordered shows and the jingles: exact
        return [entry for entry in timeline if entry[1] in SHOW_FILES or "jingle" in entry[1]]

    assert len(fixed(items)) > 7 * (12 + 5)
    assert fixed(items) == fixed(plays)
    # one radio: nothing else draws from the random generator, so even its random songs
    assert items == plays


def test_the_preview_marks_show_starts_and_the_songs_cut_for_them(db):
    programme_radio()
    programmer, _, _ = engine()
    items = preview(programmer, "r1", None, 24)["items"]
    marks = {
        (mark["mark"], mark.get("show"), mark.get("cut")) for i in items for mark in i["marks"]
    }
    assert ("show_start", "Evening", "hard") in marks
    evening = next(i for i in items if any(m.get("show") == "Evening" for m in i["marks"]))
    assert evening["start_local"] == "2026-06-01T20:00:00+02:00"
    assert evening["kind"] == "show song" and evening["show"]["name"] == "Evening"
    before = items[items.index(evening) - 1]
    assert before["end"] == evening["start"]
    assert [m["by"] for m in before["marks"] if m["mark"] == "cut"] == ["hard"]
    morning = next(i for i in items if any(m.get("show") == "Morning" for m in i["marks"]))
    (start_mark,) = [m for m in morning["marks"] if m["mark"] == "show_start"]
    assert morning["start"] - start_mark["planned_at"] == start_mark["late_seconds"] <= 90
    assert {"hourly jingle", "jingle", "song", "show song"} <= {i["kind"] for i in items}


def test_a_preview_moves_nothing_of_the_live_radio(db):
    programme_radio()
    programmer, clock, player = engine()
    twin, twin_clock, twin_player = twin_engine()
    run_until(programmer, clock, START + 2 * HOUR)
    run_until(twin, twin_clock, START + 2 * HOUR)
    state = programmer._radios["r1"]
    before = (whole(state.copy(programmer._rng), None), programmer._rng.getstate())
    preview(programmer, "r1", None, WEEK)
    preview(programmer, "r1", START + 30 * HOUR, 10)
    assert (whole(state.copy(programmer._rng), None), programmer._rng.getstate()) == before
    assert programmer.pending_events(5) == twin.pending_events(5)
    run_until(programmer, clock, START + 30 * HOUR)
    run_until(twin, twin_clock, START + 30 * HOUR)
    assert timeline_of(player, "r1") == timeline_of(twin_player, "r1")


def test_a_preview_from_a_later_time_lists_what_plays_from_then(db):
    programme_radio()
    programmer, clock, player = engine()
    later = START + 50 * HOUR
    answer = preview(programmer, "r1", later, 3)
    assert answer["from"] == later and answer["until"] == later + 3 * HOUR
    assert answer["items"][0]["start"] <= later < answer["items"][0]["end"]
    assert answer["items"][-1]["start"] < later + 3 * HOUR
    run_until(programmer, clock, later + 3 * HOUR)
    plays = [entry for entry in played(player, later + 3 * HOUR) if entry[0] >= later]
    assert [entry for entry in previewed(answer) if entry[0] >= later] == plays


def test_a_preview_too_far_ahead_is_refused_and_an_unknown_radio_has_none(db):
    programme_radio()
    programmer, _, _ = engine()
    with pytest.raises(ParameterError, match="from: at most 168 hours ahead"):
        preview(programmer, "r1", START + 169 * HOUR, 1)
    assert preview(programmer, "nope", None, 1) is None


DST_WEEKS = [
    # zone, a week's start, the Sunday show's start, the clock change, the shows it moves
    ("Europe/Paris", "2026-03-25 12:00:00", "2026-03-29T03:00:00+02:00", "forward", 1),
    ("Europe/Paris", "2026-10-21 12:00:00", "2026-10-25T02:30:00+02:00", "back", 1),
    ("America/New_York", "2026-03-04 12:00:00", "2026-03-08T03:00:00-04:00", "forward", 1),
    ("America/New_York", "2026-10-28 12:00:00", "2026-11-01T02:30:00-05:00", "back", 0),
]


@pytest.mark.parametrize("zone, week, sunday_show, change, moved", DST_WEEKS)
def test_a_week_across_a_clock_change(db, zone, week, sunday_show, change, moved):
    programme_radio(zone, show_time="02:30:00")
    start = instant(week, zone)
    programmer, clock, player = engine(start)
    answer = preview(programmer, "r1", None, WEEK)
    (clock_change,) = answer["clock_changes"]
    assert clock_change["change"] == change
    assert len(clock_change["shows"]) == moved
    if moved:
        assert clock_change["shows"][0]["starts_local"] == sunday_show
    marked = [i for i in answer["items"] if any(m["mark"] == "clock_change" for m in i["marks"])]
    assert len(marked) == 1 and marked[0]["start"] <= clock_change["at"] < marked[0]["end"]
    show_starts = [
        i["start_local"]
        for i in answer["items"]
        if any(m["mark"] == "show_start" and m["show"] == "Evening" for m in i["marks"])
    ]
    assert sunday_show in show_starts and len(show_starts) == 7
    # the hourly jingle every hour, but at 03:00 when the show starts then: it takes its place
    hours = [i["start"] for i in answer["items"] if i["kind"] == "hourly jingle"]
    gaps = [later - earlier for earlier, later in zip(hours, hours[1:])]
    assert set(gaps) <= {HOUR, 2 * HOUR} and gaps.count(2 * HOUR) == int(sunday_show[11:13] == "03")
    until = start + WEEK * HOUR
    run_until(programmer, clock, until)
    assert previewed(answer) == played(player, until)


def test_what_the_dry_run_does_stays_out_of_the_log(db, caplog):
    programme_radio()
    programmer, clock, _ = engine()
    caplog.set_level("INFO", logger="yascheduler.programming")
    preview(programmer, "r1", None, 24)
    assert [r.message for r in caplog.records if "Evening" in r.message] == []
    run_until(programmer, clock, START + 24 * HOUR)
    logged = [r.message for r in caplog.records if "Evening" in r.message]
    assert logged and all(message.startswith("radio r1: show 'Evening'") for message in logged)


def test_a_radio_with_nothing_to_play_previews_its_dead_air_until_its_show(db):
    noon = show(["MON"], "12:00:00", 1800)
    radio(playlists=[playlist(2, [song(100, 600.0)], "Noon", noon)], timezone="Europe/Paris")
    programmer, _, _ = engine()
    items = preview(programmer, "r1", None, 4)["items"]
    noon_at = instant("2026-06-01 12:00:00", "Europe/Paris")
    assert (items[0]["kind"], items[0]["start"], items[0]["end"]) == ("dead air", START, noon_at)
    # 600 s songs, crossfaded 2 s, from 12:00; the last starts before 12:30 and plays out
    assert [item["start"] - noon_at for item in items[1:5]] == [0, 598, 1196, 1794]
    assert [item["kind"] for item in items[1:]] == ["show song"] * 4 + ["dead air"]
    assert items[5]["start"] == items[4]["end"] == noon_at + 1794 + 600  # silent once it ends
