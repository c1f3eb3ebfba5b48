"""Which streamer is the master of each streamed radio (streaming/masters.py holds
it in memory), stored one document per fleet shard (support/shards.py).

Why by shard: nx-27017 (the embedded store) spends ~300 µs on any one-document
write whatever its size, and a streamer starting thousands of radios at once
wrote one document a radio, a join's backlog of minutes at 100,000 radios
(bench/README.md, "The join's writes"). Now each writer turn writes one update a
shard touched, holding all the turn's changes of its radios: at most SHARDS
(256) operations, whatever the radios' number.

The document of shard S, in `radio_masters`: `{_id: S, radios: {uuid: [master,
since]}, epoch: E}`. A radio's uuid is a field name, percent-encoded where
MongoDB would refuse it (`.`, `$`, NUL, and `%` itself: `field_name`); dashes
are fine on both servers (tests/store_contract/test_contract_masters.py).

Written behind (pending.Buffered) keyed by shard: a change of a radio's master
notes the radio (the bus barrier finds its shard's document waiting) and the
radio's new entry waits in `_open`; when the writer takes the shard's change,
its entries become one `$set`/`$unset` of paths (`radios.<uuid>`). The barrier
reads each radio's own mark (`first_unwritten(shard, radio)`): a radio whose
entry is stored waits for no other radio's of its shard queued since.

Fencing is the shard's (store/changes.py): the document's `epoch` is the
highest owner's that wrote it. While a shard is handed over radio by radio,
giver and next owner both write its document, the giver with the epoch before:
its writes accept the next owner's epoch (`fence_of`, app/fleet.py) and raise
the stored one with `$max`, so they land until someone else takes the shard.

Records an older version stored (one document a radio, `radio_streams`) are
moved into their shards' documents at start-up (`move_older`: one update a
shard, logged), not over an entry already there, and that collection dropped.
"""

import logging
from collections.abc import Iterable
from urllib.parse import unquote

from mongoengine import DictField, Document, IntField
from mongoengine.connection import get_db
from pymongo.errors import PyMongoError

from yascheduler.support.shards import shard_of

from .changes import REMOVED
from .pending import Backlog, Buffered
from .records import READ_BATCH, storing

log = logging.getLogger("yascheduler.store")

RADIOS = "radios"
OLDER_COLLECTION = "radio_streams"  # one document a radio: versions before this one
MOVE_TRIES = 3
_ESCAPED = {"%": "%25", ".": "%2E", "$": "%24", "\0": "%00"}


class ShardMasters(Document):
    """The masters of one shard's streamed radios."""

    shard = IntField(primary_key=True)
    radios = DictField()  # field_name(uuid) -> [master, since]
    epoch = IntField()  # its owner's fencing token (store/changes.py)
    meta = {"collection": "radio_masters"}


def field_name(radio_uuid: str) -> str:
    """The uuid as a field name both servers store: `%`, `.`, `$` and NUL escaped."""
    if not any(character in radio_uuid for character in _ESCAPED):
        return radio_uuid
    return "".join(_ESCAPED.get(character, character) for character in radio_uuid)


def radio_of(name: str) -> str:
    """The uuid a field name stands for (field_name's inverse: every `%` in a field name
    begins an escape)."""
    return unquote(name) if "%" in name else name


class StoredStreams(Buffered):
    what = "the radio masters of shard %s"

    def __init__(self, backlog: Backlog | None = None):
        super().__init__(backlog)
        # shard -> {radio uuid: [master, since], or REMOVED} queued since its change was
        # taken: the change's paths once the writer takes it
        self._open: dict[int, dict[str, list | object]] = {}
        # radio -> the mark of its oldest entry waiting / being written: a radio's message
        # waits for its own entry, not for the other radios' of its shard (the barrier)
        self._waiting_since: dict[str, int] = {}
        self._writing_since: dict[str, int] = {}

    def collection(self):
        return _collection()

    def masters(self, shards: Iterable[int] | None = None) -> dict[str, str]:
        """Radio uuid -> its master streamer's name (of the radios of `shards`, if given)."""
        query = {} if shards is None else {"_id": {"$in": sorted(set(shards))}}
        with storing("reading the radio masters"):
            stored = list(_collection().find(query, batch_size=READ_BATCH))
        masters = {}
        for document in stored:
            masters.update(_masters_of(document))
        return masters

    def add(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had no master has one; an entry left behind is overwritten."""
        self._queue_entry(radio_uuid, [master, since])

    def change(self, radio_uuid: str, master: str, since: float) -> None:
        """A radio that had a master has another."""
        self._queue_entry(radio_uuid, [master, since])

    def remove(self, radio_uuid: str) -> None:
        self._queue_entry(radio_uuid, REMOVED)

    def _queue_entry(self, radio_uuid: str, entry) -> None:
        shard = shard_of(radio_uuid)
        opened = self._open.setdefault(shard, {})
        opened[radio_uuid] = entry
        self._waiting_since.setdefault(radio_uuid, self.backlog.queued + 1)  # its mark
        # its paths when the writer takes it (without a writer: at once)
        self._set(shard, {}, upsert=True, radio=radio_uuid)
        if shard not in self._changes and self._open.get(shard) is opened:
            del self._open[shard]  # dropped at the backlog's bound
            self._waiting_since.pop(radio_uuid, None)

    def first_unwritten(self, key, radio: str | None = None) -> int | None:
        if radio is None:
            return super().first_unwritten(key)
        return self._writing_since.get(radio) or self._waiting_since.get(radio)

    # --- what the writer calls ---------------------------------------------------------

    def take(self) -> dict:
        for shard in list(self._open):
            self._fill(shard)
        return super().take()

    def take_waiting(self, keys) -> dict:
        for shard in keys:
            if not self.in_flight(shard):
                self._fill(shard)
        return super().take_waiting(keys)

    def _fill(self, shard: int) -> None:
        """The shard's change gets the paths of its entries queued (under those it holds
        from a write that failed)."""
        entries = self._open.pop(shard, None)
        change = self._changes.get(shard)
        if entries is None or change is None:
            return
        for radio in entries:
            if (since := self._waiting_since.pop(radio, None)) is not None:
                self._writing_since.setdefault(radio, since)
        paths = {f"{RADIOS}.{field_name(radio)}": entry for radio, entry in entries.items()}
        change.fields = {**change.fields, **paths} if change.fields else paths
        # removals alone make no document: on none stored (or a newer owner's) a no-op
        change.upsert = any(entry is not REMOVED for entry in change.fields.values())

    def landed(self, changes: dict) -> None:
        for change in changes.values():
            for radio in self._radios_of(None, change):
                self._writing_since.pop(radio, None)
        super().landed(changes)

    def failed(self, changes: dict) -> None:
        """Their entries back where those queued since go, under them."""
        for shard, change in changes.items():
            entries = {self._radio_of_path(path): entry for path, entry in change.fields.items()}
            for radio in entries:
                since = self._writing_since.pop(radio, None)
                if since is not None:
                    older = self._waiting_since.get(radio, since)
                    self._waiting_since[radio] = min(since, older)
            self._open[shard] = {**entries, **self._open.get(shard, {})}
            change.fields = {}
        super().failed(changes)

    @staticmethod
    def _radio_of_path(path: str) -> str:
        return radio_of(path.partition(".")[2])

    def _radios_of(self, key, change) -> Iterable[str]:
        return [self._radio_of_path(path) for path in change.fields]

    # --- start-up, and the tools -------------------------------------------------------

    def move_older(self) -> int:
        """Move the records an older version stored (one document a radio) into their
        shards' documents, not over an entry there already; how many were moved."""
        older = get_db()[OLDER_COLLECTION]
        with storing("moving the radio masters an older version stored"):
            by_shard: dict[int, dict[str, list]] = {}
            for record in older.find({}, {"master": 1, "since": 1}, batch_size=READ_BATCH):
                radio, master = record.get("_id"), record.get("master")
                if isinstance(radio, str) and isinstance(master, str):
                    entry = [master, float(record.get("since") or 0.0)]
                    by_shard.setdefault(shard_of(radio), {})[radio] = entry
            outcomes = [_move_shard(shard, entries) for shard, entries in by_shard.items()]
            if all(done for _, done in outcomes):
                older.drop()
        return sum(moved for moved, _ in outcomes)

    def clear(self) -> int:
        """Delete every master stored; how many radios had one."""
        self._open, self._waiting_since, self._writing_since = {}, {}, {}
        self._forget_pending()
        with storing("deleting the radio masters"):
            count = sum(len(_masters_of(stored)) for stored in _collection().find())
            _collection().delete_many({})
            return count + get_db()[OLDER_COLLECTION].delete_many({}).deleted_count


def _move_shard(shard: int, entries: dict[str, list]) -> tuple[int, bool]:
    """Set the entries the shard's document does not hold yet, in one update that
    matches only while none of them appeared (else read again): (how many were set,
    whether all are in the document now)."""
    for _ in range(MOVE_TRIES):
        stored = _collection().find_one({"_id": shard}) or {}
        held = {radio_of(name) for name in stored.get(RADIOS) or {}}
        absent = {radio: entry for radio, entry in entries.items() if radio not in held}
        if not absent:
            return 0, True
        paths = [f"{RADIOS}.{field_name(radio)}" for radio in absent]
        where = {"_id": shard, "$and": [{path: {"$exists": False}} for path in paths]}
        try:
            update = {"$set": dict(zip(paths, absent.values(), strict=True))}
            _collection().update_one(where, update, upsert=True)
        except PyMongoError as error:  # an entry written meanwhile: the upsert's _id taken
            log.debug("store: moving shard %d's radio masters again: %s", shard, error)
            continue
        return len(absent), True
    log.warning("store: shard %d's older radio masters left: written meanwhile", shard)
    return 0, False


def _masters_of(document: dict) -> dict[str, str]:
    """{radio uuid: master} of a shard's document; an entry that cannot be decoded is
    logged and skipped."""
    masters = {}
    radios = document.get(RADIOS, {})
    if not isinstance(radios, dict):
        _skipped(f"shard {document.get('_id')!r}", f"its radios are {radios!r}")
        return masters
    for name, entry in radios.items():
        if isinstance(entry, list) and entry and isinstance(entry[0], str):
            masters[radio_of(name)] = entry[0]
        else:
            _skipped(repr(radio_of(name)), f"its entry is {entry!r}, not [master, since]")
    return masters


def _skipped(what: str, why: str) -> None:
    log.warning("stored radio stream %s skipped: cannot decode it (%s)", what, why)


def _collection():
    return ShardMasters._get_collection()
