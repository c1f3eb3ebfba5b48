"""The play history: one record per track started, kept `history_days`.

Written behind (pending.Buffered), one insert per track under a fresh
ObjectId, in bulk with the other changes. Records carry their start twice:
`started_at` (epoch seconds: what is queried and sorted) and `started` (a
date: MongoDB's TTL monitor expires only dates, every 60 s).

nx-27017 (0.8.1) keeps the TTL index's expireAfterSeconds but runs no TTL
monitor: it deletes expired records of a collection lazily, when that
collection is read (find, count, aggregate), by its own wall clock. A
history nobody reads would grow without end, so the service also deletes
expired records itself, once an hour (app/play_log.py), on either server.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

from bson import ObjectId
from mongoengine import DateTimeField, Document, FloatField, IntField, StringField
from pymongo import DESCENDING

from .pending import Buffered
from .records import storing

DAY = 86400.0
TTL_FIELD = "started"


class Play(Document):
    """A track started on a radio."""

    radio_uuid = StringField(required=True)
    kind = StringField(required=True)  # song, show_song, jingle, hourly_jingle
    song_id = IntField()
    file = StringField(required=True)
    artist = StringField()
    title = StringField()  # a jingle's name
    show = StringField()
    started_at = FloatField(required=True)  # epoch seconds, as planned
    started = DateTimeField(required=True)  # the same, as a date: the TTL index's
    lateness_ms = FloatField(default=0.0)  # how late its play was sent
    listeners = IntField(default=0)  # on the radio at its start
    meta = {"collection": "plays", "indexes": [("radio_uuid", "-started_at")]}


class StoredPlays(Buffered):
    what = "play %s"

    def collection(self):
        return _collection()

    def add(self, track, listeners: int) -> None:
        """Store a programming.interface.TrackStart, with the listeners at its start."""
        self._insert(ObjectId(), stored(track, listeners))

    def keep_for(self, days: float) -> None:
        """The TTL index: records expire `days` after their start (an index of another
        expiry is made again)."""
        seconds = int(days * DAY)
        with storing("indexing the play history"):
            collection = _collection()
            for name, info in collection.index_information().items():
                if info["key"][0][0] == TTL_FIELD and info.get("expireAfterSeconds") != seconds:
                    collection.drop_index(name)
            collection.create_index(TTL_FIELD, expireAfterSeconds=seconds)

    def expiry(self) -> int | None:
        """The TTL index's expireAfterSeconds, None if there is none."""
        with storing("reading the play history's indexes"):
            for info in _collection().index_information().values():
                if info["key"][0][0] == TTL_FIELD and "expireAfterSeconds" in info:
                    return info["expireAfterSeconds"]
        return None

    def delete_before(self, instant: float) -> int:
        """Delete the records of tracks started before `instant`: how many."""
        with storing("deleting expired plays"):
            return _collection().delete_many({TTL_FIELD: {"$lt": as_date(instant)}}).deleted_count

    def page(self, radio_uuid: str, since, until, skip: int, limit: int) -> list[dict]:
        """The radio's records started in [since, until) (None: unbounded), newest first."""
        with storing("reading radio %s's history", radio_uuid):
            found = _collection().find(_between(radio_uuid, since, until))
            return list(found.sort("started_at", DESCENDING).skip(skip).limit(limit))

    def between(self, radio_uuid: str, since, until) -> Iterator[dict]:
        """The radio's records started in [since, until), oldest first."""
        with storing("reading radio %s's history", radio_uuid):
            yield from _collection().find(_between(radio_uuid, since, until)).sort("started_at")


def stored(track, listeners: int) -> dict:
    return {
        "radio_uuid": track.radio_uuid,
        "kind": track.kind,
        "song_id": track.song_id,
        "file": track.file,
        "artist": track.artist,
        "title": track.title,
        "show": track.show,
        "started_at": track.starts_at,
        TTL_FIELD: as_date(track.starts_at),
        "lateness_ms": round(track.lateness * 1000.0, 3),
        "listeners": listeners,
    }


def as_date(instant: float) -> datetime:
    return datetime.fromtimestamp(instant, UTC)


def _between(radio_uuid: str, since, until) -> dict:
    started = {}
    if since is not None:
        started["$gte"] = since
    if until is not None:
        started["$lt"] = until
    return {"radio_uuid": radio_uuid, **({"started_at": started} if started else {})}


def _collection():
    return Play._get_collection()
