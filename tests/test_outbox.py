"""The durable outbox: what a restart finds again, in what order it comes out, what is parked."""

import pytest
from bson import ObjectId

from yascheduler.store.counters import Counter
from yascheduler.store.outbox import OutboxItem, StoredOutbox
from yascheduler.webapp.outbox import WINDOW, NotParked, Outbox, Selection


def new_outbox(window=WINDOW):
    """An outbox on the test's store, as a new process makes it."""
    return Outbox(StoredOutbox(), window)


def write(outbox, *radios):
    for radio_uuid in radios:
        outbox.append("start_listening", radio_uuid, {}, 1.0)


def drain(outbox, batch=2):
    """Take the outbox from the head, as the sender does; the radios in the order taken."""
    taken = []
    while head := outbox.head(batch):
        taken.extend(item.radio_uuid for item in head)
        outbox.remove(head)
    return taken


def test_items_come_out_in_the_order_written_and_are_deleted_once_taken(db):
    outbox = new_outbox()
    write(outbox, "r1", "r2", "r3")
    assert len(outbox) == 3
    assert drain(outbox) == ["r1", "r2", "r3"]
    assert len(outbox) == 0
    assert OutboxItem.objects.count() == 0


def test_a_restart_finds_the_backlog_and_new_items_queue_behind_it(db):
    before = new_outbox()
    write(before, "r1", "r2")
    before.remove(before.head(1))
    write(before, "r3")
    after = new_outbox()  # a new process: nothing but the store
    after.load()
    write(after, "r4")
    assert len(after) == 3
    assert drain(after) == ["r2", "r3", "r4"]


def test_attempts_are_stored_with_the_item(db):
    outbox = new_outbox()
    write(outbox, "r1")
    outbox.record_attempt(outbox.head(1))
    outbox.record_attempt(outbox.head(1))
    after = new_outbox()
    after.load()
    assert after.head(1)[0].attempts == 2
    assert OutboxItem.objects.get().attempts == 2


def test_a_backlog_larger_than_the_window_waits_in_the_store_and_keeps_its_order(db):
    outbox = new_outbox(window=3)
    radios = [f"r{n}" for n in range(10)]
    write(outbox, *radios[:5])
    taken = drain_some(outbox, 2)
    write(outbox, *radios[5:])
    assert len(outbox) == 8
    assert taken + drain(outbox, batch=2) == radios
    write(outbox, "later")
    assert drain(outbox) == ["later"]
    assert len(outbox) == 0


def drain_some(outbox, count):
    head = outbox.head(count)
    outbox.remove(head)
    return [item.radio_uuid for item in head]


def test_oldest_is_the_head_even_when_only_the_store_has_it(db):
    outbox = new_outbox(window=1)
    outbox.append("stopped", "r1", {}, 10.0)
    outbox.append("stopped", "r2", {}, 20.0)
    assert outbox.oldest_created_at() == 10.0
    outbox.remove(outbox.head(1))
    assert outbox.oldest_created_at() == 20.0
    outbox.remove(outbox.head(1))
    assert outbox.oldest_created_at() is None


def test_items_stored_by_an_older_version_are_taken_over_in_order(db):
    collection = OutboxItem._get_collection()
    collection.create_index("seq", unique=True, name="seq_1")
    for seq, radio_uuid in ((7, "old-b"), (3, "old-a")):
        collection.insert_one(
            {
                "_id": ObjectId(),
                "seq": seq,
                "kind": "stopped",
                "radio_uuid": radio_uuid,
                "params": {"listening_duration": 5},
                "created_at": 1.0,
                "attempts": 1,
            }
        )
    Counter(name="outbox", value=7).save()
    outbox = new_outbox()
    outbox.load()
    write(outbox, "new-1", "new-2")  # would break the old unique index on seq
    indexes = collection.index_information().values()
    assert [("seq", 1)] not in [list(index["key"]) for index in indexes]  # whatever its name
    head = outbox.head(1)[0]
    assert (head.seq, head.params, head.attempts) == (3, {"listening_duration": 5}, 1)
    assert drain(outbox) == ["old-a", "old-b", "new-1", "new-2"]


# --- parked items -------------------------------------------------------------------------


def park(outbox, radio_uuid, at=5.0):
    """Park the head item, which must be of `radio_uuid`, as the sender does."""
    (item,) = outbox.head(1)
    assert item.radio_uuid == radio_uuid
    outbox.park(item, {"at": at, "status": 404, "answer": "Not found", "attempts": 1})
    return item.seq


def parked_radios(outbox):
    return [document["radio_uuid"] for document in outbox.parked_page(None, 0, 100)[1]]


def test_a_parked_item_leaves_the_queue_and_the_backlog_but_stays_stored(db):
    outbox = new_outbox()
    write(outbox, "bad", "r1")
    seq = park(outbox, "bad")
    assert (len(outbox), outbox.parked_count()) == (1, 1)
    assert drain(outbox) == ["r1"]
    stored = OutboxItem._get_collection().find_one({"_id": seq})
    assert stored["parked"] == {"at": 5.0, "status": 404, "answer": "Not found", "attempts": 1}
    assert outbox.oldest_created_at() is None


def test_a_restart_keeps_parked_items_out_of_the_queue_and_counts_them(db):
    before = new_outbox()
    write(before, "bad", "r1", "r2")
    park(before, "bad")
    after = new_outbox()
    after.load()
    assert (len(after), after.parked_count()) == (2, 1)
    assert drain(after) == ["r1", "r2"]
    assert parked_radios(after) == ["bad"]


def test_refills_from_the_store_skip_parked_items(db):
    outbox = new_outbox(window=2)
    write(outbox, "a", "bad-1", "b", "bad-2", "c")  # b, bad-2, c wait in the store alone
    assert drain_some(outbox, 1) == ["a"]
    park(outbox, "bad-1")
    assert drain_some(outbox, 1) == ["b"]  # refilled from the store
    park(outbox, "bad-2")
    write(outbox, "d")
    outbox.retry(Selection(radio_uuid="bad-2"))  # reads the store again from the start
    assert drain(outbox, batch=1) == ["bad-2", "c", "d"]
    assert parked_radios(outbox) == ["bad-1"]
    assert (len(outbox), outbox.parked_count()) == (0, 1)


def test_retried_items_come_back_first_in_seq_order_and_discarded_ones_are_gone(db):
    outbox = new_outbox(window=3)
    write(outbox, "bad-1", "bad-2", "bad-3")
    first, second, third = (park(outbox, f"bad-{n}") for n in (1, 2, 3))
    write(outbox, "r1", "r2", "r3", "r4")
    assert outbox.retry(Selection(seqs=(third, first))) == [first, third]
    assert (len(outbox), outbox.parked_count()) == (6, 1)
    assert drain(outbox, batch=1) == ["bad-1", "bad-3", "r1", "r2", "r3", "r4"]
    assert outbox.discard(Selection()) == [second]
    assert outbox.parked_count() == 0
    assert OutboxItem.objects.count() == 0


def test_items_are_selected_by_radio_or_all(db):
    outbox = new_outbox()
    write(outbox, "x", "y", "x")
    for radio_uuid in ("x", "y", "x"):
        park(outbox, radio_uuid)
    assert outbox.parked_page("x", 0, 10)[0] == 2
    assert len(outbox.discard(Selection(radio_uuid="x"))) == 2
    assert parked_radios(outbox) == ["y"]
    assert outbox.discard(Selection(radio_uuid="x")) == []
    assert len(outbox.retry(Selection())) == 1
    assert drain(outbox) == ["y"]


def test_naming_a_seq_that_is_not_parked_changes_nothing(db):
    outbox = new_outbox()
    write(outbox, "bad", "r1")
    seq = park(outbox, "bad")
    queued = outbox.head(1)[0].seq
    with pytest.raises(NotParked) as refused:
        outbox.retry(Selection(seqs=(seq, queued, 999)))
    assert refused.value.seqs == [queued, 999]
    with pytest.raises(NotParked):
        outbox.discard(Selection(seqs=(seq, 999)))
    assert (len(outbox), outbox.parked_count()) == (1, 1)
    assert parked_radios(outbox) == ["bad"]


def test_an_item_sent_while_a_retry_read_the_memory_again_is_still_removed(db):
    outbox = new_outbox()
    write(outbox, "bad", "r1", "r2")
    park(outbox, "bad")
    in_flight = outbox.head(1)  # r1, being sent
    outbox.retry(Selection())
    outbox.remove(in_flight)  # the web app took it
    assert drain(outbox, batch=1) == ["bad", "r2"]
    assert len(outbox) == 0
