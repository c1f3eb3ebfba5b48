"""What a radio plays now and what follows, as the dashboard and /api/radios show it.

A track is shown by what a listener knows it as: the artist and title of the
song (the name of a jingle), from the radio's catalog as the engine holds
it; the file name comes second.
"""

from .catalog_view import Radio
from .segments import ends_at, offset_at
from .shows import on_air
from .state import RadioState
from .timeline import Segment, Timeline


def playing(timeline: Timeline, now: float) -> tuple[Segment | None, Segment | None]:
    """(segment playing at `now`, segment chosen to follow it), either may be None."""
    current, following = timeline.current, timeline.next
    if following is not None and now >= following.starts_at:
        current, following = following, None
    if current is not None and now >= ends_at(current):
        current = None
    return current, following


def radio_view(state: RadioState, now: float) -> dict:
    """The radio at `now`: the track playing and where it is, the next one, the show on
    air, why it is broken if it is."""
    current, following = playing(state.timeline, now)
    show = on_air(state.radio, state.zone, now)
    view = {
        **track(state.radio, current),
        "offset": None,
        "duration": None,
        "started_at": None,
        "ends_at": None,
        "next": None,
        "show": None
        if show is None
        else {"playlist_id": show.playlist.id, "name": show.playlist.name},
        "broken": state.timeline.broken,
    }
    if current is not None:
        view.update(
            offset=offset_at(current, now),
            duration=current.duration,
            started_at=current.starts_at,
            ends_at=ends_at(current),
        )
    if following is not None:
        view["next"] = {**track(state.radio, following), "starts_at": following.starts_at}
    return view


def track(radio: Radio, segment: Segment | None) -> dict:
    """A segment as shown: file, kind, song id, artist and title (None where unknown)."""
    if segment is None:
        return {"filename": None, "kind": None, "song_id": None, "artist": None, "title": None}
    artist, title = names(radio, segment)
    return {
        "filename": segment.filename,
        "kind": segment.kind,
        "song_id": segment.song_id,
        "artist": artist,
        "title": title,
    }


def names(radio: Radio, segment: Segment) -> tuple[str | None, str | None]:
    """(artist, title) of the segment's song, (None, the jingle's name) for a jingle."""
    if segment.kind == "jingle":
        jingle = next((j for j in radio.jingles if j.id == segment.jingle_id), None)
        return None, None if jingle is None else jingle.name
    for playlist in radio.playlists:
        if playlist.id == segment.playlist_id:
            song = next((s for s in playlist.songs if s.id == segment.song_id), None)
            return (None, None) if song is None else (song.artist, song.title)
    return None, None
