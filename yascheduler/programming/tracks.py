"""What a started segment is, for the play history: its kind, song, artist, title, show.

The kinds are those of the history (README: History): a rotation song, a song
of a show's playlist, a between-songs jingle, the hourly jingle.
"""

from .catalog_view import Playlist, Radio, Song
from .interface import TrackStart
from .jingles import hourly_jingle
from .shows import on_air
from .state import RadioState
from .timeline import Segment

SONG, SHOW_SONG, JINGLE, HOURLY_JINGLE = "song", "show_song", "jingle", "hourly_jingle"
KINDS = (SONG, SHOW_SONG, JINGLE, HOURLY_JINGLE)


def track_start(state: RadioState, segment: Segment, lateness: float) -> TrackStart:
    """The history's record of `segment` starting on the radio, its play `lateness` late."""
    radio = state.radio
    if segment.kind == "jingle":
        return _jingle_start(state, segment, lateness)
    playlist, song = catalog_song(radio, segment)
    in_show = playlist is not None and playlist.show is not None
    return TrackStart(
        radio_uuid=radio.uuid,
        kind=SHOW_SONG if in_show else SONG,
        song_id=segment.song_id,
        file=segment.filename,
        artist=None if song is None else song.artist,
        title=None if song is None else song.title,
        show=playlist.name if in_show else None,
        starts_at=segment.starts_at,
        lateness=lateness,
    )


def _jingle_start(state: RadioState, segment: Segment, lateness: float) -> TrackStart:
    radio = state.radio
    hourly = hourly_jingle(radio)
    jingle = next((jingle for jingle in radio.jingles if jingle.id == segment.jingle_id), None)
    show = on_air(radio, state.zone, segment.starts_at)
    return TrackStart(
        radio_uuid=radio.uuid,
        kind=HOURLY_JINGLE if hourly is not None and hourly.id == segment.jingle_id else JINGLE,
        song_id=None,
        file=segment.filename,
        artist=None,
        title=None if jingle is None else jingle.name,
        show=None if show is None else show.playlist.name,
        starts_at=segment.starts_at,
        lateness=lateness,
    )


def catalog_song(radio: Radio, segment: Segment) -> tuple[Playlist | None, Song | None]:
    """The segment's playlist and song in the radio's catalog (None where it has gone)."""
    for playlist in radio.playlists:
        if playlist.id == segment.playlist_id:
            for song in playlist.songs:
                if song.id == segment.song_id:
                    return playlist, song
            return playlist, None
    return None, None
