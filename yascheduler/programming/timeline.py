"""A radio's timeline as the engine holds it in memory, and its stored form.

Plain slotted objects rather than MongoEngine documents: the engine keeps
one timeline and up to three segments per radio, for 100,000 radios, and a
document costs several times the memory and the time to build. The stored
form is the schema that store/timelines.py declares; reading it back checks
the types the engine relies on (a stored record that fails is skipped).
"""

from dataclasses import dataclass, field, fields, replace
from operator import attrgetter
from types import MappingProxyType

import msgspec


class Segment(msgspec.Struct, gc=False):
    """A stretch of one file: `filename` from `offset` seconds in, from `starts_at` on.

    A struct the collector does not track (it holds no container): 96 bytes, where a
    slotted dataclass costs 112, for the two or three segments each of 100,000 radios
    holds.
    """

    kind: str  # song or jingle
    filename: str
    duration: float  # of the whole file
    starts_at: float
    song_id: int | None = None
    jingle_id: str | None = None
    playlist_id: int | None = None
    offset: float = 0.0
    resumed: bool = False  # continues a song cut by an hourly jingle
    # its play was sent: the streamer plays it, though it may end while we are down
    # (stored before the play is published: a crash between the two counts it heard)
    sent: bool = False

    def changed(self, **changes) -> "Segment":
        return msgspec.structs.replace(self, **changes)

    def to_stored(self) -> dict:
        return {
            name: value
            for name, value in zip(SEGMENT_FIELDS, _segment_values(self))
            if value is not None
        }

    @classmethod
    def from_stored(cls, stored: dict | None) -> "Segment | None":
        """The stored segment; TypeError if a field the engine computes with is amiss."""
        if stored is None:
            return None
        segment = cls(**{name: stored[name] for name in SEGMENT_FIELDS if name in stored})
        if not (
            isinstance(segment.filename, str)
            and is_number(segment.duration)
            and is_number(segment.starts_at)
            and is_number(segment.offset)
        ):
            raise TypeError("a segment's filename is not a text, or one of its times no number")
        return segment


SEGMENT_FIELDS = Segment.__struct_fields__
_segment_values = attrgetter(*SEGMENT_FIELDS)  # every field's value in one call, in C


@dataclass(slots=True)
class JingleCounter:
    """A between_songs jingle's count of songs since it last played, and when that was."""

    songs: int = 0
    played_at: float | None = None  # None: never played (that we know of)

    def to_stored(self, jingle_id: str) -> dict:
        stored = {"jingle_id": jingle_id, "songs": self.songs}
        if self.played_at is not None:
            stored["played_at"] = self.played_at
        return stored


# a timeline's jingle counters and show positions while it has none (most radios have
# neither jingles nor ordered shows): one shared read-only mapping, where an empty dict
# each would cost 64 bytes, 100,000 radios over; Timeline.writable replaces it
NONE_YET = MappingProxyType({})


def counters_from_stored(stored: list[dict] | None) -> dict[str, JingleCounter]:
    if not stored:
        return NONE_YET
    return {
        entry["jingle_id"]: JingleCounter(entry.get("songs", 0), entry.get("played_at"))
        for entry in stored
    }


@dataclass(slots=True, eq=False)
class Timeline:
    current: Segment | None = None
    next: Segment | None = None
    interrupted: Segment | None = None  # song to resume after an hourly jingle
    # when `next` takes over: end of `current` minus crossfade, or an hourly cut
    boundary: float | None = None
    # jingle id -> its counter, for the radio's between_songs jingles (a list when stored:
    # jingle ids are any text, which a document's keys cannot all be)
    jingle_counters: dict[str, JingleCounter] = field(default_factory=lambda: NONE_YET)
    # str(playlist id) -> {"show_start": when the show last started, "next": next song index}
    show_positions: dict = field(default_factory=lambda: NONE_YET)
    broken: str | None = None  # why nothing can be played, while so

    def writable(self, name: str) -> dict:
        """Its jingle_counters or show_positions, to change in place (a dict of its own
        instead of NONE_YET)."""
        value = getattr(self, name)
        if value is NONE_YET:
            value = {}
            setattr(self, name, value)
        return value

    def copy(self) -> "Timeline":
        """A copy that shares nothing that changes with this one."""
        return Timeline(
            current=_copied(self.current),
            next=_copied(self.next),
            interrupted=_copied(self.interrupted),
            boundary=self.boundary,
            jingle_counters=_copied_dict(
                {jingle_id: replace(counter) for jingle_id, counter in self.jingle_counters.items()}
            ),
            show_positions=_copied_dict(
                {key: dict(value) for key, value in self.show_positions.items()}
            ),
            broken=self.broken,
        )

    def stored_value(self, name: str):
        value = getattr(self, name)
        if isinstance(value, Segment):
            return value.to_stored()
        if name == "jingle_counters":
            return [counter.to_stored(jingle_id) for jingle_id, counter in value.items()]
        if name == "show_positions":
            return dict(value)
        return value

    @classmethod
    def from_stored(cls, stored: dict) -> "Timeline":
        """The stored timeline; TypeError or ValueError if it cannot be read back."""
        boundary, broken = stored.get("boundary"), stored.get("broken")
        if boundary is not None and not is_number(boundary):
            raise TypeError(f"its boundary {boundary!r} is not a time")
        if broken is not None and not isinstance(broken, str):
            raise TypeError(f"why it is broken, {broken!r}, is not a text")
        return cls(
            current=Segment.from_stored(stored.get("current")),
            next=Segment.from_stored(stored.get("next")),
            interrupted=Segment.from_stored(stored.get("interrupted")),
            boundary=stored.get("boundary"),
            jingle_counters=counters_from_stored(stored.get("jingle_counters")),
            show_positions=_copied_dict(dict(stored.get("show_positions") or {})),
            broken=stored.get("broken"),
        )


TIMELINE_FIELDS = tuple(item.name for item in fields(Timeline))


def _copied_dict(value: dict) -> dict:
    return value or NONE_YET


def _copied(segment: Segment | None) -> Segment | None:
    return None if segment is None else msgspec.structs.replace(segment)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
