"""The programming engine, driven by the injected clock: days of radio in seconds."""

import itertools

import gevent

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
from yascheduler.store.radios import Radio
from tests.harness import stored_timeline
from yascheduler.store.timelines import RadioTimeline
from yascheduler.programming import PlayCommand, ProgrammingSettings
from yascheduler.programming.engine import EVENTS_PER_TURN

HOUR = 3600.0
T0 = instant("2026-06-01 00:00:10")  # a Monday


def durations(station):
    files = {s.filename: s.duration for p in station.playlists for s in p.songs}
    files.update({j.filename: j.duration for j in station.jingles})
    return files


def test_plays_come_prepare_seconds_ahead_and_leave_no_gap(db):
    station = radio(playlists=[playlist(1, [song(i, 150.0 + 10 * i) for i in range(1, 8)])])
    settings = ProgrammingSettings(prepare_seconds=5.0, crossfade_seconds=2.0)
    programmer, clock, player = make_programmer(T0, settings)
    load(programmer)
    run_until(programmer, clock, T0 + 6 * HOUR)
    plays = player.plays_for("r1")
    files = durations(station)
    assert plays[0] == (T0, PlayCommand(plays[0][1].filename, T0, 0.0, 0.0))
    for (_, previous), (sent_at, command) in itertools.pairwise(plays):
        assert command.delay_at(sent_at) == 5.0
        assert command.offset_at(sent_at) == 0.0
        assert command.crossfade == 2.0
        assert command.starts_at == previous.starts_at + files[previous.filename] - 2.0
    assert programmer.lateness()["count"] == len(plays) - 1
    assert programmer.lateness()["max_ms"] == 0.0


def test_every_song_start_is_reported_and_the_last_of_each_stored(db):
    radio(playlists=[playlist(1, default_songs(10))], jingles=[jingle("j", every=2)])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    reported = song_starts(player, "r1")
    assert len(reported) == len(
        [c for _, c in timeline_of(player, "r1") if c.filename.startswith("songs/")]
    )
    last_starts = dict(reported)
    stored = {int(song_id): at for song_id, at in stored_timeline("r1").song_starts.items()}
    # the latest start is written with the next prepare: a restart replays it meanwhile
    latest_id, latest_at = reported[-1]
    if stored.get(latest_id) != latest_at:
        del last_starts[latest_id]
        stored.pop(latest_id, None)
    assert stored == last_starts


def test_no_song_repeats_within_three_hours_when_the_playlist_allows_it(db):
    radio(playlists=[playlist(1, default_songs(80, 210.0, artist=None))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 24 * HOUR)
    last = {}
    for song_id, at in song_starts(player, "r1"):
        assert song_id not in last or at - last[song_id] >= 3 * HOUR
        last[song_id] = at
    assert len(last) == 80


def test_artist_separation_on_the_air(db):
    songs = [song(i, 200.0, artist=f"artist{i % 10}", title=f"title{i}") for i in range(1, 201)]
    radio(playlists=[playlist(1, songs)])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 12 * HOUR)
    last_artist = {}
    for song_id, at in song_starts(player, "r1"):
        artist = song_id % 10
        assert artist not in last_artist or at - last_artist[artist] >= 30 * 60
        last_artist[artist] = at


def test_join_mid_track_gets_the_offset_reached(db):
    radio(playlists=[playlist(1, default_songs(5, 200.0))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    first = timeline_of(player, "r1")[0][1]
    run_until(programmer, clock, T0 + 50)
    [joined] = programmer.join("r1")
    assert joined == PlayCommand(first.filename, T0, 0.0, 0.0)
    assert (joined.delay_at(clock.now()), joined.offset_at(clock.now())) == (0.0, 50.0)


def test_join_in_the_last_prepare_seconds_gets_both_tracks(db):
    radio(playlists=[playlist(1, default_songs(5, 200.0))])
    programmer, clock, player = make_programmer(T0, ProgrammingSettings(crossfade_seconds=1.0))
    load(programmer)
    first = timeline_of(player, "r1")[0][1]
    run_until(programmer, clock, T0 + 196)
    following = timeline_of(player, "r1")[1][1]
    playing, next_one = programmer.join("r1")
    assert (playing, next_one) == (
        PlayCommand(first.filename, T0, 0.0, 0.0),
        PlayCommand(following.filename, T0 + 199, 0.0, 1.0),
    )
    now = clock.now()
    assert (playing.offset_at(now), next_one.delay_at(now)) == (196.0, 3.0)
    view = programmer.radio_view("r1")
    assert view["next"] == {
        "filename": following.filename,
        "kind": "song",
        "song_id": int(following.filename.removeprefix("songs/").removesuffix(".mp3")),
        "artist": None,  # the catalog names none
        "title": None,
        "starts_at": T0 + 199,
    }
    assert view["offset"] == 196.0 and view["ends_at"] == T0 + 200


def test_restart_resumes_the_timeline_and_catches_up(db):
    radio(
        playlists=[playlist(1, default_songs(30, 200.0))],
        jingles=[jingle("j", every=3)],
    )
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 1000)
    view = programmer.radio_view("r1")

    again, _clock_again, player_again = make_programmer(T0 + 1000)
    load(again)
    assert again.radio_view("r1") == view
    assert player_again.plays == []

    # down for an hour: what ended meanwhile is not played, what plays now is joined mid-way
    later, clock_later, player_later = make_programmer(T0 + 1000 + HOUR)
    load(later)
    later.run_due()
    playing = later.radio_view("r1")
    assert playing["started_at"] <= clock_later.now() < playing["ends_at"]
    [(sent_at, joined)] = player_later.plays_for("r1")
    assert (joined.delay_at(sent_at), joined.offset_at(sent_at)) == (0.0, playing["offset"])
    starts = [at for _, at in song_starts(player, "r1")]
    assert all(
        b - a in (200.0, 206.0) for a, b in itertools.pairwise(starts)
    )  # no gap, no restart from scratch
    # reported: the track joined, and at most the one playing at the stop again (its
    # start is stored with the next prepare: a restart replays it, heard as it was sent)
    reported = [at for _, at in song_starts(player_later, "r1")]
    assert reported in ([playing["started_at"]], [starts[-1], playing["started_at"]])


def test_a_track_sent_before_a_stop_and_played_while_down_is_reported_once(db):
    radio(playlists=[playlist(1, default_songs(30, 200.0))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 197)  # the second track's play went at T0 + 195
    [_, (sent_at, second)] = player.plays_for("r1")
    assert (sent_at, second.starts_at) == (T0 + 195, T0 + 200)
    assert [at for _, at in song_starts(player, "r1")] == [T0]

    # down until T0 + 1100: the streamer played the second track (T0+200..400) alone
    again, clock_again, player_again = make_programmer(T0 + 1100)
    load(again)
    again.run_due()
    # it is reported, with its real start; those chosen while catching up, never sent
    # (T0+400, 600, 800), are not; the one joined now (T0+1000) is
    assert [at for _, at in song_starts(player_again, "r1")] == [T0 + 200, T0 + 1000]
    [(_, joined)] = player_again.plays_for("r1")
    assert joined.starts_at == T0 + 1000


def test_a_restart_remembers_which_songs_were_played(db):
    radio(playlists=[playlist(1, default_songs(6, 200.0))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 900)  # five songs started
    played = {song_id for song_id, _ in song_starts(player, "r1")}
    assert len(played) == 5

    again, clock_again, player_again = make_programmer(T0 + 900, seed=99)
    load(again)
    run_until(again, clock_again, T0 + 1100)
    # the start at T0 + 800 is replayed; then the only song not played within
    # three hours, whatever the new random draws
    starts = song_starts(player_again, "r1")
    assert [at for _, at in starts] == [T0 + 800, T0 + 1000]
    assert starts[1][0] not in played


def test_radio_with_nothing_playable_is_broken_and_recovers_on_set_radio(db):
    station = radio(playlists=[playlist(1, [song(1, enabled=False)])])
    radio("r2", playlists=[playlist(2, default_songs(5, 200.0, first_id=10))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + HOUR)
    assert programmer.is_programmed("r1")
    assert programmer.radio_view("r1")["broken"]
    assert programmer.join("r1") == []
    assert player.plays_for("r1") == []
    assert player.plays_for("r2")  # the other radio is unaffected
    assert programmer.counts() == {"radios": 2, "broken_radios": 1, "events": 1}

    station.playlists[0].songs[0].enabled = True
    station.save()
    programmer.set_radio(station)
    assert programmer.radio_view("r1")["broken"] is None
    assert timeline_of(player, "r1") == [
        (T0 + HOUR, PlayCommand("songs/1.mp3", T0 + HOUR, 0.0, 0.0))
    ]


def test_remove_radio_stops_its_plays(db):
    radio(playlists=[playlist(1, default_songs(5, 200.0))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 500)
    sent = len(player.plays)
    programmer.remove_radio("r1")
    run_until(programmer, clock, T0 + HOUR)
    assert len(player.plays) == sent
    assert not programmer.is_programmed("r1")
    assert programmer.radio_view("r1") is None
    assert RadioTimeline.objects.count() == 0


def test_a_radio_let_go_during_a_long_run_of_due_events_goes_between_two_turns(db):
    # the first choices of 100,000 radios take minutes: a radio handed to another instance
    # meanwhile waited for all of them, and the share-out stood still
    for number in range(5 * EVENTS_PER_TURN):
        radio(f"r{number:03}", playlists=[playlist(1, default_songs(5, 200.0))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    programmer.run_due()
    clock.advance(200.0)  # every radio's next track due at once
    sent = len(player.plays)
    running = gevent.spawn(programmer.run_due)
    gevent.sleep(0)  # its first turn
    programmer.remove_radio("r099", forget_stored=False)
    assert not running.dead  # let go while the run goes on
    running.get(timeout=30)
    played = {uuid for _, uuid, _ in player.plays[sent:]}
    assert "r099" not in played and len(played) == 5 * EVENTS_PER_TURN - 1


def test_not_ready_radio_is_removed_and_new_radio_starts_now(db):
    programmer, _clock, player = make_programmer(T0)
    load(programmer)
    assert programmer.run_due() is None
    programmer.wakeup.clear()
    station = radio(playlists=[playlist(1, default_songs(5, 200.0))])
    programmer.set_radio(station)
    assert programmer.wakeup.is_set()  # the loop was sleeping with nothing to do
    assert timeline_of(player, "r1")[0][0] == T0
    assert programmer.run_due() == 195.0
    station.ready = False
    programmer.set_radio(station)
    assert not programmer.is_programmed("r1")
    assert programmer.run_due() is None


def test_changed_playlist_is_used_from_the_next_choice(db):
    station = radio(playlists=[playlist(1, default_songs(5, 200.0))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 100)
    station.playlists[0].songs = default_songs(5, 200.0, first_id=50)
    station.save()
    programmer.set_radio(station)
    run_until(programmer, clock, T0 + 1000)
    assert all(song_id >= 50 for song_id, _ in song_starts(player, "r1")[1:])


def test_late_sends_are_measured(db):
    radio(playlists=[playlist(1, default_songs(5, 200.0))])
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    clock.advance(195.25)
    programmer.run_due()
    assert programmer.lateness() == {
        "count": 1,
        "p50_ms": 250.0,
        "p99_ms": 250.0,
        "max_ms": 250.0,
    }
    sent_at, _, command = player.plays[-1]
    assert command.delay_at(sent_at) == 4.75


def test_two_days_of_twenty_radios(db):
    for index in range(20):
        radio(
            f"r{index}",
            playlists=[
                playlist(index * 10, default_songs(40, 200.0 + index, first_id=index * 1000)),
                playlist(
                    index * 10 + 1,
                    [song(index * 1000 + 500, 300.0)],
                    name="Show",
                    show=show(["MON", "TUE"], "12:00:00", HOUR),
                ),
            ],
            jingles=[jingle(f"j{index}", every=4), jingle(f"h{index}", hourly=True)],
            timezone="Europe/Paris",
        )
    programmer, clock, player = make_programmer(T0)
    load(programmer)
    run_until(programmer, clock, T0 + 2 * 24 * HOUR)
    assert programmer.counts() == {"radios": 20, "broken_radios": 0, "events": 20}
    assert len(player.plays) > 20 * 2 * 24 * HOUR / 260


def test_a_stored_radio_that_breaks_the_catalog_schema_is_logged_and_left_out(db, caplog):
    radio(playlists=[playlist(1, default_songs(3))])
    Radio._get_collection().insert_one(
        {"_id": "r2", "playlists": [{"id": 2, "name": "default", "songs": [{"id": 9}]}]}
    )
    programmer, clock, player = make_programmer(T0)

    load(programmer)
    run_until(programmer, clock, T0 + 600)

    assert (programmer.is_programmed("r1"), programmer.is_programmed("r2")) == (True, False)
    assert player.plays_for("r1")
    assert (
        "stored radio 'r2' skipped: cannot decode it "
        "(CatalogError: playlists[0].songs[0].filename: is required)" in caplog.messages
    )
