"""Weighted random choice of songs, with separation, and a short queue per playlist.

A song's weight is frequency² times a recency factor that falls linearly
from 1 for the song played longest ago to 0.15 for the most recent one.
Songs are left out, while anything else remains, when played within
REPEAT_WINDOW, when their title was played within the title separation,
and when their artist was played within the artist separation; these rules
are dropped one at a time from the last. When even the first leaves
nothing, songs that carry an artist or title fall back to the separation
rule (the least recently played wins); songs without them to the weighted
choice among all, the recency factor keeping the newest ones unlikely.
"""

import random
from dataclasses import dataclass

from .catalog_view import Playlist, Song
from .history import PlayHistory
from .interface import ProgrammingSettings

REPEAT_WINDOW = 3 * 3600.0
# the separation rules, in the order they are kept (the last is dropped first)
RULES = ("repeat_window", "title", "artist")
NEWEST_FACTOR = 0.15
QUEUE_DEPTH = 3

NEVER = float("-inf")


def playable(songs) -> list[Song]:
    return [song for song in songs if song.enabled and song.duration > 0]


def recency_factors(songs: list[Song], times: dict[int, float]) -> dict[int, float]:
    """Song id -> recency factor, from song id -> last start; equal times share a rank."""
    ordered = sorted(songs, key=lambda song: times[song.id])
    last = len(ordered) - 1
    factors, rank = {}, 0
    for index, song in enumerate(ordered):
        if index and times[song.id] != times[ordered[index - 1].id]:
            rank = index
        factors[song.id] = 1.0 - (1.0 - NEWEST_FACTOR) * rank / last if last else 1.0
    return factors


def last_starts(songs: list[Song], history: PlayHistory) -> dict[int, float]:
    """Song id -> last start, NEVER for songs never played."""
    return {song.id: _time(history.song_time(song)) for song in songs}


def pick_song(
    songs: list[Song],
    history: PlayHistory,
    now: float,
    settings: ProgrammingSettings,
    rng: random.Random,
) -> Song:
    """One of `songs` (playable, not empty), as the module docstring says."""
    times = last_starts(songs, history)
    factors = recency_factors(songs, times)
    # frequency 0: never chosen while another song can be
    eligible = [song for song in songs if song.frequency > 0] or songs
    windows = _windows(settings)
    kept = {song.id: _rules_kept(song, times, history, now, windows) for song in eligible}
    for rules in range(len(windows), 0, -1):
        remaining = [song for song in eligible if kept[song.id] >= rules]
        if remaining:
            return _weighted(remaining, factors, times, rng)
    if any(song.artist or song.title for song in eligible):
        return _least_recent(eligible, times)
    return _weighted(eligible, factors, times, rng)


def dropped_rule(
    song: Song, history: PlayHistory, now: float, settings: ProgrammingSettings
) -> str | None:
    """The first rule (of RULES) that `song`, starting at `now`, breaks: the one pick_song
    had to drop to choose it; None if it keeps them all."""
    times = {song.id: _time(history.song_time(song))}
    kept = _rules_kept(song, times, history, now, _windows(settings))
    return RULES[kept] if kept < len(RULES) else None


def _windows(settings: ProgrammingSettings) -> tuple[float, float, float]:
    return (REPEAT_WINDOW, settings.title_separation, settings.artist_separation)


def _rules_kept(song, times, history, now, windows) -> int:
    """How many of the rules, taken in order, the song keeps before it breaks one."""
    ages = (
        now - times[song.id],
        now - _time(history.title_time(song)),
        now - _time(history.artist_time(song)),
    )
    for kept, (age, window) in enumerate(zip(ages, windows)):
        if age < window:
            return kept
    return len(windows)


def _weighted(songs, factors, times, rng) -> Song:
    weights = [song.frequency**2 * factors[song.id] for song in songs]
    total = sum(weights)
    if total <= 0:
        return _least_recent(songs, times)
    threshold = rng.random() * total
    for song, weight in zip(songs, weights):
        threshold -= weight
        if threshold < 0:
            return song
    return songs[-1]  # rounding left a sliver of the total


def _least_recent(songs, times) -> Song:
    return min(songs, key=lambda song: (times[song.id], song.id))


def _time(when: float | None) -> float:
    return NEVER if when is None else when


@dataclass(slots=True)
class _Queue:
    songs: list  # chosen ahead, in play order
    starts_at: float  # when the first of them would start


class Rotation:
    """A radio's songs chosen ahead, a few per playlist, so a choice at play time is a pop.

    Each queued song is chosen as if the ones before it were played back to
    back, at the times they are expected to start.
    """

    __slots__ = ("_settings", "_rng", "_queues")

    def __init__(self, settings: ProgrammingSettings, rng: random.Random):
        self._settings = settings
        self._rng = rng
        self._queues: dict[int, _Queue] = {}

    def copy(self, rng: random.Random) -> "Rotation":
        """The same songs chosen ahead, choosing from now on with `rng`."""
        copied = Rotation(self._settings, rng)
        copied._queues = {
            playlist_id: _Queue(list(queue.songs), queue.starts_at)
            for playlist_id, queue in self._queues.items()
        }
        return copied

    def next_song(self, playlist: Playlist, history: PlayHistory, at: float) -> Song | None:
        """The song to start at `at`."""
        queue = self._queues.get(playlist.id)
        if queue is None or not queue.songs:
            # only the one needed now: the caller tops the queue up off the critical path
            self.refill(playlist, history, at, depth=1)
            queue = self._queues.get(playlist.id)
            if queue is None:
                return None
        song = queue.songs.pop(0)
        queue.starts_at = at + self._length(song)
        return song

    def refill(
        self, playlist: Playlist, history: PlayHistory, at: float, depth: int = QUEUE_DEPTH
    ) -> None:
        """Top the queue up to `depth` songs; `at`: the earliest its first song could start."""
        songs = playable(playlist.songs)
        if not songs:
            self._queues.pop(playlist.id, None)
            return
        queue = self._queues.get(playlist.id)
        if queue is None:
            queue = self._queues[playlist.id] = _Queue([], at)
        ahead = history.overlay()
        starts_at = max(at, queue.starts_at)
        for song in queue.songs:
            ahead.record_song(song, starts_at)
            starts_at += self._length(song)
        while len(queue.songs) < depth:
            song = pick_song(songs, ahead, starts_at, self._settings, self._rng)
            ahead.record_song(song, starts_at)
            starts_at += self._length(song)
            queue.songs.append(song)

    def clear(self) -> None:
        """Forget what was chosen ahead: the catalog changed."""
        self._queues.clear()

    def _length(self, song: Song) -> float:
        return max(0.0, song.duration - self._settings.crossfade_seconds)
