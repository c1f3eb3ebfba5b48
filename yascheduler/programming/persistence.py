"""The engine's writes and reads of its stored timelines (restarts resume from these).

One `$set` per processed event, of the fields it changed, straight to the
collection MongoEngine maps models.RadioTimeline to: MongoEngine's query
building would cost ten times the write itself on every event.
"""

import logging

from yascheduler.store import models
from yascheduler.support.errors import CatalogError
from .catalog_view import Radio, radio_from_stored
from .jingles import counters_from_one_count
from .state import RadioState
from .timeline import TIMELINE_FIELDS, Timeline

log = logging.getLogger("yascheduler.programming")

EVENT = "event"  # the pending event's two fields


def save(state: RadioState) -> None:
    """Write what changed in the radio's state since the last save, if anything."""
    if state.unsaved or state.unsaved_song_starts:
        _collection().update_one({"_id": state.uuid}, {"$set": _changes(state)}, upsert=True)


def _changes(state: RadioState) -> dict:
    """The stored fields that changed, as `$set` takes them; they count as saved now."""
    changes = {}
    for name in state.unsaved:
        if name == EVENT:
            changes["event_kind"] = state.event_kind
            changes["event_at"] = state.event_at if state.event_kind is not None else None
        else:
            changes[name] = state.timeline.stored_value(name)
    for song_id, at in state.unsaved_song_starts.items():
        changes[f"song_starts.{song_id}"] = at
    state.unsaved.clear()
    state.unsaved_song_starts.clear()
    return changes


def insert(states: list[RadioState]) -> None:
    """Write the timelines of radios that had none, in one batch."""
    documents = []
    for state in states:
        song_starts = {str(song_id): at for song_id, at in state.unsaved_song_starts.items()}
        state.unsaved_song_starts.clear()
        state.unsaved.update(TIMELINE_FIELDS)
        state.unsaved.add(EVENT)
        documents.append({"_id": state.uuid, **_changes(state), "song_starts": song_starts})
    if documents:
        _collection().insert_many(documents)


def delete(radio_uuid: str) -> None:
    _collection().delete_one({"_id": radio_uuid})


def stored_timelines() -> dict[str, dict]:
    """Radio uuid -> its stored timeline document, as the collection holds it."""
    return {stored["_id"]: stored for stored in _collection().find()}


def timeline_of(stored: dict | None, radio: Radio) -> Timeline:
    """The radio's timeline from its stored document (None: a new, empty one)."""
    if stored is None:
        return Timeline()
    timeline = Timeline.from_stored(stored)
    if "jingle_counters" not in stored and stored.get("songs_since_jingle"):
        # stored by the version that kept one count for all jingles: each takes it over
        # (written in the new shape with the next choice)
        timeline.jingle_counters = counters_from_one_count(radio, stored["songs_since_jingle"])
    return timeline


def song_starts_of(stored: dict | None) -> dict[int, float]:
    starts = (stored or {}).get("song_starts") or {}
    return {int(song_id): at for song_id, at in starts.items()}


def stored_ready_radios(imported: list[dict] = ()):
    """Every ready radio of the store, read without building documents.

    `imported`: radios as just written by a catalog import. When they are
    all the ready radios (a first start), the store is not read back;
    otherwise it is read once, in full (a `$in` of thousands of ids would be
    a scan per document in the in-memory store).
    """
    known = set()
    for stored in imported:
        known.add(stored["_id"])
        if stored.get("ready", True):
            yield radio_from_stored(stored)
    collection = models.Radio._get_collection()
    if collection.count_documents({}) == len(known):
        return
    ready = {"ready": {"$ne": False}}
    others = {ref["_id"] for ref in collection.find(ready, {"_id": 1})} - known
    if others:
        for stored in collection.find(ready):
            if stored["_id"] in others:
                try:
                    yield radio_from_stored(stored)
                except CatalogError as exc:  # written by hand, or by an older version
                    log.warning("radio %s not programmed: its stored entry %s", stored["_id"], exc)


def _collection():
    return models.RadioTimeline._get_collection()
