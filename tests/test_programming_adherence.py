"""Schedule adherence as the engine measures it, driven by the injected clock: how late
shows start, the separation rules broken for want of a choice, repeats, dead air."""

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
START = instant("2026-06-01 09:50:00")  # a Monday


def adherence(programmer):
    return programmer.adherence().summary()


def test_a_soft_show_waits_for_the_song_playing_and_its_lateness_is_measured(db):
    radio(
        playlists=[
            playlist(1, default_songs(10, 1000.0)),
            playlist(2, [song(100, 300.0)], "News", show(["MON"], "10:00:00", 1800)),
        ]
    )
    programmer, clock, player = make_programmer(START)
    load(programmer)
    run_until(programmer, clock, START + HOUR)
    first_show_song = next(at for song_id, at in song_starts(player, "r1") if song_id == 100)
    lateness = adherence(programmer)["show_start_lateness"]
    assert first_show_song == START + 1000.0
    assert (lateness["count"], lateness["max_seconds"]) == (1, 400.0)


@pytest.mark.parametrize(
    "fields, rule",
    [
        ({"artist": "Same Artist"}, "artist"),
        ({"title": "Same Title"}, "title"),
    ],
)
def test_a_rule_broken_for_want_of_a_choice_is_counted_by_rule(db, fields, rule):
    # 40 songs of 100 s: none comes back within the hour, but each shares its artist or title
    radio(playlists=[playlist(1, default_songs(40, 100.0, **fields))])
    programmer, clock, player = make_programmer(START)
    load(programmer)
    run_until(programmer, clock, START + HOUR - 10)  # the next not chosen yet
    figures = adherence(programmer)
    songs = len(song_starts(player, "r1"))
    assert songs == 36
    others = {"repeat_window", "title", "artist"} - {rule}
    assert figures["separation_rules_broken"] == {rule: songs - 1, **dict.fromkeys(others, 0)}
    assert figures["repeats_within_3h"] == 0


def test_a_song_that_must_come_back_breaks_the_repeat_window_and_counts_as_a_repeat(db):
    radio(playlists=[playlist(1, [song(1, 600.0, title="a"), song(2, 600.0, title="b")])])
    programmer, clock, player = make_programmer(START)
    load(programmer)
    run_until(programmer, clock, START + HOUR - 10)  # the next not chosen yet
    figures = adherence(programmer)
    assert [song_id for song_id, _ in song_starts(player, "r1")] == [1, 2, 1, 2, 1, 2]
    assert figures["separation_rules_broken"]["repeat_window"] == 4
    assert figures["repeats_within_3h"] == 4


def test_an_ordered_show_looping_within_three_hours_counts_its_repeats(db):
    looping = show(["MON"], "10:00:00", 3000)
    radio(
        playlists=[
            playlist(1, default_songs(20, 500.0)),
            playlist(2, [song(101, 400.0, order=1), song(102, 400.0, order=2)], "S", looping),
        ]
    )
    programmer, clock, player = make_programmer(instant("2026-06-01 10:00:00"))
    load(programmer)
    run_until(programmer, clock, instant("2026-06-01 10:59:00"))
    shown = [song_id for song_id, _ in song_starts(player, "r1") if song_id > 100]
    assert shown == [101, 102] * 4
    assert adherence(programmer)["repeats_within_3h"] == 6
    assert adherence(programmer)["separation_rules_broken"]["repeat_window"] == 0


def test_seconds_of_dead_air_count_while_broken_and_stop_at_the_recovery(db):
    # nothing but a show at 12:00: broken from 09:50 until then
    only_show = show(["MON"], "12:00:00", 1800)
    radio(playlists=[playlist(2, default_songs(5, 300.0, first_id=100), "Noon", only_show)])
    programmer, clock, player = make_programmer(START)
    load(programmer)
    run_until(programmer, clock, START + HOUR)
    assert adherence(programmer)["broken_radio_seconds"] == HOUR
    noon = instant("2026-06-01 12:00:00")
    run_until(programmer, clock, noon + 600)
    assert song_starts(player, "r1")[0][1] == noon
    assert adherence(programmer)["broken_radio_seconds"] == noon - START
    run_until(programmer, clock, noon + 1800 + 600)  # the show is over: broken again
    assert song_starts(player, "r1")[-1][1] == noon + 1500  # its last song ends at 12:30
    assert adherence(programmer)["broken_radio_seconds"] == noon - START + 600
