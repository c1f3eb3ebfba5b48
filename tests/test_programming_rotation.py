"""Weighted choice of songs, separation, and the short queue."""

import random
from collections import Counter

import pytest

from tests.programming_support import playlist, song
from yascheduler.programming import ProgrammingSettings
from yascheduler.programming.history import PlayHistory
from yascheduler.programming.rotation import (
    QUEUE_DEPTH,
    Rotation,
    pick_song,
    weighing,
    recency_factors,
)

NOW = 1_800_000_000.0
HOUR = 3600.0
SETTINGS = ProgrammingSettings()


def last_starts(songs, history):
    return [start[0] for start in history.separation_starts(weighing(songs))]


def played(history, track, hours_ago):
    history.record_song(track, NOW - hours_ago * HOUR)


def test_recency_factor_falls_linearly_from_longest_ago_to_most_recent():
    songs = [song(index) for index in range(1, 5)]
    history = PlayHistory()
    for track, hours_ago in zip(songs, (10, 8, 6, 4)):
        played(history, track, hours_ago)
    factors = recency_factors(last_starts(songs, history), range(len(songs)))
    assert [round(factor, 6) for factor in factors] == [
        1.0,
        round(1 - 0.85 / 3, 6),
        round(1 - 0.85 * 2 / 3, 6),
        0.15,
    ]


def test_never_played_songs_count_as_played_longest_ago():
    songs = [song(1), song(2), song(3)]
    history = PlayHistory()
    played(history, songs[0], 4)
    factors = recency_factors(last_starts(songs, history), range(len(songs)))
    assert [round(factor, 9) for factor in factors] == [0.15, 1.0, 1.0]


def test_catalog_last_play_time_counts_until_a_later_play_is_recorded():
    track = song(1, last_play_time=NOW - 100)
    history = PlayHistory()
    assert history.song_time(track) == NOW - 100
    history.record_song(track, NOW - 50)
    assert history.song_time(track) == NOW - 50


def test_choices_follow_frequency_squared_times_recency():
    # fixed history: weights 1.0²·1, 0.5²·(1 - 0.85/2), 1.0²·0.15
    songs = [song(1, frequency=1.0), song(2, frequency=0.5), song(3, frequency=1.0)]
    history = PlayHistory()
    for track, hours_ago in zip(songs, (30, 20, 10)):
        played(history, track, hours_ago)
    weights = {1: 1.0, 2: 0.25 * (1 - 0.425), 3: 0.15}
    total = sum(weights.values())
    rng = random.Random(1234)
    draws = 20000
    counts = Counter(
        pick_song(weighing(songs), history, NOW, SETTINGS, rng).id for _ in range(draws)
    )
    chi_square = sum(
        (counts[key] - draws * w / total) ** 2 / (draws * w / total) for key, w in weights.items()
    )
    assert chi_square < 13.8  # p = 0.001 with 2 degrees of freedom
    for key, weight in weights.items():
        assert abs(counts[key] / draws - weight / total) < 0.02


def test_frequency_zero_is_never_chosen_while_another_song_can_be():
    songs = [song(1, frequency=0.0), song(2, frequency=0.1)]
    rng = random.Random(5)
    assert {
        pick_song(weighing(songs), PlayHistory(), NOW, SETTINGS, rng).id for _ in range(200)
    } == {2}


def test_a_song_played_within_three_hours_is_left_out_while_others_remain():
    songs = [song(1), song(2), song(3)]
    history = PlayHistory()
    played(history, songs[0], 2.9)
    played(history, songs[1], 0.5)
    rng = random.Random(9)
    assert {pick_song(weighing(songs), history, NOW, SETTINGS, rng).id for _ in range(200)} == {3}


def test_when_every_titled_song_was_played_within_three_hours_the_least_recent_wins():
    songs = [song(i, artist=f"artist {i}", title=f"title {i}") for i in (1, 2, 3)]
    history = PlayHistory()
    for track, hours_ago in zip(songs, (1, 2.5, 0.2)):
        played(history, track, hours_ago)
    rng = random.Random(3)
    assert {pick_song(weighing(songs), history, NOW, SETTINGS, rng).id for _ in range(50)} == {2}


def test_when_every_untitled_song_was_played_within_three_hours_recency_weighs_the_choice():
    songs = [song(1), song(2), song(3)]
    history = PlayHistory()
    for track, hours_ago in zip(songs, (1, 2.5, 0.2)):
        played(history, track, hours_ago)
    rng = random.Random(3)
    counts = Counter(
        pick_song(weighing(songs), history, NOW, SETTINGS, rng).id for _ in range(3000)
    )
    # factors: song 2 (oldest) 1.0, song 1 0.575, song 3 (newest) 0.15
    assert counts[2] > counts[1] > counts[3] > 0
    assert counts[3] / 3000 == pytest.approx(0.15 / 1.725, abs=0.02)


def test_same_title_is_kept_three_hours_apart_and_same_artist_thirty_minutes():
    songs = [
        song(1, artist="A", title="Intro"),
        song(2, artist="B", title="intro "),  # same title, another recording
        song(3, artist="A", title="Outro"),
        song(4, artist="C", title="Middle"),
    ]
    history = PlayHistory()
    history.record_song(songs[0], NOW - 4 * HOUR)  # title "intro" and artist A long ago
    history.record(99, "a", "Something", NOW - 20 * 60)  # artist A 20 minutes ago
    history.record(98, "Z", "INTRO", NOW - 2 * HOUR)  # title "intro" 2 hours ago
    rng = random.Random(11)
    assert {pick_song(weighing(songs), history, NOW, SETTINGS, rng).id for _ in range(200)} == {4}


def test_artist_separation_gives_way_first_when_nothing_else_remains():
    songs = [song(1, artist="A", title="One"), song(2, artist="A", title="Two")]
    history = PlayHistory()
    history.record(99, "A", "Zero", NOW - 60)
    rng = random.Random(2)
    assert {pick_song(weighing(songs), history, NOW, SETTINGS, rng).id for _ in range(100)} == {
        1,
        2,
    }


def test_separation_windows_are_settings():
    songs = [song(1, artist="A", title="One"), song(2, artist="B", title="Two")]
    history = PlayHistory()
    history.record(99, "A", "Zero", NOW - 10 * 60)
    strict = ProgrammingSettings(artist_separation=5 * 60)
    rng = random.Random(2)
    assert {pick_song(weighing(songs), history, NOW, strict, rng).id for _ in range(200)} == {
        1,
        2,
    }
    assert {pick_song(weighing(songs), history, NOW, SETTINGS, rng).id for _ in range(200)} == {2}


def test_queue_counts_queued_songs_as_played():
    songs = playlist(1, [song(index) for index in range(1, QUEUE_DEPTH + 2)])
    rotation = Rotation(SETTINGS, random.Random(4))
    history = PlayHistory()
    chosen = []
    for _ in range(len(songs.songs)):
        track = rotation.next_song(songs, history, NOW)
        history.record_song(track, NOW)
        chosen.append(track.id)
    assert sorted(chosen) == [track.id for track in songs.songs]


def test_queue_is_cleared_when_the_catalog_changes():
    rotation = Rotation(SETTINGS, random.Random(4))
    before = playlist(1, [song(1), song(2)])
    rotation.refill(before, PlayHistory(), NOW)
    rotation.clear()
    after = playlist(1, [song(3)])
    assert rotation.next_song(after, PlayHistory(), NOW).id == 3


def test_a_playlist_with_nothing_playable_gives_no_song():
    rotation = Rotation(SETTINGS, random.Random(4))
    empty = playlist(1, [song(1, enabled=False), song(2, duration=0.0)])
    assert rotation.next_song(empty, PlayHistory(), NOW) is None


def test_a_changed_playlist_is_weighed_anew_even_with_songs_still_queued():
    # the rotation keeps each playlist's weighing: a new view of the playlist (same id)
    # must not be chosen from with the old one's songs
    rotation = Rotation(SETTINGS, random.Random(4))
    before = playlist(1, [song(1), song(2)])
    rotation.refill(before, PlayHistory(), NOW, depth=1)
    after = playlist(1, [song(3), song(4)])
    queued = rotation.next_song(after, PlayHistory(), NOW)
    later = [rotation.next_song(after, PlayHistory(), NOW).id for _ in range(10)]
    assert queued.id in {1, 2}  # chosen ahead from the playlist as it was
    assert set(later) <= {3, 4}
