"""A change to one stored document, waiting to be written, and how two changes of the
same document merge into one (the writer writes each document once a turn).

Kinds:
- insert: a whole new document that the store cannot hold yet (a fresh `_id`);
- replace: a whole document, whatever the store holds under its `_id`;
- set: fields (dotted paths set one key of a sub-document; a path whose value is
  REMOVED is unset), creating the document with `upsert`;
- delete.

Merging (older, newer): a set then a set is one set; an insert or replace then a
set is that document with the fields set; anything then a delete is a delete,
but an insert not yet written then deleted vanishes (None); a delete then an
upserting set is a replace by those fields. Every change is written idempotently,
so one that is written twice, after a failure that left its outcome unknown,
leaves the same document: an insert tried once already goes again as an
upserting replace. One never tried goes as a plain insert, which costs
nx-27017 a quarter less (no lookup of the `_id` first: bench/README.md); its
`_id` is fresh (an ObjectId, a seq reserved, a request's uuid), so nothing
can be stored under it yet.

Fencing: a change of a radio's document may carry its owner's `epoch` (the
lease's, fleet/membership.py). It is written with `epoch: E` in the document,
and only where the stored document's epoch is not above E (`$or` of `$lte E`
and `None`, which a document written before fencing, with no epoch, matches;
nx-27017 has no `$not`; the `_id` beside it finds the one document). The
`$or` goes inside an `$and`, which on MongoDB is the same filter: nx-27017
(0.8.1) turns an `$or` beside the `_id` into SQL as `_id = ? AND a OR b`, so
the write went to the first document without an epoch, another radio's, and
each cost a scan of the collection (63 fenced writes a second at 10,000
timelines; inside `$and`, as many as unfenced: bench/README.md). In its
writes a `$nor` of `$gt E` misses a document without an epoch. On
MongoDB and on nx-27017 alike, one document's filter and update are one
atomic operation; an upsert whose filter misses because a newer owner wrote
there inserts the same `_id` and is refused by the unique `_id` index
(E11000, refused for good: the writer logs and drops it), a delete or a plain
update matches nothing. So once a new owner wrote with its epoch, nothing an
old owner still writes lands (tests/store_contract checks it on both).

A document that two owners write at once (a shard's, store/streams.py, while the
shard is handed over radio by radio) is fenced by the shard: a change may also
carry `fence`, the highest epoch it accepts stored, above its own; its epoch then
goes in with `$max`, so that the stored one stays the newest owner's.
"""

from dataclasses import dataclass
from functools import lru_cache

from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne

INSERT, REPLACE, SET, DELETE = "insert", "replace", "set", "delete"
WHOLE = (INSERT, REPLACE)


class _Removed:
    def __repr__(self) -> str:
        return "REMOVED"


REMOVED = _Removed()  # a set's value for a path unset


@dataclass(slots=True)
class Change:
    kind: str
    fields: dict | None  # the document (insert, replace), the fields (set), None (delete)
    at: float  # when the oldest change merged into it was queued
    upsert: bool = False  # a set creates the document
    epoch: int | None = None  # the writer's fencing token (see above), if fenced
    fence: int | None = None  # the highest epoch stored it accepts, if above its own
    seq: int = 0  # the barrier mark of the oldest change merged into it (writer.py)
    radio: str | None = None  # the radio whose own state it changes, if any
    tried: bool = False  # written once already, its outcome unknown


def merged(older: Change, newer: Change) -> Change | None:
    """The one change that does what `older` then `newer` do, fenced by the newer's
    epoch, as old as the older (its `at` and `seq`); None: nothing to write."""
    combined = _merged(older, newer)
    if combined is None:
        return None
    if newer.epoch is not None:
        combined.epoch, combined.fence = newer.epoch, newer.fence
    combined.seq, combined.radio = older.seq, older.radio or newer.radio
    combined.tried = older.tried or newer.tried
    return combined


def _merged(older: Change, newer: Change) -> Change | None:
    kind = newer.kind
    if kind == DELETE:
        return None if older.kind == INSERT else Change(DELETE, None, older.at)
    if kind in WHOLE:
        # still never written: it stays an insert, which a delete makes vanish
        kind = INSERT if older.kind == INSERT else REPLACE
        return Change(kind, newer.fields, older.at)
    if older.kind in WHOLE:
        return Change(older.kind, with_fields_set(older.fields, newer.fields), older.at)
    if older.kind == DELETE:
        if not newer.upsert:
            return older  # the update would match nothing
        return Change(REPLACE, with_fields_set({}, newer.fields), older.at)
    fields = dict(older.fields)
    for path, value in newer.fields.items():
        _set_path(fields, path, value)
    return Change(SET, fields, older.at, older.upsert or newer.upsert)


def with_fields_set(document: dict, fields: dict) -> dict:
    """A copy of `document` with `fields` ({name or dotted path: value}) set, as `$set`
    would; the sub-documents on a path are copied, never changed in place."""
    result = dict(document)
    for path, value in fields.items():
        head, dot, rest = path.partition(".")
        if not dot:
            if value is REMOVED:
                result.pop(head, None)
            else:
                result[head] = value
            continue
        inner = result.get(head)
        result[head] = with_fields_set(inner if isinstance(inner, dict) else {}, {rest: value})
    return result


def _set_path(fields: dict, path: str, value) -> None:
    """Add `path: value` to the fields of a `$set`: it overrides the paths under it, and
    goes into a field set whole above it (one `$set` may not hold both: MongoDB
    refuses conflicting paths)."""
    for name in [name for name in fields if name.startswith(path + ".")]:
        del fields[name]
    parts = path.split(".")
    for end in range(1, len(parts)):
        above = ".".join(parts[:end])
        if above in fields and isinstance(fields[above], dict):
            fields[above] = with_fields_set(fields[above], {".".join(parts[end:]): value})
            return
    fields[path] = value


def operation(key, change: Change):
    """The bulk_write operation that writes `change` to the document `_id` = key.

    Few objects a change: a writer turn builds a thousand operations at once,
    which outlive the young collections while their chunk is written, and each
    container among them brings the next full collection nearer (with 100,000
    radios' state that is a pause of the whole service). The epoch's part of
    the filter is one shared list per epoch; the fields are copied once.
    """
    epoch = change.epoch
    if epoch is None:
        where = {"_id": key}
    else:  # a giver's write in a handover accepts the next owner's epoch (change.fence)
        where = {"_id": key, "$and": _fence(max(epoch, change.fence or epoch))}
    if change.kind == DELETE:
        return DeleteOne(where)
    if change.kind == SET:
        return UpdateOne(where, _update(change), upsert=change.upsert)
    if change.kind == INSERT and not change.tried and epoch is None:
        return InsertOne({**change.fields, "_id": key})
    # the `_id` in the replacement: a server may otherwise give an upserted record its own
    document = {**change.fields, "_id": key}
    if epoch is not None:
        document["epoch"] = epoch
    return ReplaceOne(where, document, upsert=True)


def _update(change: Change) -> dict:
    """A set's update: its paths set and unset, and its epoch (`$max` if it accepts a
    newer one stored)."""
    epoch = change.epoch
    raised = epoch is not None and (change.fence or 0) > epoch
    sets = {path: value for path, value in change.fields.items() if value is not REMOVED}
    if epoch is not None and not raised:
        sets["epoch"] = epoch
    update = {"$set": sets} if sets else {}
    if unset := {path: "" for path, value in change.fields.items() if value is REMOVED}:
        update["$unset"] = unset
    if raised:
        update["$max"] = {"epoch": epoch}
    return update


@lru_cache(maxsize=64)  # an instance holds a few epochs at a time, one a lease taken
def _fence(epoch: int) -> list:
    """The `$and` of a write fenced by `epoch` (see above), shared by its operations: the
    driver only reads it."""
    return [{"$or": [{"epoch": {"$lte": epoch}}, {"epoch": None}]}]
