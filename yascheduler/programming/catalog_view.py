"""The catalog as the engine holds it in memory: the schema's own frozen structs.

catalog/schema.py defines them once for the import, the store and the
engine: slotted, untracked by the garbage collector, their repeated
strings shared, and built straight from the stored dicts, since 100,000
radios live in memory.
"""

from yascheduler.catalog.forms import radio_from_stored
from yascheduler.catalog.schema import (
    WEEKDAYS,
    Jingle,
    JingleSchedule,
    Playlist,
    Radio,
    Show,
    Song,
)

__all__ = [
    "WEEKDAYS",
    "Jingle",
    "JingleSchedule",
    "Playlist",
    "Radio",
    "Show",
    "Song",
    "radio_from_document",
    "radio_from_stored",
]


def radio_from_document(radio) -> Radio:
    """The engine's view of `radio`: a view already, or else a document with the store's
    to_mongo() (the tests build MongoEngine documents)."""
    if isinstance(radio, Radio):
        return radio
    return radio_from_stored(radio.to_mongo().to_dict())
