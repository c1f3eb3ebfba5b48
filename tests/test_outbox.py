"""The durable outbox: what a restart finds again, and in what order it comes out."""

from bson import ObjectId

from yascheduler import models
from yascheduler.outbox import Outbox


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
    outbox = Outbox()
    write(outbox, "r1", "r2", "r3")
    assert len(outbox) == 3
    assert drain(outbox) == ["r1", "r2", "r3"]
    assert len(outbox) == 0
    assert models.OutboxItem.objects.count() == 0


def test_a_restart_finds_the_backlog_and_new_items_queue_behind_it(db):
    before = Outbox()
    write(before, "r1", "r2")
    before.remove(before.head(1))
    write(before, "r3")
    after = Outbox()  # a new process: nothing but the store
    after.load()
    write(after, "r4")
    assert len(after) == 3
    assert drain(after) == ["r2", "r3", "r4"]


def test_attempts_are_stored_with_the_item(db):
    outbox = Outbox()
    write(outbox, "r1")
    outbox.record_attempt(outbox.head(1))
    outbox.record_attempt(outbox.head(1))
    after = Outbox()
    after.load()
    assert after.head(1)[0].attempts == 2
    assert models.OutboxItem.objects.get().attempts == 2


def test_a_backlog_larger_than_the_window_waits_in_the_store_and_keeps_its_order(db):
    outbox = Outbox(window=3)
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
    outbox = Outbox(window=1)
    outbox.append("stopped", "r1", {}, 10.0)
    outbox.append("stopped", "r2", {}, 20.0)
    assert outbox.oldest_created_at() == 10.0
    outbox.remove(outbox.head(1))
    assert outbox.oldest_created_at() == 20.0
    outbox.remove(outbox.head(1))
    assert outbox.oldest_created_at() is None


def test_items_stored_by_an_older_version_are_taken_over_in_order(db):
    collection = models.OutboxItem._get_collection()
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
    models.Counter(name="outbox", value=7).save()
    outbox = Outbox()
    outbox.load()
    write(outbox, "new-1", "new-2")  # would break the old unique index on seq
    assert "seq_1" not in collection.index_information()
    head = outbox.head(1)[0]
    assert (head.seq, head.params, head.attempts) == (3, {"listening_duration": 5}, 1)
    assert drain(outbox) == ["old-a", "old-b", "new-1", "new-2"]
