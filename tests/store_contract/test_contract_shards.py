"""A radio's documents carry its shard (store/sharded.py), or are its shard's (its
master: store/streams.py), so that an instance taking shards reads theirs alone;
those an older version stored get it at start-up, or are moved into their shard's."""

import logging

from tests.store_contract.conftest import raw
from yascheduler.app.repositories import Repositories
from yascheduler.store.radios import Radio, StoredRadios
from yascheduler.store.streams import OLDER_COLLECTION, StoredStreams
from yascheduler.store.timelines import RadioTimeline, StoredTimelines
from yascheduler.support.shards import SHARDS, shard_of

ONE, OTHER = "radio-1", "radio-2"  # shards 79 and 245 (tests/test_fleet_membership.py)
ONES = [shard_of(ONE)]


def read_by_shard(shards) -> tuple:
    """What a take of `shards` reads: the radios, timelines and masters, by uuid."""
    radios = sorted(stored["_id"] for stored in StoredRadios().ready(dict, shards=shards))
    timelines = sorted(StoredTimelines().load_all(dict, shards=shards))
    return radios, timelines, StoredStreams().masters(shards)


def test_a_take_reads_the_radios_timelines_and_masters_of_its_shards_alone(backend):
    StoredRadios().write([{"_id": ONE, "name": "one"}, {"_id": OTHER, "name": "other"}], [], [])
    timelines, streams = StoredTimelines(), StoredStreams()
    timelines.insert({ONE: {"boundary": 1.0}})
    timelines.save(OTHER, {"boundary": 2.0})  # created by a save: sharded all the same
    streams.add(ONE, "s1", 1.0)
    streams.change(OTHER, "s2", 2.0)
    assert read_by_shard(ONES) == ([ONE], [ONE], {ONE: "s1"})
    assert read_by_shard(range(SHARDS)) == ([ONE, OTHER], [ONE, OTHER], {ONE: "s1", OTHER: "s2"})
    # the shard is the store's own: what is read back is what was written
    assert list(StoredRadios().ready(dict, shards=ONES)) == [{"_id": ONE, "name": "one"}]
    assert timelines.load_all(dict, shards=ONES) == {ONE: {"_id": ONE, "boundary": 1.0}}


def test_a_radio_saved_by_hand_is_read_by_its_shard(backend):
    Radio(uuid=ONE, name="one").save()
    assert read_by_shard(ONES)[0] == [ONE]


def test_documents_an_older_version_stored_get_their_shard_at_start_up(backend, caplog):
    for uuid in (ONE, OTHER):
        raw(Radio).insert_one({"_id": uuid, "name": uuid})
        raw(RadioTimeline).insert_one({"_id": uuid, "boundary": 1.0})
        raw(Radio).database[OLDER_COLLECTION].insert_one({"_id": uuid, "master": "s1"})
    assert read_by_shard(ONES) == ([], [], {})  # a take would program them afresh
    with caplog.at_level(logging.INFO, "yascheduler.store"):
        Repositories().fill_shards()
        assert read_by_shard(ONES) == ([ONE], [ONE], {ONE: "s1"})
        assert caplog.text.count("2 radio timelines given their shard") == 1
        assert caplog.text.count("2 radio masters moved into their shards' documents") == 1
        Repositories().fill_shards()  # none left without: nothing written, nothing said
    assert caplog.text.count("given their shard") == 2  # radios, timelines
    assert caplog.text.count("radio masters moved") == 1
    assert OLDER_COLLECTION not in raw(Radio).database.list_collection_names()
