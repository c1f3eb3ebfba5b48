"""When each song, title and artist of a radio last started."""

import sys
from itertools import repeat
from operator import attrgetter

from .catalog_view import Song

NEVER = float("-inf")
_song_id = attrgetter("id")


def separation_key(text: str | None) -> str | None:
    """Titles and artists compare without case or surrounding blanks.

    The key is the title itself when it is already folded, or else one
    interned copy: 100,000 radios' histories and weighings hold the keys,
    and a copy each would cost more than the catalog's strings.
    """
    if not text:
        return None
    key = text.strip().casefold()
    if key == text:
        return text
    return sys.intern(key) if key else None


class PlayHistory:
    __slots__ = ("_songs", "_titles", "_artists", "latest")

    def __init__(
        self,
        songs: dict[int, float] | None = None,
        titles: dict[str, float] | None = None,
        artists: dict[str, float] | None = None,
        latest: float = NEVER,
    ):
        self._songs = {} if songs is None else songs
        self._titles = {} if titles is None else titles
        self._artists = {} if artists is None else artists
        # the latest start recorded, of anything: a choice long after it needs no
        # separation walk (rotation.pick_index)
        self.latest = latest

    @classmethod
    def restored(cls, radio, song_starts: dict[int, float]) -> "PlayHistory":
        """The history of a radio from its stored song starts; titles and artists
        are those the catalog gives the songs now."""
        history = cls()
        songs = {song.id: song for playlist in radio.playlists for song in playlist.songs}
        for song_id, at in song_starts.items():
            song = songs.get(song_id)
            if song is None:
                history.record(song_id, None, None, at)
            else:
                history.record_song(song, at)
        return history

    def overlay(self) -> "PlayHistory":
        """A copy to record hypothetical plays in, leaving this history as it is.

        Plain copies: they cost one pass over the radio's songs, where a
        ChainMap would cost more on every one of the many lookups a choice makes.
        """
        return PlayHistory(dict(self._songs), dict(self._titles), dict(self._artists), self.latest)

    def song_starts(self) -> dict[int, float]:
        """Song id -> its latest start recorded (the dict itself: not to be changed)."""
        return self._songs

    def record(self, song_id: int, artist: str | None, title: str | None, at: float) -> None:
        self.record_keys(song_id, separation_key(title), separation_key(artist), at)

    def record_keys(
        self, song_id: int, title_key: str | None, artist_key: str | None, at: float
    ) -> None:
        """record(), given the separation keys of the song's title and artist."""
        _keep_latest(self._songs, song_id, at)
        _keep_latest(self._titles, title_key, at)
        _keep_latest(self._artists, artist_key, at)
        if at > self.latest:
            self.latest = at

    def record_song(self, song: Song, at: float) -> None:
        self.record(song.id, song.artist, song.title, at)

    def song_time(self, song: Song) -> float | None:
        """The song's last start: what we recorded, or else what the catalog says."""
        recorded = self._songs.get(song.id)
        if recorded is None or (song.last_play_time or 0) > recorded:
            return song.last_play_time
        return recorded

    def separation_start(self, song: Song) -> tuple[float, float, float]:
        """(the song's last start, its title's, its artist's), NEVER for none."""
        at = self.song_time(song)
        return (
            NEVER if at is None else at,
            self._titles.get(separation_key(song.title), NEVER),
            self._artists.get(separation_key(song.artist), NEVER),
        )

    def separation_starts(self, weighing, times=None) -> list[tuple[float, float, float]]:
        """For each song a rotation.Weighing weighs: (its last start, its title's, its
        artist's), NEVER for none; song_time for all of them (`times` if given: what
        song_times gave), and the titles' and artists', in one pass (through map(), in
        C: every choice asks it of every song of a playlist)."""
        count = len(weighing.songs)
        titles = map(self._titles.get, weighing.titles, repeat(NEVER, count))
        artists = map(self._artists.get, weighing.artists, repeat(NEVER, count))
        return list(zip(self.song_times(weighing) if times is None else times, titles, artists))

    def song_times(self, weighing) -> list[float]:
        """song_time for each song a rotation.Weighing weighs, NEVER for none."""
        ids = map(_song_id, weighing.songs)
        starts = list(map(self._songs.get, ids, repeat(NEVER, len(weighing.songs))))
        if weighing.catalog_starts is not None:  # most catalogs give no last_play_time
            for index, catalog_at in enumerate(weighing.catalog_starts):
                if catalog_at is not None and catalog_at > starts[index]:
                    starts[index] = catalog_at
        return starts


def _keep_latest(times: dict, key, at: float) -> None:
    if key is not None and at > times.get(key, float("-inf")):
        times[key] = at
