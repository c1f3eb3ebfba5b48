"""The contract of the outbox repository: items queued in seq order, parked ones aside."""

from dataclasses import dataclass

from bson import ObjectId

from tests.store_contract.conftest import raw, skipped
from yascheduler.store.counters import StoredCounters
from yascheduler.store.outbox import SEQ_BLOCK, OutboxItem, QueuedRecord, StoredOutbox
from yascheduler.store.pending import Backlog

PARKED = {"at": 5.0, "status": 404, "answer": "Not found", "attempts": 1}


@dataclass
class Item:
    kind: str
    radio_uuid: str
    params: dict
    created_at: float
    seq: int | None = None


def queue(outbox, *seqs, radio_uuid="r1"):
    """Items stored under these seqs, as the repository stores them (it gives the seqs
    itself: the tests of the reads plant theirs)."""
    for seq in seqs:
        raw(OutboxItem).insert_one(
            {
                "_id": seq,
                "kind": "stopped",
                "radio_uuid": radio_uuid,
                "params": {"listening_duration": seq},
                "created_at": float(seq),
                "attempts": 0,
                "order": seq,
            }
        )


def test_items_inserted_are_given_growing_seqs_as_they_are_written(backend):
    outbox = StoredOutbox(Backlog())
    stored = []
    outbox.on_stored = stored.extend
    items = [Item("stopped", "r1", {"listening_duration": n}, float(n)) for n in range(3)]
    for item in items:
        outbox.insert(item)
    assert [item.seq for item in items] == [None, None, None] and len(outbox) == 3
    outbox.write_now()
    assert stored == items and [item.seq for item in items] == [1, 2, 3]
    assert outbox.queued_after(None, 10).items == [
        QueuedRecord(n + 1, "stopped", "r1", {"listening_duration": n}, float(n), 0)
        for n in range(3)
    ]
    # another service sharing the store takes its block: the next seqs are past it
    StoredCounters().reserve("outbox", 5)
    restarted = StoredOutbox()
    restarted.insert(later := Item("stopped", "r2", {}, 9.0))
    assert later.seq == SEQ_BLOCK + 5 + 1


def queued_seqs(outbox, after=None, limit=100):
    return [record.seq for record in outbox.queued_after(after, limit).items]


def test_items_come_back_in_seq_order_page_by_page(backend):
    outbox = StoredOutbox()
    queue(outbox, 3, 1, 2, 10)
    first = outbox.queued_after(None, 2)
    assert first.items == [
        QueuedRecord(1, "stopped", "r1", {"listening_duration": 1}, 1.0, 0),
        QueuedRecord(2, "stopped", "r1", {"listening_duration": 2}, 2.0, 0),
    ]
    assert first.full
    second = outbox.queued_after(2, 2)
    assert ([record.seq for record in second.items], second.full) == ([3, 10], True)
    assert (queued_seqs(outbox, 10, 2), outbox.queued_after(10, 2).full) == ([], False)
    assert outbox.queued_count() == 4


def test_attempts_are_counted_and_deleted_items_are_gone(backend):
    outbox = StoredOutbox()
    queue(outbox, 1, 2, 3)
    outbox.attempted({1: 1})
    outbox.attempted({1: 2, 2: 1})
    assert [record.attempts for record in outbox.queued_after(None, 10).items] == [2, 1, 0]
    outbox.delete([1])
    outbox.delete([2, 3])
    assert (queued_seqs(outbox), outbox.queued_count()) == ([], 0)


def test_parked_items_leave_the_queue_stay_stored_and_come_back_or_go(backend):
    outbox = StoredOutbox()
    queue(outbox, 1, 2, radio_uuid="bad")
    queue(outbox, 3, 4)
    queue(outbox, 5, radio_uuid="worse")
    for seq in (1, 2, 4, 5):
        outbox.park(seq, {**PARKED, "at": float(seq)})
    assert (queued_seqs(outbox), outbox.queued_count()) == ([3], 1)
    assert outbox.parked_radios() == {1: "bad", 2: "bad", 4: "r1", 5: "worse"}
    [document] = outbox.parked_documents([4, 99])
    assert (document["_id"], document["parked"]) == (4, {**PARKED, "at": 4.0})
    outbox.unpark(radio_uuid="bad")
    assert queued_seqs(outbox) == [1, 2, 3]
    outbox.unpark(seqs=[4, 3])  # 3 is not parked: left as it is
    assert queued_seqs(outbox) == [1, 2, 3, 4]
    outbox.discard_parked(seqs=[1])  # 1 is not parked any more: kept
    assert (queued_seqs(outbox), outbox.parked_radios()) == ([1, 2, 3, 4], {5: "worse"})
    outbox.discard_parked()
    assert (outbox.parked_radios(), outbox.clear()) == ({}, 4)


def test_a_stray_parked_field_without_its_time_is_not_parked(backend):
    item = {"kind": "stopped", "radio_uuid": "r1", "created_at": 1.0}
    strays = [None, {}, {"at": None}, {"status": 404}]
    raw(OutboxItem).insert_many(
        [{"_id": seq, "order": seq, **item, "parked": parked} for seq, parked in enumerate(strays)]
    )
    outbox = StoredOutbox()
    assert (queued_seqs(outbox), outbox.parked_radios()) == ([0, 1, 2, 3], {})
    assert outbox.queued_count() == 4


def test_items_stored_by_an_older_version_get_their_seq_as_key(backend):
    collection = raw(OutboxItem)
    collection.create_index("seq", unique=True, name="seq_1")
    old = {"kind": "stopped", "radio_uuid": "old", "params": {}, "created_at": 1.0}
    collection.insert_many([{"_id": ObjectId(), "seq": seq, **old} for seq in (7, 3)])
    outbox = StoredOutbox()
    outbox.upgrade_legacy_items()
    indexes = collection.index_information().values()
    assert [("seq", 1)] not in [list(index["key"]) for index in indexes]  # whatever its name
    assert queued_seqs(outbox) == [3, 7]
    assert collection.find_one({"_id": 7}) == {"_id": 7, **old, "order": 7}
    outbox.upgrade_legacy_items()  # nothing left to upgrade
    assert queued_seqs(outbox) == [3, 7]


def test_items_stored_before_their_order_field_get_it_and_come_back_in_seq_order(backend):
    """The version before kept the seq as `_id` only: nx-27017 sorts `_id` as text."""
    old = {"kind": "stopped", "radio_uuid": "old", "params": {}, "created_at": 1.0}
    raw(OutboxItem).insert_many([{"_id": seq, **old} for seq in (2, 11, 1, 10, 3)])
    StoredCounters().reserve("outbox", 11)  # the seqs given so far, as that version left it
    outbox = StoredOutbox()
    outbox.upgrade_legacy_items()
    outbox.insert(Item("stopped", "new", {}, 2.0))
    outbox.write_now()
    assert queued_seqs(outbox) == [1, 2, 3, 10, 11, 12]
    assert raw(OutboxItem).find_one({"_id": 10}) == {"_id": 10, **old, "order": 10}


def test_an_item_that_cannot_be_decoded_is_skipped_and_the_page_still_says_full(backend, caplog):
    outbox = StoredOutbox()
    queue(outbox, 1, 3)
    raw(OutboxItem).insert_one({"_id": 2.5, "order": 2.5, "kind": "stopped", "created_at": 1.0})
    raw(OutboxItem).insert_one({"_id": 9.5, "order": 9.5, "parked": {"at": 1.0}})
    page = outbox.queued_after(None, 3)
    assert ([record.seq for record in page.items], page.full) == ([1, 3], True)
    assert outbox.parked_radios() == {}
    assert len(skipped(caplog, "outbox item")) == 1
    assert len(skipped(caplog, "parked outbox item")) == 1


def test_an_item_missing_fields_comes_back_for_the_sender_to_discard(backend):
    raw(OutboxItem).insert_one({"_id": 1, "order": 1, "created_at": 1.0})
    assert StoredOutbox().queued_after(None, 10).items == [QueuedRecord(1, None, None, {}, 1.0, 0)]
