"""The programmed radios' timelines: what the engine must find again after a restart.

Implements programming.interface.TimelineStore. The stored form is the
engine's (programming/persistence.py computes it, programming/timeline.py
holds it in memory); this module declares it and queues the engine's
writes (pending.Buffered): one `$set` per processed event, of the fields it
changed, merged with the radio's change already waiting, if any, and written
behind in bulk. Its segments, jingle counters, show positions and song starts are
stored as JSON texts (packed_timelines.py: what it saves nx-27017), encoded as the
change is queued; the documents below declare them as the engine writes them, and
as versions before stored them.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from mongoengine import (
    BooleanField,
    DictField,
    Document,
    EmbeddedDocument,
    EmbeddedDocumentField,
    EmbeddedDocumentListField,
    FloatField,
    IntField,
    StringField,
)

from yascheduler.support.shards import shard_of

from .packed_timelines import packed, unpacked
from .pending import Buffered
from .records import READ_BATCH, drop_indexes_on, keyed, of_wanted, storing
from .sharded import SHARD, fill_shards, of_shards, without_shard

T = TypeVar("T")


class Segment(EmbeddedDocument):
    """A stretch of one file on a radio's timeline.

    It starts playing `filename` at `starts_at`, from `offset` seconds into
    the file, and ends when the file does (or earlier, if cut).
    """

    kind = StringField(required=True, choices=("song", "jingle"))
    song_id = IntField()
    jingle_id = StringField()
    playlist_id = IntField()
    filename = StringField(required=True)
    duration = FloatField(required=True)  # of the whole file
    offset = FloatField(default=0.0)
    starts_at = FloatField(required=True)
    resumed = BooleanField(default=False)  # continues a song cut by an hourly jingle
    sent = BooleanField(default=False)  # its play went to the streamer: it is heard


class JingleCounter(EmbeddedDocument):
    """A between_songs jingle's songs since it last played, and when that was."""

    jingle_id = StringField(required=True)
    songs = IntField(default=0)
    played_at = FloatField()  # absent: never played


class RadioTimeline(Document):
    """One document per programmed radio: its timeline, its one pending event, its plays.

    Everything the engine must find again after a restart lives here, so
    that each event costs one write.
    """

    uuid = StringField(primary_key=True)
    current = EmbeddedDocumentField(Segment)
    next = EmbeddedDocumentField(Segment)
    interrupted = EmbeddedDocumentField(Segment)  # song to resume after an hourly jingle
    # when `next` takes over: end of `current` minus crossfade, or an hourly cut
    boundary = FloatField()
    # one per between_songs jingle of the radio
    jingle_counters = EmbeddedDocumentListField(JingleCounter)
    # the one count of songs since a jingle that versions before jingle_counters kept:
    # read at start-up, to seed the counters, where they are absent; no longer written
    songs_since_jingle = IntField()
    # str(playlist id) -> {"show_start": when the show last started, "next": next song index}
    show_positions = DictField()
    broken = StringField()  # why nothing can be played, while so
    event_at = FloatField()  # the pending event (prepare, start or retry), if any
    event_kind = StringField()
    # str(song id) -> when the song last started: the rotation's memory across restarts
    # (written whole, as one JSON text; versions before set it one entry at a time)
    song_starts = DictField()
    epoch = IntField()  # its owner's fencing token (store/changes.py)
    shard = IntField()  # its radio's (store/sharded.py): a take reads its shards' alone
    meta = {"collection": "radio_timelines", "indexes": [SHARD]}


class StoredTimelines(Buffered):
    what = "radio %s's timeline"

    def collection(self):
        return _collection()

    def load_all(
        self,
        decode: Callable[[dict], T],
        wanted: Callable[[str], bool] | None = None,
        shards: Iterable[int] | None = None,
    ) -> dict[str, T]:
        """Radio uuid -> decode(its stored timeline), of the radios `wanted` if given (the
        others are not decoded), read from `shards` alone if given; one that cannot be
        decoded is logged and skipped (the engine programs that radio afresh)."""
        with storing("reading the radio timelines"):
            # decoded as they come: 100,000 stored dicts held at once would leave the
            # process that much larger for good (the allocator keeps what they freed)
            stored = _collection().find(of_shards(shards), batch_size=READ_BATCH)
            return keyed(
                of_wanted(without_shard(stored), wanted),
                lambda found: decode(unpacked(found)),
                "radio timeline",
            )

    def save(self, radio_uuid: str, changes: dict) -> None:
        """Apply `changes` ({field or dotted path: value}) to the radio's timeline."""
        # its shard with each: the write may create the document (upsert)
        changed = {**packed(changes), SHARD: shard_of(radio_uuid)}
        self._set(radio_uuid, changed, upsert=True, radio=radio_uuid)

    def insert(self, timelines: Mapping[str, dict]) -> None:
        """Store the timelines of radios that had none ({radio uuid: its fields}); one left
        behind as undecodable is replaced."""
        sharded = {
            uuid: {**packed(fields), SHARD: shard_of(uuid)} for uuid, fields in timelines.items()
        }
        self._replace_all(sharded, radio_keyed=True)

    def fill_shards(self) -> int:
        """Give their shard to the timelines an older version stored without it; how many."""
        return fill_shards(_collection())

    def delete(self, radio_uuid: str) -> None:
        self._delete(radio_uuid, radio=radio_uuid)

    def drop_unread_indexes(self) -> list[str]:
        """Drop the index on `broken` older versions made: nothing reads the store by
        a radio's broken state (it is in memory); the names of those dropped."""
        return drop_indexes_on(_collection(), ["broken"])

    def clear(self) -> int:
        self._forget_pending()
        with storing("deleting the radio timelines"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return RadioTimeline._get_collection()
