"""When each song, title and artist of a radio last started."""

from collections import ChainMap
from collections.abc import MutableMapping

from .. import models


def _key(text: str | None) -> str | None:
    """Titles and artists compare without case or surrounding blanks."""
    text = (text or "").strip().casefold()
    return text or None


class PlayHistory:
    def __init__(
        self,
        songs: MutableMapping[int, float] | None = None,
        titles: MutableMapping[str, float] | None = None,
        artists: MutableMapping[str, float] | None = None,
    ):
        self._songs = {} if songs is None else songs
        self._titles = {} if titles is None else titles
        self._artists = {} if artists is None else artists

    @classmethod
    def restore_all(cls, radio_uuids) -> dict[str, "PlayHistory"]:
        """The histories recorded in the store for these radios, read in one pass."""
        wanted = set(radio_uuids)
        histories = {uuid: cls() for uuid in wanted}
        last_plays = models.SongPlay.objects.aggregate(
            [
                {"$sort": {"started_at": 1}},
                {
                    "$group": {
                        "_id": {"radio": "$radio_uuid", "song": "$song_id"},
                        "at": {"$last": "$started_at"},
                        "artist": {"$last": "$artist"},
                        "title": {"$last": "$title"},
                    }
                },
            ]
        )
        for play in last_plays:
            radio = play["_id"]["radio"]
            if radio in wanted:
                histories[radio].record(
                    play["_id"]["song"], play.get("artist"), play.get("title"), play["at"]
                )
        return histories

    def overlay(self) -> "PlayHistory":
        """A copy to record hypothetical plays in, leaving this history as it is."""
        return PlayHistory(
            ChainMap({}, self._songs),
            ChainMap({}, self._titles),
            ChainMap({}, self._artists),
        )

    def record(self, song_id: int, artist: str | None, title: str | None, at: float) -> None:
        _keep_latest(self._songs, song_id, at)
        _keep_latest(self._titles, _key(title), at)
        _keep_latest(self._artists, _key(artist), at)

    def record_song(self, song: models.Song, at: float) -> None:
        self.record(song.id, song.artist, song.title, at)

    def song_time(self, song: models.Song) -> float | None:
        """The song's last start: what we recorded, or else what the catalog says."""
        recorded = self._songs.get(song.id)
        if recorded is None or (song.last_play_time or 0) > recorded:
            return song.last_play_time
        return recorded

    def title_time(self, song: models.Song) -> float | None:
        key = _key(song.title)
        return None if key is None else self._titles.get(key)

    def artist_time(self, song: models.Song) -> float | None:
        key = _key(song.artist)
        return None if key is None else self._artists.get(key)


def _keep_latest(times: MutableMapping, key, at: float) -> None:
    if key is not None and at > times.get(key, float("-inf")):
        times[key] = at
