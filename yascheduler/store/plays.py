"""The play history: one record per track started, kept `history_days`.

What a record costs the store: nx-27017 (the embedded store) spends its CPU per
document and per value, so the records are written packed (packed_plays.py),
not one document each as versions before did:

- *Turns*. Written behind (pending.Buffered) with the other changes, in the same
  writer turn: the records queued since the last turn go in one document per
  bucket of radios (packed_plays.BUCKETS, a hash of the uuid), inserted under a
  fresh ObjectId when the turn takes them (`take`). At 100,000 radios a turn
  holds hundreds of records: a few documents instead of hundreds.
- *Hours*. A radio's history must be read without reading every other radio's:
  MongoDB would index the uuids of a turn (a multikey index), nx-27017 cannot
  (its index on an array is of the whole array: an equality on one uuid then
  matches nothing, and a `$in` reads every document; tests/store_contract pins
  both). So once an hour, bucket by bucket, the turns are gathered into one
  document per radio and clock hour (`gather`, app/play_log.py's
  `history-gathering` part), indexed by `(radio_uuid, -started_at)` as records
  were, and the turns gathered are deleted once their hours are stored
  (`delete_gathered`). A kill -9 in between leaves both: a record is given once
  (play_order.py).

Reading a radio's page: its hours newest first (the index), merged with the
records of its bucket's turns not gathered yet (an hour's worth at most), each
record once. Records an older version stored, one a document, read as hours of
one record, and expire as they did.

Expiry: every document carries its newest start as a date (`started`): MongoDB's
TTL monitor expires only dates, every 60 s. nx-27017 (0.8.1) keeps the TTL
index's expireAfterSeconds but runs no TTL monitor: it deletes expired records
of a collection lazily, when that collection is read (find, count, aggregate),
by its own wall clock. A history nobody reads would grow without end, so the
service also deletes expired documents itself, once an hour (app/play_log.py),
on either server.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

import msgspec
from bson import ObjectId
from mongoengine import DateTimeField, Document, FloatField, IntField, StringField
from pymongo import ASCENDING, DESCENDING

from . import packed_plays as packing
from .packed_plays import BUCKET, SPAN, TTL_FIELD, as_date, bucket_of, record_of
from .pending import Backlog, Buffered
from .play_order import newest_first, oldest_first
from .records import READ_BATCH, storing

log = logging.getLogger("yascheduler.store")

DAY = 86400.0


class Play(Document):
    """A record as versions before packing stored it, and the fields an hour of records
    shares with it (packed_plays.py: the forms, all in this collection)."""

    radio_uuid = StringField()
    kind = StringField()  # song, show_song, jingle, hourly_jingle
    song_id = IntField()
    file = StringField()
    artist = StringField()
    title = StringField()  # a jingle's name
    show = StringField()
    started_at = FloatField()  # epoch seconds, as planned (an hour's: its newest)
    started = DateTimeField()  # the same, as a date: the TTL index's
    lateness_ms = FloatField(default=0.0)  # how late its play was sent
    listeners = IntField(default=0)  # on the radio at its start
    bucket = IntField()  # a turn's (packed_plays.py)
    meta = {
        "collection": "plays",
        "indexes": [("radio_uuid", "-started_at"), BUCKET],
    }


@dataclass
class GatheredTurns:
    """Hours queued from a bucket's turns: the turns go once all of those are stored."""

    turns: list = field(default_factory=list)  # their _ids
    waiting: set = field(default_factory=set)  # the hours' _ids not yet stored


class StoredPlays(Buffered):
    what = "play history document %s"

    def __init__(self, backlog: Backlog | None = None):
        super().__init__(backlog)
        # bucket -> the turn document its records queued since the last turn go in:
        # (its _id, {radio uuid: records}), made a document when the writer takes it
        self._open: dict[int, tuple[ObjectId, dict[str, list[dict]]]] = {}
        self._gatherings: dict[int, GatheredTurns] = {}  # by bucket
        self._hours_left: dict = {}  # a gathering's hours not queued yet (queue_hours)

    def collection(self):
        return _collection()

    # --- written behind ----------------------------------------------------------------

    def add(self, track, listeners: int) -> None:
        """Store a programming.interface.TrackStart, with the listeners at its start."""
        radio, record = track.radio_uuid, record_of(track, listeners)
        bucket = bucket_of(radio)
        if (opened := self._open.get(bucket)) is not None:
            opened[1].setdefault(radio, []).append(record)
            self.backlog.noted()  # a change queued, for the writer and its barrier marks
            return
        key = ObjectId()
        self._open[bucket] = (key, {radio: [record]})
        self._insert(key, {})  # its fields when it is taken (without a writer: now)
        if bucket in self._open and key not in self._changes:  # dropped at the bound
            del self._open[bucket]

    def take(self) -> dict:
        """Every change waiting, the turns' documents made of the records queued."""
        for bucket, (key, by_radio) in self._open.items():
            if (change := self._changes.get(key)) is not None:
                change.fields = packing.turn_document(bucket, by_radio)
        self._open = {}
        return super().take()

    def written(self, changes: dict) -> None:
        for gathering in self._gatherings.values():
            gathering.waiting.difference_update(changes)

    # --- gathering turns into hours (app/play_log.py's part) ---------------------------

    def gather(self, bucket: int, at_once: int | None = None) -> int:
        """Queue the hours of the bucket's stored turns (written behind), `at_once` of
        them now if given, the others by queue_hours: how many turns they gather. One
        that cannot be decoded is logged and left."""
        with storing("reading the play history's turns"):
            stored = list(_collection().find({BUCKET: bucket}, batch_size=READ_BATCH))
        turns = {turn["_id"]: records for turn in stored if (records := _records(turn))}
        if not turns:
            return 0
        hours = packing.hours_of(turns)
        self._gatherings[bucket] = GatheredTurns(list(turns), set(hours))
        self._hours_left.update(hours)
        self.queue_hours(at_once)
        return len(turns)

    def hours_left(self) -> int:
        """How many hours gathered wait to be queued."""
        return len(self._hours_left)

    def queue_hours(self, at_once: int | None = None) -> int:
        """Queue `at_once` (None: all) of the hours gathered not queued yet: how many are
        left. Thousands at once (a bucket of 100,000 radios) held the writer's turns, and
        the plays waiting on them, for seconds."""
        count = len(self._hours_left) if at_once is None else at_once
        keys = list(islice(self._hours_left, count))
        self._replace_all({key: self._hours_left.pop(key) for key in keys})
        return len(self._hours_left)

    def delete_gathered(self) -> int:
        """Delete the turns whose hours are all stored: how many."""
        deleted = 0
        for bucket in [bucket for bucket, done in self._gatherings.items() if not done.waiting]:
            with storing("deleting the play history's turns gathered"):
                turns = {"_id": {"$in": self._gatherings[bucket].turns}}
                deleted += _collection().delete_many(turns).deleted_count
            del self._gatherings[bucket]
        return deleted

    # --- expiry ------------------------------------------------------------------------

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
        """Delete the documents whose newest record started before `instant`: how many."""
        with storing("deleting expired plays"):
            return _collection().delete_many({TTL_FIELD: {"$lt": as_date(instant)}}).deleted_count

    # --- read --------------------------------------------------------------------------

    def page(self, radio_uuid: str, since, until, skip: int, limit: int) -> list[dict]:
        """The radio's records started in [since, until) (None: unbounded), newest first."""
        with storing("reading radio %s's history", radio_uuid):
            hours = _hours(radio_uuid, since, until, DESCENDING)
            rows = newest_first(hours, _pending(radio_uuid, since, until), since, until)
            return list(islice(rows, skip, skip + limit))

    def between(self, radio_uuid: str, since, until) -> Iterator[dict]:
        """The radio's records started in [since, until), oldest first."""
        with storing("reading radio %s's history", radio_uuid):
            hours = _hours(radio_uuid, since, until, ASCENDING)
            yield from oldest_first(hours, _pending(radio_uuid, since, until), since, until)


def _hours(radio_uuid: str, since, until, order):
    """The radio's hours (and records of older versions) that may hold records started in
    [since, until), in the order of their newest start."""
    started = {}
    if since is not None:
        started["$gte"] = since
    if until is not None:
        started["$lt"] = until + SPAN
    query = {"radio_uuid": radio_uuid, **({"started_at": started} if started else {})}
    return _collection().find(query).sort("started_at", order)


def _pending(radio_uuid: str, since, until) -> list[dict]:
    """The radio's records in its bucket's turns not gathered yet."""
    query = {BUCKET: bucket_of(radio_uuid)}
    if since is not None:
        query["last"] = {"$gte": since}
    if until is not None:
        query["first"] = {"$lt": until}
    records = []
    for turn in _collection().find(query, batch_size=READ_BATCH):
        records += (_records(turn) or {}).get(radio_uuid, [])
    return records


def _records(turn: dict) -> dict[str, list[dict]] | None:
    """{radio uuid: records} of a stored turn; None (logged) if it cannot be decoded."""
    try:
        return packing.turn_records(turn)
    except (KeyError, TypeError, msgspec.DecodeError) as error:
        log.warning("play history: turn %s skipped, not decodable: %s", turn.get("_id"), error)
        return None


def _collection():
    return Play._get_collection()
