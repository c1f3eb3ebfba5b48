"""Weighted random choice of songs, with separation, and a short queue per playlist.

A song's weight is frequency² times a recency factor that falls linearly
from 1 for the song played longest ago to 0.15 for the most recent one.
Songs are left out, while anything else remains, when played within
REPEAT_WINDOW, when their title was played within the title separation,
and when their artist was played within the artist separation; these rules
are dropped one at a time from the last, and when even the first leaves
nothing, the least recently played song wins.
"""

import random
from collections import deque
from collections.abc import Callable

from .. import models
from .history import PlayHistory
from .interface import ProgrammingSettings

REPEAT_WINDOW = 3 * 3600.0
NEWEST_FACTOR = 0.15
QUEUE_DEPTH = 3
# queued songs count as played just now, in queue order
QUEUE_SPACING = 1e-3

NEVER = float("-inf")


def playable(songs) -> list[models.Song]:
    return [song for song in songs if song.enabled and song.duration > 0]


def recency_factors(songs: list[models.Song], history: PlayHistory) -> dict[int, float]:
    """Song id -> recency factor; songs last played at the same time share a rank."""
    times = {song.id: _time(history.song_time(song)) for song in songs}
    ordered = sorted(songs, key=lambda song: times[song.id])
    last = len(ordered) - 1
    factors, rank = {}, 0
    for index, song in enumerate(ordered):
        if index and times[song.id] != times[ordered[index - 1].id]:
            rank = index
        factors[song.id] = 1.0 - (1.0 - NEWEST_FACTOR) * rank / last if last else 1.0
    return factors


def pick_song(
    songs: list[models.Song],
    history: PlayHistory,
    now: float,
    settings: ProgrammingSettings,
    rng: random.Random,
) -> models.Song:
    """One of `songs` (playable, not empty), as the module docstring says."""
    factors = recency_factors(songs, history)
    # frequency 0: never chosen while another song can be
    eligible = [song for song in songs if song.frequency > 0] or songs
    for rules in _relaxations(history, now, settings):
        remaining = [song for song in eligible if not any(rule(song) for rule in rules)]
        if remaining:
            return _weighted(remaining, factors, history, rng)
    return _least_recent(eligible, history)


def _relaxations(history: PlayHistory, now: float, settings: ProgrammingSettings):
    def within(window: float, when: Callable[[models.Song], float | None]):
        return lambda song: now - _time(when(song)) < window

    rules = [
        within(REPEAT_WINDOW, history.song_time),
        within(settings.title_separation, history.title_time),
        within(settings.artist_separation, history.artist_time),
    ]
    return [rules[:count] for count in range(len(rules), 0, -1)]


def _weighted(songs, factors, history, rng) -> models.Song:
    weights = [song.frequency**2 * factors[song.id] for song in songs]
    total = sum(weights)
    if total <= 0:
        return _least_recent(songs, history)
    threshold = rng.random() * total
    for song, weight in zip(songs, weights):
        threshold -= weight
        if threshold < 0:
            return song
    return songs[-1]  # rounding left a sliver of the total


def _least_recent(songs, history) -> models.Song:
    return min(songs, key=lambda song: (_time(history.song_time(song)), song.id))


def _time(when: float | None) -> float:
    return NEVER if when is None else when


class Rotation:
    """A radio's songs chosen ahead, a few per playlist, so a choice at play time is a pop."""

    def __init__(self, settings: ProgrammingSettings, rng: random.Random):
        self._settings = settings
        self._rng = rng
        self._queues: dict[int, deque[models.Song]] = {}

    def next_song(self, playlist: models.Playlist, history: PlayHistory, now: float) -> models.Song | None:
        queue = self._queues.get(playlist.id)
        if not queue:
            self.refill(playlist, history, now)
            queue = self._queues.get(playlist.id)
        return queue.popleft() if queue else None

    def refill(self, playlist: models.Playlist, history: PlayHistory, now: float) -> None:
        """Top the playlist's queue up, counting the queued songs as played already."""
        songs = playable(playlist.songs)
        if not songs:
            self._queues.pop(playlist.id, None)
            return
        queue = self._queues.setdefault(playlist.id, deque())
        ahead = history.overlay()
        for position, song in enumerate(queue):
            ahead.record_song(song, now + (position + 1) * QUEUE_SPACING)
        while len(queue) < QUEUE_DEPTH:
            song = pick_song(songs, ahead, now, self._settings, self._rng)
            ahead.record_song(song, now + (len(queue) + 1) * QUEUE_SPACING)
            queue.append(song)

    def clear(self) -> None:
        """Forget what was chosen ahead: the catalog changed."""
        self._queues.clear()
