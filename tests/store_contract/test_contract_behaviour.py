"""What the repositories rely on where the store servers differ, pinned on every backend.

nx-27017 (the embedded store server) and MongoDB differ in ways the code is
written around (each named in the repository that does so):
- `_id` sorts as text on nx-27017 (1, 10, 2) though filters compare it as a
  number: the outbox queue is read in an `order` field of its own;
- a `$in` on a path through an array of sub-documents (`playlists.id`) matches
  nothing on nx-27017: radios keep a top-level `playlist_ids`;
- an upserted replacement without `_id` gets a new ObjectId on nx-27017: every
  repository puts the `_id` in what it upserts;
- `$exists: false` matches null, and `$ne: null` matches missing, on nx-27017
  (and mongomock misses `parked: null` in `{"parked.at": null}`): the queries
  that tell null from missing say it in a way every server reads alike;
- index names differ (`idx_<collection>_<field>`): indexes are found by key;
- a double is stored rounded to 15 significant digits on nx-27017 (10 µs of a
  Unix time): the shards taken are read back by a claim mark of the write, the
  shards renewed by owner and epoch, never by an equality on the expiry written.
"""

import time


from bson import ObjectId

from tests.store_contract.conftest import raw
from tests.store_contract.test_contract_outbox import Item
from yascheduler.store.counters import Counter, StoredCounters
from yascheduler.store.outbox import OutboxItem, StoredOutbox
from yascheduler.store.pending import Backlog
from yascheduler.store.radios import Playlist, Radio, StoredRadios
from yascheduler.store.shards import Shard, StoredShards
from yascheduler.store.sessions import ListenerSession, StoredSessions
from yascheduler.store.streamers import StoredStreamers, Streamer
from yascheduler.store.streams import ShardMasters, StoredStreams
from yascheduler.support.shards import shard_of
from yascheduler.store.timelines import RadioTimeline, StoredTimelines
from yascheduler.store.tokens import StoredTokens, VouchedToken


def test_the_outbox_queue_comes_in_numeric_seq_order_across_digits(backend):
    outbox = StoredOutbox(Backlog())
    for n in range(12):  # seqs 1 to 12: 10 sorts before 2 as text
        outbox.insert(Item("stopped", "r1", {}, float(n)))
    outbox.write_now()
    read, after = [], None
    while page := outbox.queued_after(after, 3).items:
        read += [record.seq for record in page]
        after = page[-1].seq
    assert read == list(range(1, 13))


def test_radios_are_found_by_the_ids_of_their_playlists_however_they_were_stored(backend):
    radios = StoredRadios()
    playlists = [{"id": 12, "name": "p12", "enabled": True, "songs": []}]
    radios.write(inserted=[{"_id": "new", "ready": True, "playlists": playlists}], replaced=[],
                 deleted=[])  # fmt: skip
    # stored by a version before playlist_ids, or with it null
    older = [{"_id": "old", "playlists": [{"id": 7}, {"id": 8}]}, {"_id": "none"},
             {"_id": "null", "playlist_ids": None, "playlists": [{"id": 9}]}]  # fmt: skip
    raw(Radio).insert_many(older)
    found = radios.among(uuids=[], playlist_ids=[8, 9, 12])
    assert sorted(radio["_id"] for radio in found) == ["new", "null", "old"]
    assert all("playlist_ids" not in radio for radio in found)  # the repository's own
    assert raw(Radio).find_one({"_id": "old"})["playlist_ids"] == [7, 8]
    assert raw(Radio).find_one({"_id": "none"})["playlist_ids"] == []
    [ready] = [radio for radio in radios.ready(lambda stored: stored) if radio["_id"] == "new"]
    assert ready == {"_id": "new", "ready": True, "playlists": playlists}


def test_a_radio_saved_through_mongoengine_is_found_by_its_playlists_too(backend):
    Radio(uuid="r1", playlists=[Playlist(id=3, name="default")]).save()
    saved = Radio.objects.get(uuid="r1")
    saved.playlists.append(Playlist(id=4, name="more"))
    saved.save()
    for playlist_id in (3, 4):
        [found] = StoredRadios().among(uuids=[], playlist_ids=[playlist_id])
        assert found["_id"] == "r1"


def test_upserted_records_are_stored_under_the_id_they_are_written_for(backend):
    """Each repository call that may create its record, on a store without it."""
    key = StoredSessions().open("a", "r1", "s1", None, 1.0)
    StoredTokens().save("t1", 1, False, 1.0)
    StoredStreamers().register("s1", 1.0)
    StoredStreams().change("r1", "s1", 1.0)
    StoredTimelines().save("r1", {"broken": "nothing playable"})
    StoredCounters().reserve("outbox", 10)
    expected = {
        ListenerSession: key,
        VouchedToken: "t1",
        Streamer: "s1",
        ShardMasters: shard_of("r1"),
        RadioTimeline: "r1",
        Counter: "outbox",
    }
    stored = {document: [r["_id"] for r in raw(document).find()] for document in expected}
    assert stored == {document: [key] for document, key in expected.items()}


def test_an_outbox_item_of_an_older_version_upgraded_keeps_its_seq_as_id(backend):
    old = {"kind": "stopped", "radio_uuid": "old", "params": {}, "created_at": 1.0}
    raw(OutboxItem).insert_one({"_id": ObjectId(), "seq": 4, **old})
    StoredOutbox().upgrade_legacy_items()
    assert [item["_id"] for item in raw(OutboxItem).find()] == [4]


def test_a_session_is_open_while_its_end_is_null_or_missing(backend):
    session = {"session_id": "x", "radio_uuid": "r1", "started_at": 1.0}
    raw(ListenerSession).insert_many(
        [
            {"_id": "missing", **session},
            {"_id": "null", **session, "ended_at": None},
            {"_id": "ended", **session, "ended_at": 2.0, "duration": 1},
        ]
    )
    assert sorted(record.key for record in StoredSessions().open_sessions()) == ["missing", "null"]


def test_a_radio_is_ready_unless_stored_ready_false(backend):
    raw(Radio).insert_many(
        [
            {"_id": "missing", "playlists": []},
            {"_id": "null", "ready": None, "playlists": []},
            {"_id": "true", "ready": True, "playlists": []},
            {"_id": "false", "ready": False, "playlists": []},
        ]
    )
    assert sorted(StoredRadios().ready(lambda stored: stored["_id"])) == ["missing", "null", "true"]


def test_shards_taken_and_renewed_at_unix_times_are_read_back_as_such(backend):
    shards = StoredShards()
    shards.ensure(4)
    now = time.time()  # a Unix time: more digits than nx-27017 keeps
    expires_at = now + 3.0 + 1e-7
    assert shards.take_all([0, 1, 2], "a", now, expires_at) == {0: 1, 1: 1, 2: 1}
    assert shards.take_all([2, 3], "b", now, expires_at) == {3: 1}  # 2 is a's
    stored = raw(Shard).find_one({"_id": 0})["expires_at"]
    assert abs(stored - expires_at) < 1e-4
    later = expires_at + 1.0 + 1e-7
    raw(Shard).update_one({"_id": 1}, {"$set": {"owner": "b", "epoch": 2}})  # b took it
    assert shards.renew_all("a", {0: 1, 1: 1, 2: 1}, later) == {0, 2}
    assert shards.renew_all("a", {0: 1, 2: 1}, later + 1) == {0, 2}
