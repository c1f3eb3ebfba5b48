"""Shows that do not wait, driven by the injected clock: a hard start cuts the song
playing at the show's time, a soft show's max_wait cuts it at start + max_wait, and
hourly jingles keep working around them."""

from tests.programming_support import (
    default_songs,
    instant,
    jingle,
    load,
    make_programmer,
    playlist,
    radio,
    run_until,
    show,
    song,
    song_starts,
    timeline_of,
)
from yascheduler.programming import PlayCommand, ProgrammingSettings

T = "2026-06-01"  # a Monday
SHOW_AT = instant(f"{T} 10:00:00", "Europe/Paris")
SETTINGS = ProgrammingSettings(prepare_seconds=5.0, crossfade_seconds=2.0)


def show_radio(start="hard", max_wait=None, at="10:00:00", jingles=(), song_seconds=1000.0):
    """Default songs of `song_seconds`; a two-hour show of three ordered 2000 s songs."""
    evening = show(["MON"], at, 7200, start=start, max_wait=max_wait)
    radio(
        playlists=[
            playlist(1, default_songs(10, song_seconds)),
            playlist(2, [song(100 + n, 2000.0, order=n) for n in (1, 2, 3)], "News", evening),
        ],
        jingles=jingles,
        timezone="Europe/Paris",
    )


def played(start, until, settings=SETTINGS):
    programmer, clock, player = make_programmer(start, settings)
    load(programmer)
    run_until(programmer, clock, until)
    return programmer, player


def first_show_play(player):
    """(sent at, start instant, command) of the first play of a show song."""
    return next(
        (sent_at, command.starts_at, command)
        for sent_at, command in player.plays_for("r1")
        if command.filename.startswith("songs/10")
    )


def test_a_hard_show_cuts_the_song_at_its_time_and_the_song_does_not_resume(db):
    show_radio("hard")
    # the song starting at 09:50 would end at 10:06:40
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    programmer, player = played(start, SHOW_AT + 3600)
    sent_at, starts_at, command = first_show_play(player)
    assert (sent_at, starts_at) == (SHOW_AT - 5.0, SHOW_AT)
    assert command == PlayCommand("songs/101.mp3", SHOW_AT, 0.0, 2.0)  # crossfaded
    cut = timeline_of(player, "r1")[0][1].filename
    assert [c for _, c in timeline_of(player, "r1") if c.filename == cut and c.offset] == []
    assert (101, SHOW_AT) in song_starts(player, "r1")
    assert programmer.adherence().summary()["show_start_lateness"]["max_seconds"] == 0.0


def test_a_due_jingle_waits_for_the_hard_shows_first_song(db):
    show_radio("hard", jingles=[jingle("id", every=1)], song_seconds=610.0)
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    programmer, player = played(start, SHOW_AT + 2100)
    files = [(at, c.filename) for at, c in timeline_of(player, "r1") if at >= SHOW_AT - 1000]
    # the song from 09:50 would end at 10:00:10: it is cut at 10:00, and the jingle due waits
    assert (SHOW_AT, "songs/101.mp3") in files
    after = [name for at, name in files if at > SHOW_AT]
    assert after[:2] == ["jingles/id.mp3", "songs/102.mp3"]


def test_a_hard_cut_survives_a_restart_between_the_prepare_and_the_show(db):
    show_radio("hard")
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    programmer, clock, player = make_programmer(start, SETTINGS)
    load(programmer)
    run_until(programmer, clock, SHOW_AT - 3.0)
    restarted, clock, player = make_programmer(SHOW_AT - 2.0, SETTINGS)
    load(restarted)
    run_until(restarted, clock, SHOW_AT + 10)
    assert restarted.radio_view("r1")["song_id"] == 101
    assert (101, SHOW_AT) in song_starts(player, "r1")


def test_a_soft_show_with_max_wait_cuts_the_song_at_start_plus_max_wait(db):
    show_radio("soft", max_wait=120)
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    programmer, player = played(start, SHOW_AT + 3600)
    sent_at, starts_at, command = first_show_play(player)
    assert (sent_at, starts_at) == (SHOW_AT + 115.0, SHOW_AT + 120.0)
    assert command.crossfade == 2.0 and command.offset == 0.0
    lateness = programmer.adherence().summary()["show_start_lateness"]
    assert (lateness["count"], lateness["max_seconds"]) == (1, 120.0)


def test_a_soft_show_whose_song_ends_within_max_wait_starts_after_it(db):
    show_radio("soft", max_wait=600)
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    _, player = played(start, SHOW_AT + 3600)
    _, starts_at, _ = first_show_play(player)
    assert starts_at == start + 1000.0 - 2.0  # the song's end, less the crossfade


def test_a_hard_show_at_the_top_of_the_hour_takes_the_hourly_jingles_place(db):
    show_radio("hard", jingles=[jingle("hour", duration=8.0, hourly=True)])
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    _, player = played(start, SHOW_AT + 2 * 3600 + 60)
    plays = timeline_of(player, "r1")
    hourly = [at for at, c in plays if c.filename == "jingles/hour.mp3"]
    assert hourly == [SHOW_AT + 3600, SHOW_AT + 7200]  # not at the show's start
    assert (SHOW_AT, "songs/101.mp3") in [(at, c.filename) for at, c in plays]
    # within the show, the hourly jingle cuts a show song, which resumes
    # (the jingle's 8 s less the crossfade; the song was cut 1602 s in)
    resumed = [c for at, c in plays if at == SHOW_AT + 3600 + 6.0]
    assert resumed == [PlayCommand("songs/102.mp3", SHOW_AT + 3600 + 6.0, 1602.0, 2.0)]


def test_a_soft_show_with_max_wait_at_the_hour_waits_for_the_jingle_and_cuts_the_rest(db):
    show_radio("soft", max_wait=120, jingles=[jingle("hour", duration=8.0, hourly=True)])
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    _, player = played(start, SHOW_AT + 600)
    plays = [(at, c.filename, c.offset) for at, c in timeline_of(player, "r1")]
    first = plays[0][1]
    assert plays[1:4] == [
        (SHOW_AT, "jingles/hour.mp3", 0.0),
        (SHOW_AT + 6.0, first, 600.0),  # the song resumes after the hourly jingle
        (SHOW_AT + 120.0, "songs/101.mp3", 0.0),  # and is cut at the max wait
    ]


def test_a_hard_show_imported_while_a_song_plays_cuts_it_at_its_time(db):
    station = radio(playlists=[playlist(1, default_songs(10, 1000.0))], timezone="Europe/Paris")
    start = instant(f"{T} 09:50:00", "Europe/Paris")
    programmer, clock, player = make_programmer(start, SETTINGS)
    load(programmer)
    run_until(programmer, clock, start + 60)
    news = show(["MON"], "10:00:00", 1800, start="hard")
    station.playlists.append(playlist(2, [song(101, 300.0, order=1)], "News", news))
    station.save()
    programmer.set_radio(station)
    run_until(programmer, clock, SHOW_AT + 60)
    assert first_show_play(player)[:2] == (SHOW_AT - 5.0, SHOW_AT)
