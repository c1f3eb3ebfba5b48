"""A radio's stored timeline: what the engine writes of its state, and reads back at
start-up (the store applies it: interface.TimelineStore).

Each processed event writes one `$set`-like dict of the fields it changed;
a radio that had no timeline gets a whole one. A song start writes the radio's
song starts whole (its history's, which the store stores as one text at once):
one value of the stored timeline rather than one entry of a sub-document of
hundreds, which costs a store such as nx-27017 each of them on every update.
"""

from dataclasses import dataclass

from .catalog_view import Radio
from .jingles import counters_from_one_count
from .state import EVENT, RadioState
from .timeline import TIMELINE_FIELDS, Timeline, is_number


Event = tuple[float, str] | None  # the radio's pending event, (at, kind), if any


@dataclass(slots=True)
class StoredTimeline:
    """A radio's timeline as read back: what the engine resumes from."""

    timeline: Timeline
    song_starts: dict[int, float]  # song id -> when it last started
    event: Event
    # the one count of songs since a jingle that versions before jingle counters kept;
    # None where the timeline has its counters
    songs_since_jingle: int | None = None

    def resumed_timeline(self, radio: Radio) -> Timeline:
        """The timeline, an older version's one count given to each of the radio's jingles."""
        if self.songs_since_jingle:
            # written in the new shape with the next choice
            self.timeline.jingle_counters = counters_from_one_count(radio, self.songs_since_jingle)
        return self.timeline


def timeline_from_stored(stored: dict) -> StoredTimeline:
    """A stored timeline decoded; ValueError or TypeError if it cannot be."""
    event_kind, event_at = stored.get("event_kind"), stored.get("event_at")
    if event_kind is not None and (not isinstance(event_kind, str) or not is_number(event_at)):
        raise TypeError(f"its event {event_kind!r} at {event_at!r} is not an event")
    song_starts = _song_starts(stored.get("song_starts") or {})
    legacy_count = None if "jingle_counters" in stored else stored.get("songs_since_jingle")
    return StoredTimeline(
        Timeline.from_stored(stored),
        song_starts,
        None if event_kind is None else (float(event_at), event_kind),
        legacy_count if isinstance(legacy_count, int) else None,
    )


def _song_starts(starts: dict) -> dict[int, float]:
    """Song id -> its start, from either stored form: a sub-document (text keys, each
    value checked here), or a packed text the store decoded and checked (int keys: a
    sub-document's are always texts)."""
    if type(next(iter(starts), "")) is int:
        return starts
    song_starts = {int(song_id): at for song_id, at in starts.items()}
    if not all(is_number(at) for at in song_starts.values()):
        raise TypeError("a song start is not a time")
    return song_starts


def changes(state: RadioState, event: Event) -> dict:
    """The stored fields that changed (the song starts whole, where one came); they count
    as saved now."""
    changed = {}
    for name in state.unsaved:
        if name == EVENT:
            changed["event_at"], changed["event_kind"] = event or (None, None)
        else:
            changed[name] = state.timeline.stored_value(name)
    if state.unsaved_song_starts:
        # the rotation's memory as the engine holds it: the store encodes it as it
        # queues the change, so a later start does not change what is queued
        changed["song_starts"] = state.history.song_starts()
    state.unsaved.clear()
    state.unsaved_song_starts = ()
    return changed


def whole(state: RadioState, event: Event) -> dict:
    """Every stored field of a radio that had no timeline; it counts as saved now."""
    state.unsaved.update(TIMELINE_FIELDS)
    state.unsaved.add(EVENT)
    return {**changes(state, event), "song_starts": state.history.song_starts()}
