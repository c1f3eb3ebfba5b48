"""The shard a radio's documents are stored with, so that an instance taking shards
reads only theirs (fleet/membership.py, app/fleet.py) rather than every document and
keeping its shards' ones.

Each document of a radio (its catalog record, its timeline, its master) carries
`shard`, its radio's shard (support/shards.shard_of: the same in every process),
set whenever it is written and indexed, and taken out of what is read back (the
repository's own). Documents an older version stored without it get it at start-up
(`fill_shards`).
"""

from collections.abc import Iterable, Iterator

from yascheduler.support.shards import SHARDS, shard_of

from .records import storing

SHARD = "shard"
# null or missing, on every server (nx-27017's `$exists: false` also matches null)
WITHOUT_SHARD = {SHARD: None}


def of_shards(shards: Iterable[int] | None) -> dict:
    """The query of the documents of those shards (None, or every shard: all)."""
    if shards is None:
        return {}
    wanted = sorted(set(shards))
    return {} if len(wanted) >= SHARDS else {SHARD: {"$in": wanted}}


def without_shard(records: Iterable[dict]) -> Iterator[dict]:
    """The records read, without their shard."""
    for record in records:
        record.pop(SHARD, None)
        yield record


def fill_shards(collection) -> int:
    """Give its radio's shard to every document of `collection` (keyed by radio uuid)
    stored without one; how many. One update per shard, whatever the documents' number."""
    with storing("giving the documents of %s their shard", collection.name):
        unsharded = [stored["_id"] for stored in collection.find(WITHOUT_SHARD, {"_id": 1})]
        by_shard: dict[int, list[str]] = {}
        for radio_uuid in unsharded:
            if isinstance(radio_uuid, str):  # no radio's: left for its decoder to skip
                by_shard.setdefault(shard_of(radio_uuid), []).append(radio_uuid)
        for shard, uuids in by_shard.items():
            collection.update_many({"_id": {"$in": uuids}}, {"$set": {SHARD: shard}})
    return sum(map(len, by_shard.values()))
