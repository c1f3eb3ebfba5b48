"""The catalog's radios: written by the catalog import (catalog.ports.RadioStore), read
at start-up for the radios to program.

Each stored radio also keeps `playlist_ids`, the ids of its playlists, for the
import to find radios by playlist id: a `$in` on a path through an array of
sub-documents (`playlists.id`) matches nothing on nx-27017, where a `$in` on
a top-level array of scalars matches on every server. It is the
repository's own: written with each radio, taken out of what is read back.
The other fields are stored packed into one text (packed_radios.py: what it
saves nx-27017); the MongoEngine documents below are the radio's form inside it,
and that of a radio stored before, or saved by hand, which is read as it is.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import gevent
from mongoengine import (
    BooleanField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    FloatField,
    IntField,
    ListField,
    StringField,
)

from yascheduler.catalog.schema import JINGLE_SCHEDULE_TYPES, SHOW_STARTS, WEEKDAYS
from yascheduler.support.shards import shard_of

from .packed_radios import PLAYLIST_IDS, is_packed, packed, playlist_ids, repack, unpacked
from .packed_radios import whole_text
from .records import READ_BATCH, decoded, of_wanted, storing
from .sharded import SHARD, fill_shards, of_shards

T = TypeVar("T")
WRITE_BATCH = 2000  # radios an insert: about a second of nx-27017's time
# null or missing, on every server (nx-27017's `$exists: false` also matches null)
WITHOUT_PLAYLIST_IDS = {PLAYLIST_IDS: None}


class Song(EmbeddedDocument):
    id = IntField(required=True)
    filename = StringField(required=True)
    duration = FloatField(required=True)
    artist = StringField()
    title = StringField()
    frequency = FloatField(default=0.5)
    enabled = BooleanField(default=True)
    order = IntField()
    last_play_time = FloatField()


class Show(EmbeddedDocument):
    days = ListField(StringField(choices=WEEKDAYS))
    time = StringField(required=True)  # HH:MM:SS, wall-clock in the radio's zone
    duration = FloatField(required=True)
    random_play = BooleanField(default=False)
    enabled = BooleanField(default=True)
    start = StringField(default="soft", choices=SHOW_STARTS)
    max_wait = FloatField()  # seconds, only with a soft start


class Playlist(EmbeddedDocument):
    id = IntField(required=True)
    name = StringField(required=True)
    enabled = BooleanField(default=True)  # false: kept and shown, not programmed
    show = EmbeddedDocumentField(Show)
    songs = EmbeddedDocumentListField(Song)


class JingleSchedule(EmbeddedDocument):
    type = StringField(required=True, choices=JINGLE_SCHEDULE_TYPES)
    range = IntField()


class Jingle(EmbeddedDocument):
    id = StringField(required=True)
    name = StringField()
    filename = StringField(required=True)
    duration = FloatField(required=True)
    schedule = EmbeddedDocumentListField(JingleSchedule)


class Radio(Document):
    uuid = StringField(primary_key=True)
    name = StringField()
    ready = BooleanField(default=True)
    timezone = StringField()
    playlists = EmbeddedDocumentListField(Playlist)
    jingles = EmbeddedDocumentListField(Jingle)
    playlist_ids = ListField(IntField())  # of `playlists`, kept by StoredRadios.write
    shard = IntField()  # its uuid's (store/sharded.py), kept by StoredRadios.write
    # no index on `ready`: no query filters on it (start-up filters as it reads), and
    # each index costs every insert of an import (5 % of nx-27017's time, at 10,000)
    body = StringField()  # the radio packed (packed_radios.py); absent: stored unpacked
    meta = {"collection": "radios", "indexes": [PLAYLIST_IDS, SHARD]}

    def clean(self):
        """A radio saved through MongoEngine (by hand, by a test) keeps its playlist ids
        and its shard as StoredRadios.write does."""
        self.playlist_ids = [playlist.id for playlist in self.playlists]
        self.shard = None if self.uuid is None else shard_of(self.uuid)


class StoredRadios:
    def ready(
        self,
        decode: Callable[[dict], T],
        imported: Iterable[dict] = (),
        wanted: Callable[[str], bool] | None = None,
        shards: Iterable[int] | None = None,
        only_imported: bool = False,
        decode_text: Callable[[str], T] | None = None,
    ) -> Iterator[T]:
        """decode(radio) for every ready radio (those whose uuid is `wanted`, if given: the
        others are not decoded; only those of `shards` are read, if given), read without
        building documents; one that cannot be decoded is logged and skipped.
        `decode_text`, if given, decodes those stored packed from their JSON text
        (packed_radios.whole_text) rather than from their dict.

        `imported`: radios as just written by a catalog import. When they are
        all the stored radios (a first start; `only_imported`: into a store that held
        none, their inserts maybe still on their way), the store is not read back;
        otherwise it is read once, in full (a `$in` of thousands of ids would be
        a scan per document in the in-memory store).
        """
        records = self._ready_records(list(imported), of_shards(shards), only_imported)

        def decode_stored(stored: dict) -> T:
            text = None if decode_text is None else whole_text(stored)
            return decode(unpacked(stored)) if text is None else decode_text(text)

        return decoded(of_wanted(records, wanted), decode_stored, "radio")

    def _ready_records(self, imported: list[dict], query: dict, only: bool) -> Iterator[dict]:
        known = set()
        for stored in imported:
            known.add(stored["_id"])
            if stored.get("ready", True):
                yield stored
        if only:
            return
        with storing("reading the ready radios"):
            collection = _collection()
            # a count of the collection, not of a filter: nx-27017 answers that from
            # SQLite, where count_documents decodes and copies every document
            if collection.estimated_document_count() == len(known):
                return
            # one read, filtered here: on nx-27017 a filter or a projection costs the
            # server a decoding and a copy of every document, more than sending it;
            # the shards taken alone (an index); every shard: no filter
            older = []  # stored unpacked: packed once read
            for stored in collection.find(query, batch_size=READ_BATCH):
                if not is_packed(stored):
                    older.append(unpacked(stored))
                # `ready` is beside the body: the radios left out are not unpacked
                if stored["_id"] not in known and stored.get("ready") is not False:
                    yield stored
            repack(collection, older)

    def count(self) -> int:
        """How many radios the store holds (the collection's count: cheap everywhere)."""
        with storing("counting the radios"):
            return _collection().estimated_document_count()

    def timezone(self, uuid: str) -> tuple[bool, str | None]:
        """(whether the catalog has the radio, its time zone if it has one)."""
        with storing("reading radio %s", uuid):
            found = _collection().find_one({"_id": uuid}, {"timezone": 1})
        return found is not None, None if found is None else found.get("timezone")

    def among(self, uuids: Iterable[str], playlist_ids: Iterable[int]) -> list[dict]:
        """The stored radios whose uuid, or the id of one of whose playlists, is given."""
        # Two queries rather than one `$or`, which costs nx-27017 time more than in
        # proportion (4 s for 20,000 radios, 89 s for 100,000): theirs is linear.
        queries = ({"_id": {"$in": list(uuids)}}, {PLAYLIST_IDS: {"$in": list(playlist_ids)}})
        with storing("reading the radios an import names"):
            # none stored (a first import): the queries would find nothing, and cost
            # nx-27017 its parsing of every id given (0.2 s of its CPU at 20,000 radios)
            if _collection().estimated_document_count() == 0:
                return []
            _index_radios_without_playlist_ids()
            found = {}
            for query in queries:
                for stored in _collection().find(query):
                    found.setdefault(stored["_id"], unpacked(stored))
        return list(found.values())

    def write(self, inserted: list[dict], replaced: list[dict], deleted: list[str]) -> None:
        """Insert new radios in one batch, replace stored ones whole (each document's
        `_id` says which), delete others by uuid in one batch."""
        with storing("writing %d radios", len(inserted) + len(replaced) + len(deleted)):
            collection = _collection()
            _insert_packed(collection, inserted)
            for radio in replaced:
                collection.replace_one({"_id": radio["_id"]}, packed(radio))
            if deleted:
                collection.delete_many({"_id": {"$in": deleted}})

    def fill_shards(self) -> int:
        """Give their shard to the radios an older version stored without it; how many."""
        return fill_shards(_collection())


def _collection():
    return Radio._get_collection()


def _insert_packed(collection, radios: list[dict]) -> None:
    """Insert the radios packed, in batches: one insert of 100,000 radios keeps nx-27017
    busy past the socket timeout (30 s) on a loaded machine, and the import fails. Each
    batch is packed while the store inserts the one before (a greenlet waits for it)."""
    inserting = None
    try:
        for start in range(0, len(radios), WRITE_BATCH):
            batch = [packed(radio) for radio in radios[start : start + WRITE_BATCH]]
            if inserting is not None:
                inserting.get()  # its error raised here
            inserting = gevent.spawn(collection.insert_many, batch)
        if inserting is not None:
            inserting.get()
    except BaseException:
        if inserting is not None:
            inserting.kill()  # the import stops: none of its batches left inserting
        raise


def _index_radios_without_playlist_ids() -> None:
    """Give `playlist_ids` to the radios stored without it (by a version before it, or
    saved by hand; null or missing alike), once: one by one, as mongomock's bulk_write
    takes no UpdateOne of pymongo 4."""
    collection = _collection()
    # whole playlists: nx-27017 projects a path through an array (`playlists.id`) to nothing
    for radio in list(collection.find(WITHOUT_PLAYLIST_IDS, {"playlists": 1})):
        ids = playlist_ids(radio)
        collection.update_one({"_id": radio["_id"]}, {"$set": {PLAYLIST_IDS: ids}})
