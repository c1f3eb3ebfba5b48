"""Which jingles a radio has and when they are due."""

from .. import models


def between_songs_jingle(radio: models.Radio) -> tuple[models.Jingle, int] | None:
    """The jingle played after every N songs, with its N: the smallest N wins."""
    entries = [
        (entry.range, index, jingle)
        for index, jingle in enumerate(radio.jingles)
        if jingle.duration > 0
        for entry in jingle.schedule
        if entry.type == "between_songs" and entry.range and entry.range > 0
    ]
    if not entries:
        return None
    songs, _, jingle = min(entries, key=lambda entry: entry[:2])
    return jingle, songs


def hourly_jingle(radio: models.Radio) -> models.Jingle | None:
    """The jingle that interrupts songs at the top of every hour."""
    for jingle in radio.jingles:
        if jingle.duration > 0 and any(entry.type == "hourly" for entry in jingle.schedule):
            return jingle
    return None
