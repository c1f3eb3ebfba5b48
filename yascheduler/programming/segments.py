"""Arithmetic on timeline segments: where they end, where the next one starts, what to play."""

from zoneinfo import ZoneInfo

from .catalog_view import Jingle, Song
from .interface import PlayCommand
from .localtime import next_top_of_hour
from .timeline import Segment


def song_segment(song: Song, playlist_id: int, at: float) -> Segment:
    return Segment(
        kind="song",
        song_id=song.id,
        playlist_id=playlist_id,
        filename=song.filename,
        duration=song.duration,
        starts_at=at,
    )


def jingle_segment(jingle: Jingle, at: float) -> Segment:
    return Segment(
        kind="jingle",
        jingle_id=jingle.id,
        filename=jingle.filename,
        duration=jingle.duration,
        starts_at=at,
    )


def cut_at(segment: Segment, at: float) -> Segment:
    """What is left of `segment` when it is cut at `at`, to resume later."""
    return segment.changed(offset=offset_at(segment, at), starts_at=at, resumed=True, sent=False)


def resume(cut: Segment, at: float) -> Segment:
    return cut.changed(starts_at=at)


def ends_at(segment: Segment) -> float:
    return segment.starts_at + segment.duration - segment.offset


def offset_at(segment: Segment, now: float) -> float:
    """Seconds into the file at `now`."""
    return segment.offset + max(0.0, now - segment.starts_at)


def natural_boundary(segment: Segment, crossfade: float) -> float:
    """Where the next segment starts if nothing cuts this one: its end, minus the crossfade.

    A crossfade never eats more than half a segment, so time always moves on.
    """
    end = ends_at(segment)
    return end - min(crossfade, (end - segment.starts_at) / 2)


def boundary(segment: Segment, zone: ZoneInfo, hourly: bool, crossfade: float) -> float:
    """Where the next segment starts: its natural boundary, or the hour that cuts a song."""
    natural = natural_boundary(segment, crossfade)
    if hourly and segment.kind == "song":
        top = next_top_of_hour(zone, segment.starts_at)
        if top < natural:
            return top
    return natural


def play_command(segment: Segment, now: float, crossfade: float) -> PlayCommand | None:
    """The play that makes a streamer follow `segment` (its delay and offset are those of
    the moment it is sent); None once it has ended at `now`."""
    end = ends_at(segment)
    if now >= end:
        return None
    return PlayCommand(
        filename=segment.filename,
        starts_at=segment.starts_at,
        offset=segment.offset,
        crossfade=crossfade,
        ends_at=end,
    )
