"""The weighted draw and the skipped separation walk choose exactly as the plain loops do."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.programming_support import song
from yascheduler.programming import ProgrammingSettings
from yascheduler.programming.history import PlayHistory
from yascheduler.programming.rotation import _drawn, pick_song, weighing

NOW = 1_800_000_000.0
HOUR = 3600.0
weights = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40)


def drawn_by_subtraction(weights: list[float], threshold: float) -> int:
    """The draw as the engine first wrote it: the threshold less each weight in turn."""
    for position, weight in enumerate(weights):
        threshold -= weight
        if threshold < 0:
            return position
    return len(weights) - 1


@settings(max_examples=500, deadline=None)
@given(weights, st.floats(min_value=0.0, max_value=1.0))
def test_the_draw_is_the_subtraction_loop_to_the_last_rounding(weights, fraction):
    threshold = fraction * sum(weights)
    assert _drawn(weights, threshold) == drawn_by_subtraction(weights, threshold)


def test_a_draw_at_a_boundary_takes_the_next_song():
    assert _drawn([0.25, 0.25, 0.5], 0.25) == 1  # 0.25 - 0.25 is not below 0
    assert _drawn([0.25, 0.25, 0.5], 1.0) == 2  # the whole total: the last


def test_an_old_history_still_weighs_by_recency_without_the_walk():
    # every song played more than three hours ago: all keep every rule, and the one
    # played longest ago is the likeliest (factor 1 against 0.15 for the newest)
    songs = [song(1), song(2)]
    history = PlayHistory()
    history.record_song(songs[0], NOW - 10 * HOUR)
    history.record_song(songs[1], NOW - 4 * HOUR)
    rng = random.Random(5)
    picks = [
        pick_song(weighing(songs), history, NOW, ProgrammingSettings(), rng).id for _ in range(2000)
    ]
    assert 0.80 < picks.count(1) / len(picks) < 0.93  # 1 / 1.15 = 0.87


def test_a_small_playlist_all_played_within_the_window_plays_the_least_recent():
    songs = [song(1), song(2), song(3)]
    history = PlayHistory()
    for track, minutes_ago in zip(songs, (5, 15, 10)):
        history.record_song(track, NOW - minutes_ago * 60)
    rng = random.Random(5)
    assert pick_song(weighing(songs), history, NOW, ProgrammingSettings(), rng).id == 2
