"""Jingles, driven by the injected clock: between songs, each on its own count, and hourly."""

from tests.programming_support import (
    default_songs,
    instant,
    jingle,
    load,
    make_programmer,
    playlist,
    radio,
    run_until,
    song_starts,
    timeline_of,
)
from yascheduler.store.radios import JingleSchedule
from tests.harness import stored_timeline
from yascheduler.store.timelines import RadioTimeline, StoredTimelines
from yascheduler.programming import PlayCommand

HOUR = 3600.0
T0 = instant("2026-06-01 00:00:10")  # a Monday


def on_air(player, uuid="r1"):
    """What played, one letter a track: S for a song, a jingle's id for a jingle."""
    return "".join(
        command.filename.removeprefix("jingles/").removesuffix(".mp3")
        if command.filename.startswith("jingles/")
        else "S"
        for _, command in timeline_of(player, uuid)
    )


def jingle_radio(*jingles, uuid="r1"):
    """A radio of 100 s songs and 6 s jingles: a track starts every 100 or 6 seconds."""
    return radio(uuid, playlists=[playlist(1, default_songs(10, 100.0))], jingles=jingles)


def test_a_jingle_comes_after_exactly_its_range_of_songs(db):
    jingle_radio(jingle("a", every=3))
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    assert on_air(player).startswith("SSSaSSSaSSSa")
    assert set(on_air(player).split("a")[:-1]) == {"SSS"}


def test_jingles_due_together_play_one_after_the_other_before_the_next_song(db):
    jingle_radio(jingle("a", every=3), jingle("b", every=3))
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    # a and b were never played: catalog order; then a is always the one played longer ago
    assert on_air(player).startswith("SSSab" * 5)


def test_of_two_jingles_due_the_one_played_least_recently_goes_first(db):
    jingle_radio(jingle("a", every=2), jingle("b", every=3))
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    # after six songs both are due: b played before a did, so b goes first
    assert on_air(player).startswith("SSaSbSaSSba" * 3)


def test_three_jingles_due_together(db):
    jingle_radio(jingle("a", every=2), jingle("b", every=2), jingle("c", every=4))
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    # c, never played, goes first even though the catalog lists it last; after that, the
    # order of their last plays
    assert on_air(player).startswith("SSabSScab" * 3)


def test_a_jingle_with_several_ranges_follows_its_smallest(db):
    several = jingle("a", every=5)
    several.schedule.append(JingleSchedule(type="between_songs", range=2))
    jingle_radio(several)
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    assert on_air(player).startswith("SSa" * 10)


def test_counters_survive_a_restart(db):
    jingle_radio(jingle("a", every=2), jingle("b", every=3))
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    # down during the song after which both are due: only when each last played tells
    # that b goes first
    run_until(programmer, clock, T0 + 560)
    assert on_air(player) == "SSaSbSaSS"

    again, clock_again, player_again = make_programmer(T0 + 560, seed=99)
    load(again)
    run_until(again, clock_again, T0 + HOUR)
    assert on_air(player_again).startswith("ba" + "SSaSbSaSSba")


def test_changed_jingle_keeps_its_count_and_a_deleted_one_stops(db):
    station = jingle_radio(jingle("a", every=3), jingle("b", every=3))
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 450)  # during the second song after "ab"
    assert on_air(player) == "SSSabSS"
    station.jingles = [jingle("b", duration=6.0, every=3)]
    station.jingles[0].filename = "jingles/b2.mp3"
    station.save()
    programmer.set_radio(station)
    run_until(programmer, clock, T0 + HOUR)
    assert on_air(player).startswith("SSSabSS" + "Sb2SSSb2SSSb2")
    stored = StoredTimelines().load_all(dict)["r1"]["jingle_counters"]
    assert [counter["jingle_id"] for counter in stored] == ["b"]


def test_a_timeline_stored_with_one_count_for_all_jingles_is_taken_over(db):
    jingle_radio(jingle("a", every=3), jingle("b", every=4))
    first, _clock, _player = make_programmer(T0)
    load(first)
    # as the previous version stored it: three songs since the last jingle, for the radio
    RadioTimeline.objects(uuid="r1").update_one(unset__jingle_counters=True, songs_since_jingle=3)
    assert stored_timeline("r1").songs_since_jingle == 3
    assert "jingle_counters" not in RadioTimeline.objects(uuid="r1").as_pymongo().get()

    programmer, clock, player = make_programmer(T0 + 10)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    # the song playing ends the count of three: a is due; b, one song later
    assert on_air(player).startswith("aSbSSaSSbSaSS")
    stored = stored_timeline("r1")
    assert {counter.jingle_id for counter in stored.jingle_counters} == {"a", "b"}


def test_hourly_jingle_cuts_the_song_and_the_song_resumes_where_it_was_cut(db):
    start = instant("2026-06-01 10:50:00")
    radio(
        playlists=[playlist(1, default_songs(3, 1000.0))],
        jingles=[jingle("hour", duration=8.0, hourly=True)],
        timezone="Europe/Paris",
    )
    programmer, clock, player = make_programmer(start)
    load(programmer)
    run_until(programmer, clock, start + 1500)
    plays = timeline_of(player, "r1")
    first = plays[0][1]
    top = instant("2026-06-01 11:00:00")
    assert plays[1] == (top, PlayCommand("jingles/hour.mp3", top, 0.0, 0.0))
    assert plays[2] == (top + 8.0, PlayCommand(first.filename, top + 8.0, 600.0, 0.0))
    assert [sent for sent, _ in player.plays_for("r1")[1:3]] == [top - 5.0, top + 3.0]
    assert plays[3][0] == instant("2026-06-01 11:00:08") + 400.0
    assert len(song_starts(player, "r1")) == 2  # the resumed song is not a new start
    assert programmer.radio_view("r1")["kind"] == "song"


def test_hourly_jingle_follows_the_local_hour_and_does_not_reset_the_song_count(db):
    start = instant("2026-06-01 10:10:00")
    radio(
        playlists=[playlist(1, default_songs(30, 240.0))],
        jingles=[jingle("hour", duration=8.0, hourly=True), jingle("id", every=4)],
        timezone="Asia/Kolkata",
    )
    programmer, clock, player = make_programmer(start)
    load(programmer)
    run_until(programmer, clock, start + 4 * HOUR)
    hourly = [at for at, c in timeline_of(player, "r1") if c.filename == "jingles/hour.mp3"]
    assert hourly == [instant("2026-06-01 10:30:00") + n * HOUR for n in range(4)]
    kinds = [
        "H"
        if c.filename == "jingles/hour.mp3"
        else "J"
        if c.filename == "jingles/id.mp3"
        else "R"
        if c.offset
        else "S"
        for _, c in timeline_of(player, "r1")
    ]
    songs_between = "".join(k for k in kinds if k in "SJ").split("J")[:-1]
    assert songs_between and all(run == "SSSS" for run in songs_between)
