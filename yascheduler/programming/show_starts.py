"""Shows that do not wait (CATALOG.md: show.start, show.max_wait).

A hard show cuts whatever plays at its start time; a soft show with a
`max_wait` cuts what still plays at start + max_wait, unless it has begun
by then. The engine asks two things: where a show cuts the segment that
starts now (transitions.py, for the segment's boundary, so that the next
play is prepared `prepare_seconds` before the cut), and whether a show on
air must take over at a boundary (choice.py: its first song comes then,
before a due jingle, instead of the hourly jingle of that hour, and the
song cut for it does not resume).

A show has begun once one of its songs started since its start time: the
play history says so, and a restart keeps it.
"""

from zoneinfo import ZoneInfo

from .catalog_view import Playlist, Radio
from .history import PlayHistory
from .shows import ShowOnAir, show_playlists, starts_between
from .timeline import Segment
from .radio_memo import remember_last_radio

HARD, MAX_WAIT = "hard", "max_wait"  # why a show cut what played before it


@remember_last_radio
def timed_shows(radio: Radio) -> list[Playlist]:
    """The radio's shows on air that will not wait: hard ones, and soft ones with a max_wait."""
    return [
        playlist
        for playlist in show_playlists(radio)
        if playlist.show.start == HARD or playlist.show.max_wait is not None
    ]


def show_cut(
    radio: Radio, zone: ZoneInfo, history: PlayHistory, segment: Segment, before: float
) -> float | None:
    """The first instant after the segment's start, and before `before`, where a show
    cuts it; None if none does."""
    cuts = []
    for playlist in timed_shows(radio):
        show = playlist.show
        if show.start == HARD:
            cuts.extend(starts_between(show, zone, segment.starts_at, before))
            continue
        wait = show.max_wait
        if wait >= show.duration:
            continue  # the show is over before its wait is
        cuts.extend(
            start + wait
            for start in starts_between(show, zone, segment.starts_at - wait, before - wait)
            if not begun(history, playlist, start, segment.starts_at)
        )
    return min(cuts, default=None)


def taking_over(show: ShowOnAir, history: PlayHistory, at: float) -> str | None:
    """HARD or MAX_WAIT when the show on air must begin at `at`, before anything else;
    None when it takes its turn (a soft show within its wait), or has begun."""
    timing = show.playlist.show
    if timing.start == HARD:
        why = HARD
    elif timing.max_wait is not None and at >= show.starts_at + timing.max_wait:
        why = MAX_WAIT
    else:
        return None
    return None if begun(history, show.playlist, show.starts_at, at) else why


def begun(history: PlayHistory, playlist: Playlist, start: float, until: float) -> bool:
    """True if a song of the show's playlist started between `start` and `until`."""
    for song in playlist.songs:
        played = history.song_time(song)
        if played is not None and start <= played <= until:
            return True
    return False
