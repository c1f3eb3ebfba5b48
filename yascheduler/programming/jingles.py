"""Which jingles a radio has and when they are due.

Each between_songs jingle keeps its own counter (timeline.JingleCounter):
the songs since it last played. Songs count for every jingle; jingles do
not. At a song boundary, the jingles whose count reached their range are
due: the one played least recently goes first, the others follow at the
next boundaries, before the next song.
"""

from .catalog_view import Jingle, Radio
from .timeline import JingleCounter, Timeline
from .radio_memo import remember_last_radio

NEVER = float("-inf")


@remember_last_radio
def between_songs_ranges(radio: Radio) -> dict[str, int]:
    """Jingle id -> after how many songs it plays (its smallest range), in catalog order."""
    ranges = {}
    for jingle in radio.jingles:
        songs = [
            entry.range
            for entry in jingle.schedule
            if entry.type == "between_songs" and entry.range and entry.range > 0
        ]
        if songs and jingle.duration > 0:
            ranges[jingle.id] = min(songs)
    return ranges


def due_jingle(radio: Radio, counters: dict[str, JingleCounter]) -> Jingle | None:
    """Of the between_songs jingles due, the one played least recently (never played is
    oldest; ties in catalog order); None if none is due."""
    ranges = between_songs_ranges(radio)
    due = [
        (_played_at(counters.get(jingle.id)), index, jingle)
        for index, jingle in enumerate(radio.jingles)
        if jingle.id in ranges and _songs(counters.get(jingle.id)) >= ranges[jingle.id]
    ]
    return min(due, key=lambda item: item[:2])[2] if due else None


def jingle_played(counters: dict[str, JingleCounter], jingle_id: str, at: float) -> None:
    counters[jingle_id] = JingleCounter(songs=0, played_at=at)


def count_song(radio: Radio, timeline: Timeline) -> bool:
    """A song was chosen: every between_songs jingle counts it in the timeline's counters.
    The counters of jingles the radio no longer has go. True if anything changed."""
    ranges = between_songs_ranges(radio)
    if not ranges and not timeline.jingle_counters:
        return False
    counters = timeline.writable("jingle_counters")
    for jingle_id in counters.keys() - ranges.keys():
        del counters[jingle_id]
    for jingle_id in ranges:
        counters.setdefault(jingle_id, JingleCounter()).songs += 1
    return True


def counters_from_one_count(radio: Radio, songs: int) -> dict[str, JingleCounter]:
    """Counters taking over the one count a radio had before each jingle had its own."""
    return {jingle_id: JingleCounter(songs=songs) for jingle_id in between_songs_ranges(radio)}


@remember_last_radio
def hourly_jingle(radio: Radio) -> Jingle | None:
    """The jingle that interrupts songs at the top of every hour."""
    for jingle in radio.jingles:
        if jingle.duration > 0 and any(entry.type == "hourly" for entry in jingle.schedule):
            return jingle
    return None


def _songs(counter: JingleCounter | None) -> int:
    return 0 if counter is None else counter.songs


def _played_at(counter: JingleCounter | None) -> float:
    if counter is None or counter.played_at is None:
        return NEVER
    return counter.played_at
