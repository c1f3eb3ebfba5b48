"""When each song, title and artist of a radio last started."""

from functools import lru_cache
from itertools import repeat
from operator import attrgetter

from .catalog_view import Song

NEVER = float("-inf")
ID, TITLE, ARTIST = attrgetter("id"), attrgetter("title"), attrgetter("artist")
LAST_PLAY = attrgetter("last_play_time")


@lru_cache(maxsize=1 << 16)
def _key(text: str | None) -> str | None:
    """Titles and artists compare without case or surrounding blanks (cached: every
    choice looks up every song's title and artist)."""
    text = (text or "").strip().casefold()
    return text or None


class PlayHistory:
    __slots__ = ("_songs", "_titles", "_artists")

    def __init__(
        self,
        songs: dict[int, float] | None = None,
        titles: dict[str, float] | None = None,
        artists: dict[str, float] | None = None,
    ):
        self._songs = {} if songs is None else songs
        self._titles = {} if titles is None else titles
        self._artists = {} if artists is None else artists

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
        return PlayHistory(dict(self._songs), dict(self._titles), dict(self._artists))

    def record(self, song_id: int, artist: str | None, title: str | None, at: float) -> None:
        _keep_latest(self._songs, song_id, at)
        _keep_latest(self._titles, _key(title), at)
        _keep_latest(self._artists, _key(artist), at)

    def record_song(self, song: Song, at: float) -> None:
        self.record(song.id, song.artist, song.title, at)

    def song_time(self, song: Song) -> float | None:
        """The song's last start: what we recorded, or else what the catalog says."""
        recorded = self._songs.get(song.id)
        if recorded is None or (song.last_play_time or 0) > recorded:
            return song.last_play_time
        return recorded

    def separation_starts(self, songs) -> list[tuple[float, float, float]]:
        """For each song: (its last start, its title's, its artist's), NEVER for none.

        Every choice asks it of every song of a playlist: the lookups go through
        map() and attrgetters, in C, rather than a Python loop over the songs.
        """
        count = len(songs)
        titles = map(self._titles.get, map(_key, map(TITLE, songs)), repeat(NEVER, count))
        artists = map(self._artists.get, map(_key, map(ARTIST, songs)), repeat(NEVER, count))
        return list(zip(_last_starts(self._songs, songs), titles, artists))


def _last_starts(recorded: dict[int, float], songs) -> list[float]:
    """Each song's last start (NEVER for none): song_time for many songs at once."""
    starts = list(map(recorded.get, map(ID, songs), repeat(NEVER, len(songs))))
    catalog = list(map(LAST_PLAY, songs))
    if catalog.count(None) < len(catalog):  # most catalogs give no last_play_time
        for index, catalog_at in enumerate(catalog):
            if catalog_at is not None and catalog_at > starts[index]:
                starts[index] = catalog_at
    return starts


def _keep_latest(times: dict, key, at: float) -> None:
    if key is not None and at > times.get(key, float("-inf")):
        times[key] = at
