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
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, repeat
from operator import add, attrgetter, mul

from .catalog_view import Playlist, Song
from .history import NEVER, PlayHistory, separation_key
from .interface import ProgrammingSettings

REPEAT_WINDOW = 3 * 3600.0
# the separation rules, in the order they are kept (the last is dropped first)
RULES = ("repeat_window", "title", "artist")
NEWEST_FACTOR = 0.15
QUEUE_DEPTH = 3
_song_id = attrgetter("id")


def playable(songs) -> list[Song]:
    return [song for song in songs if song.enabled and song.duration > 0]


def has_playable(songs) -> bool:
    return any(song.enabled and song.duration > 0 for song in songs)


def recency_factors(times: list[float], indices) -> list[float]:
    """The recency factors of the songs at `indices`, from every song's last start
    (NEVER: never played); a song's rank is the count of songs played before it, so
    equal times share one. Each factor is looked up by rank in a table (in C)."""
    ordered = sorted(times)
    if len(ordered) == 1:
        return [1.0] * len(indices)
    ranks = map(bisect_left, repeat(ordered), map(times.__getitem__, indices))
    return list(map(_factor_by_rank(len(ordered)).__getitem__, ranks))


@lru_cache(maxsize=1024)
def _factor_by_rank(count: int) -> tuple[float, ...]:
    """The recency factor of each rank among `count` songs (shared: playlists are of few sizes)."""
    last, fall = count - 1, 1.0 - NEWEST_FACTOR
    return tuple(1.0 - fall * rank / last for rank in range(count))


@dataclass(frozen=True, slots=True)
class Weighing:
    """Playable songs, and what every choice reads of them, read once: the keys of
    their titles and artists, their catalog last_play_time (None when no song has
    one), which may be chosen (frequency > 0, or all if none), and their frequency
    squared.

    Each radio's rotation keeps the weighing of the playlists it chooses from
    (100,000 radios over): what it holds is shared where it can be (the songs
    are the catalog's tuple, the keys its strings, all eligible one range
    and the squares one tuple for every playlist of that size and those
    frequencies).
    """

    songs: tuple[Song, ...]
    titles: tuple[str | None, ...]
    artists: tuple[str | None, ...]
    catalog_starts: tuple[float | None, ...] | None
    catalog_latest: float  # the latest of catalog_starts (NEVER: none)
    eligible: tuple[int, ...] | range
    squares: tuple[float, ...]
    labelled: bool  # a song that may be chosen has an artist or a title


def weighing(songs) -> Weighing:
    songs = tuple(songs)
    catalog = tuple(song.last_play_time for song in songs)
    eligible = tuple(i for i, song in enumerate(songs) if song.frequency > 0)
    if len(eligible) in (0, len(songs)):
        eligible = _every(len(songs))
    return Weighing(
        songs=songs,
        titles=tuple(separation_key(song.title) for song in songs),
        artists=tuple(separation_key(song.artist) for song in songs),
        catalog_starts=None if catalog.count(None) == len(catalog) else catalog,
        catalog_latest=max((at for at in catalog if at is not None), default=NEVER),
        eligible=eligible,
        squares=_shared(tuple(song.frequency**2 for song in songs)),
        labelled=any(songs[i].artist or songs[i].title for i in eligible),
    )


@lru_cache(maxsize=1024)
def _every(count: int) -> range:
    return range(count)


@lru_cache(maxsize=4096)
def _shared(squares: tuple[float, ...]) -> tuple[float, ...]:
    """One tuple for equal ones: most playlists' songs share one frequency, the default."""
    return squares


def playlist_weighing(playlist: Playlist) -> Weighing | None:
    """The weighing of the playlist's playable songs; None if it has none."""
    songs = playable(playlist.songs)
    if len(songs) == len(playlist.songs):
        songs = playlist.songs  # the catalog's tuple, rather than a copy of it
    return weighing(songs) if songs else None


def pick_song(
    songs: Weighing,
    history: PlayHistory,
    now: float,
    settings: ProgrammingSettings,
    rng: random.Random,
) -> Song:
    """One of the songs (playable, not empty), as the module docstring says."""
    return songs.songs[pick_index(songs, history, now, settings, rng)]


def pick_index(
    songs: Weighing,
    history: PlayHistory,
    now: float,
    settings: ProgrammingSettings,
    rng: random.Random,
) -> int:
    """The index in `songs` of pick_song's choice.

    Every choice weighs every song of the playlist: songs are taken by their
    index, their figures in lists, rather than looked up by id. The walk over
    the rules is skipped where its outcome is known: when nothing the radio
    played (nor the catalog's last plays) is within a separation window, every
    song keeps every rule (a restart after the stored timelines went stale, or
    a first start); when every song played within REPEAT_WINDOW, none keeps
    even the first (a playlist of few songs).
    """
    latest = max(history.latest, songs.catalog_latest)
    if now - latest >= max(REPEAT_WINDOW, settings.title_separation, settings.artist_separation):
        if latest == NEVER and songs.eligible == range(len(songs.songs)):
            return _weighted_evenly(songs, rng)  # never played: every recency factor is 1
        return _weighted(songs, songs.eligible, history.song_times(songs), rng)
    times = history.song_times(songs)
    if now - min(map(times.__getitem__, songs.eligible)) < REPEAT_WINDOW:
        most = 0
    else:
        kept = _rules_kept(history.separation_starts(songs, times), now, settings)
        # the most rules a song keeps, dropped from the last (RULES): the songs keeping
        # them all are weighed
        most = max(map(kept.__getitem__, songs.eligible))
    if most:
        return _weighted(songs, [i for i in songs.eligible if kept[i] >= most], times, rng)
    if songs.labelled:
        return _least_recent(songs.songs, songs.eligible, times)
    return _weighted(songs, songs.eligible, times, rng)


def dropped_rule(
    song: Song, history: PlayHistory, now: float, settings: ProgrammingSettings
) -> str | None:
    """The first rule (of RULES) that `song`, starting at `now`, breaks: the one pick_song
    had to drop to choose it; None if it keeps them all."""
    (kept,) = _rules_kept([history.separation_start(song)], now, settings)
    return RULES[kept] if kept < len(RULES) else None


def _rules_kept(starts: list[tuple], now: float, settings: ProgrammingSettings) -> list[int]:
    """For each song's (last start, title's, artist's): how many of the rules, taken in
    order, it keeps before it breaks one."""
    repeat, title, artist = REPEAT_WINDOW, settings.title_separation, settings.artist_separation
    return [
        0
        if now - song_at < repeat
        else 1
        if now - title_at < title
        else 2
        if now - artist_at < artist
        else 3
        for song_at, title_at, artist_at in starts
    ]


def _weighted(songs: Weighing, indices, times, rng) -> int:
    factors = recency_factors(times, indices)
    weights = list(map(mul, map(songs.squares.__getitem__, indices), factors))
    total = sum(weights)
    if total <= 0:
        return _least_recent(songs.songs, indices, times)
    return indices[_drawn(weights, rng.random() * total)]


def _weighted_evenly(songs: Weighing, rng) -> int:
    """_weighted for every song, none ever played: each weight its square."""
    total = sum(songs.squares)
    if total <= 0:
        return _least_recent(songs.songs, songs.eligible, [NEVER] * len(songs.songs))
    return _drawn(songs.squares, rng.random() * total)


def _drawn(weights, threshold: float) -> int:
    """The first position where `threshold`, less the weights one by one up to it, falls
    below 0; the last if rounding leaves a sliver of it.

    The running differences are computed negated, -threshold + w0 + w1 ...: IEEE
    rounding is symmetric, so they are exactly the differences negated, they rise
    (the weights are >= 0), and accumulate and bisect take them in C.
    """
    rising = list(accumulate(weights, add, initial=-threshold))
    return min(bisect_right(rising, 0.0), len(weights)) - 1


def _least_recent(songs, indices, times) -> int:
    """The index of the song played longest ago (the lowest id among equals)."""
    ids = map(_song_id, map(songs.__getitem__, indices))
    return min(zip(map(times.__getitem__, indices), ids, indices))[2]


@dataclass(slots=True)
class _Queue:
    playlist: Playlist  # the view last weighed
    weighing: Weighing  # its weighing, kept: a choice would otherwise weigh it again
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
        # one per playlist chosen from (a radio has few): a tuple costs a quarter of a dict
        self._queues: tuple[_Queue, ...] = ()

    def copy(self, rng: random.Random) -> "Rotation":
        """The same songs chosen ahead, choosing from now on with `rng`."""
        copied = Rotation(self._settings, rng)
        copied._queues = tuple(
            _Queue(queue.playlist, queue.weighing, list(queue.songs), queue.starts_at)
            for queue in self._queues
        )
        return copied

    def next_song(self, playlist: Playlist, history: PlayHistory, at: float) -> Song | None:
        """The song to start at `at`."""
        queue = self._queue(playlist.id)
        if queue is None or not queue.songs:
            # only the one needed now: the caller tops the queue up off the critical path
            self.refill(playlist, history, at, depth=1)
            queue = self._queue(playlist.id)
            if queue is None:
                return None
        song = queue.songs.pop(0)
        queue.starts_at = at + self._length(song)
        return song

    def refill(
        self, playlist: Playlist, history: PlayHistory, at: float, depth: int = QUEUE_DEPTH
    ) -> None:
        """Top the queue up to `depth` songs; `at`: the earliest its first song could start."""
        queue = self._weighed(playlist, at)
        if queue is None:
            return
        songs = queue.weighing
        ahead = history.overlay()
        starts_at = max(at, queue.starts_at)
        for song in queue.songs:
            ahead.record_song(song, starts_at)
            starts_at += self._length(song)
        while len(queue.songs) < depth:
            index = pick_index(songs, ahead, starts_at, self._settings, self._rng)
            song = songs.songs[index]
            ahead.record_keys(song.id, songs.titles[index], songs.artists[index], starts_at)
            starts_at += self._length(song)
            queue.songs.append(song)

    def _weighed(self, playlist: Playlist, at: float) -> _Queue | None:
        """The playlist's queue, weighing `playlist` as it is now; None (and no queue) if
        it has nothing playable."""
        queue = self._queue(playlist.id)
        if queue is not None and queue.playlist is playlist:
            return queue
        songs = playlist_weighing(playlist)
        if songs is None:
            self._queues = tuple(kept for kept in self._queues if kept is not queue)
            return None
        if queue is None:
            queue = _Queue(playlist, songs, [], at)
            self._queues += (queue,)
        queue.playlist, queue.weighing = playlist, songs
        return queue

    def _queue(self, playlist_id: int) -> _Queue | None:
        for queue in self._queues:
            if queue.playlist.id == playlist_id:
                return queue
        return None

    def clear(self) -> None:
        """Forget what was chosen ahead: the catalog changed."""
        self._queues = ()

    def _length(self, song: Song) -> float:
        return max(0.0, song.duration - self._settings.crossfade_seconds)
