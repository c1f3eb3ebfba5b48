"""The radio masters, one document a shard (store/streams.py), on every backend: what
the layout relies on of the server (many paths set and unset in one update, uuids as
field names) and the shard's fence."""

import pytest
from pymongo import UpdateOne

from tests.store_contract.conftest import raw, stored_masters
from yascheduler.store.pending import Backlog, write_taken
from yascheduler.store.streams import OLDER_COLLECTION, ShardMasters, StoredStreams
from yascheduler.support.errors import StoreError
from yascheduler.support.shards import shard_of

ONE, SAME_SHARD, OTHER = "radio-1", "radio-116", "radio-2"  # shards 79, 79, 245
ODD = "odd.radio$1%2E"  # a catalog uuid may hold what no field name may


def fenced(epochs: dict, fences: dict | None = None) -> StoredStreams:
    streams = StoredStreams()
    streams.epoch_of = lambda radio: epochs[radio]
    if fences is not None:
        streams.fence_of = lambda radio: fences[radio]
    return streams


def test_many_paths_set_and_unset_in_one_update_and_dashes_in_field_names(backend):
    collection = raw(ShardMasters)
    collection.insert_one({"_id": 1, "radios": {f"r-{n}": ["s1", 1.0] for n in range(50)}})
    sets = {f"radios.r-{n}": ["s2", 2.0] for n in range(25, 75)}
    unsets = {f"radios.r-{n}": "" for n in range(25)}
    collection.bulk_write([UpdateOne({"_id": 1}, {"$set": sets, "$unset": unsets})])
    stored = collection.find_one({"_id": 1})["radios"]
    assert stored == {f"r-{n}": ["s2", 2.0] for n in range(25, 75)}


def test_a_dotted_path_nests_on_every_server_so_a_uuid_holding_a_dot_is_escaped(backend):
    """MongoDB refuses a `$` field name where nx-27017 stores it: neither is written."""
    raw(ShardMasters).update_one({"_id": 1}, {"$set": {"radios.a.b": 1}}, upsert=True)
    assert raw(ShardMasters).find_one({"_id": 1})["radios"] == {"a": {"b": 1}}
    streams = StoredStreams()
    streams.add(ODD, "s1", 1.0)
    stored = raw(ShardMasters).find_one({"_id": shard_of(ODD)})["radios"]
    assert stored == {"odd%2Eradio%241%252E": ["s1", 1.0]}
    assert streams.masters([shard_of(ODD)]) == {ODD: "s1"}


def test_a_shards_radios_are_one_document_and_a_take_reads_its_shards_alone(backend):
    streams = StoredStreams()
    for radio in (ONE, SAME_SHARD, OTHER):
        streams.add(radio, "s1", 1.0)
    streams.remove(SAME_SHARD)
    assert sorted(stored["_id"] for stored in raw(ShardMasters).find()) == [79, 245]
    assert streams.masters([79]) == {ONE: "s1"}
    assert streams.masters() == {ONE: "s1", OTHER: "s1"}


def test_a_turn_writes_one_operation_a_shard_touched(backend):
    backlog = Backlog()
    streams = StoredStreams(backlog)
    radios = [f"radio-{n}" for n in range(2000)]
    for radio in radios:
        streams.add(radio, "s1", 1.0)
    streams.change(ONE, "s2", 2.0)
    streams.remove(OTHER)
    taken = streams.take()
    assert len(taken) == len({shard_of(radio) for radio in radios}) <= 256
    assert len(write_taken(streams, taken).written) == len(taken)
    stored = stored_masters()
    assert len(stored) == 1999 and stored[ONE] == ("s2", 2.0) and OTHER not in stored


def test_removals_alone_make_no_document(backend):
    StoredStreams().remove(ONE)
    assert raw(ShardMasters).count_documents({}) == 0


def test_a_stale_owner_of_the_shard_is_refused_for_every_radio_of_it(backend):
    epochs = {ONE: 1, SAME_SHARD: 1}
    streams = fenced(epochs)
    streams.add(ONE, "s1", 1.0)
    epochs[SAME_SHARD] = 2  # another instance took the shard, and wrote
    streams.add(SAME_SHARD, "s2", 2.0)
    with pytest.raises(StoreError, match="storing the radio masters of shard 79"):
        streams.change(ONE, "stale", 3.0)  # the old owner, paused meanwhile
    stored = raw(ShardMasters).find_one({"_id": 79})
    assert stored["radios"] == {ONE: ["s1", 1.0], SAME_SHARD: ["s2", 2.0]}
    assert stored["epoch"] == 2


def test_a_shard_handed_over_takes_both_sides_writes_until_a_third_takes_it(backend):
    """The giver writes with the epoch before and accepts the next owner's; the stored
    epoch stays the next owner's; once a third owner wrote, both are refused."""
    giver = fenced({ONE: 4}, {ONE: 5})
    receiver = fenced({SAME_SHARD: 5})
    giver.add(ONE, "s1", 1.0)
    receiver.add(SAME_SHARD, "s2", 2.0)  # arrived there
    giver.change(ONE, "s3", 3.0)  # not handed yet: still the giver's
    stored = raw(ShardMasters).find_one({"_id": 79})
    assert stored["radios"] == {ONE: ["s3", 3.0], SAME_SHARD: ["s2", 2.0]}
    assert stored["epoch"] == 5
    fenced({ONE: 6}).change(ONE, "s4", 4.0)  # the shard taken after a lease expired
    giver.remove(ONE)  # matches nothing
    with pytest.raises(StoreError):
        receiver.add(SAME_SHARD, "x", 5.0)
    stored = raw(ShardMasters).find_one({"_id": 79})
    assert stored["radios"] == {ONE: ["s4", 4.0], SAME_SHARD: ["s2", 2.0]}


def test_the_masters_an_older_version_stored_are_moved_not_over_newer_ones(backend):
    older = raw(ShardMasters).database[OLDER_COLLECTION]
    older.insert_many(
        [
            {"_id": ONE, "master": "old", "since": 1.0, "epoch": 3},
            {"_id": OTHER, "master": "s9", "since": 2.0},
            {"_id": 7, "master": "no radio's"},
        ]
    )
    streams = StoredStreams()
    streams.add(ONE, "new", 5.0)  # written by this version before the move
    assert streams.move_older() == 1
    assert stored_masters() == {ONE: ("new", 5.0), OTHER: ("s9", 2.0)}
    assert OLDER_COLLECTION not in raw(ShardMasters).database.list_collection_names()
    assert streams.move_older() == 0
