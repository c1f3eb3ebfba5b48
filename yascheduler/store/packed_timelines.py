"""A radio's stored timeline: its segments, jingle counters, show positions and song
starts each stored as one JSON text rather than a sub-document.

Why: nx-27017 handles every value of a document in Python, on each read and on
each `$set` (it decodes, walks and re-encodes the whole document), and a
timeline's three segments hold most of its values. Packed, 10,000 timelines
cost it 40 % less to read and 10-25 % less to update (bench/README.md). The
fields stay apart, so that an event still writes only those it changed.

`song_starts` (a radio's rotation memory, one entry a song it played: 200 and
more) is written whole with each track's start, as one text, rather than
`$set` one entry at a time (`song_starts.<id>`) in a sub-document: nx-27017
then handles one value of it rather than 200 on every update of the
timeline, and a track's fenced `$set` costs it 40 % less (bench/timelines.py,
bench/README.md "The timeline write").

A field is read packed or not, so a timeline stored by a version before (every
field a sub-document), or half rewritten since, reads as it is; each field is
stored packed the next time the engine writes it.
"""

import msgspec

SONG_STARTS = "song_starts"
# the fields written whole at each change, and read back by the engine alone
PACKED = frozenset(
    {"current", "next", "interrupted", "jingle_counters", "show_positions", SONG_STARTS}
)

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode
# song id -> start, checked as it is decoded (in C: 200 entries checked one by one in
# Python cost a start-up ~0.1 ms a radio); a key or a value of another type raises
_decode_song_starts = msgspec.json.Decoder(dict[int, float]).decode


def packed(fields: dict) -> dict:
    """`fields` ({name or dotted path: value}) as stored: each of PACKED that holds a
    value as its JSON text (None stays None)."""
    return {
        name: _encode(value).decode() if name in PACKED and value is not None else value
        for name, value in fields.items()
    }


def unpacked(stored: dict) -> dict:
    """A stored timeline with its packed fields read back (in place); a field stored as a
    sub-document, by a version before, is left as it is. Packed song starts come back
    keyed by int song id (a sub-document's keys are texts); ValueError if one is not a
    song id and a time."""
    for name in PACKED.intersection(stored):
        value = stored[name]
        if isinstance(value, str):
            stored[name] = _decode_song_starts(value) if name == SONG_STARTS else _decode(value)
    return stored
