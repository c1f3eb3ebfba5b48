"""The engine's event queue on its own: one pending event per radio, the soonest first."""

import random

from yascheduler.programming.events import EventQueue


def test_events_come_out_in_time_order_and_only_once_due():
    queue = EventQueue()
    queue.push("r2", 20.0, "start")
    queue.push("r1", 10.0, "prepare")
    assert queue.wait(5.0) == 5.0
    assert queue.pop_due(9.9) is None
    assert queue.pop_due(10.0) == ("r1", "prepare", 10.0)
    assert queue.pop_due(10.0) is None
    assert queue.wait(12.0) == 8.0
    assert queue.pop_due(30.0) == ("r2", "start", 20.0)
    assert (len(queue), queue.wait(30.0), queue.pop_due(99.0)) == (0, None, None)


def test_a_new_event_replaces_the_pending_one_and_the_old_entry_is_skipped():
    queue = EventQueue()
    queue.push("r1", 10.0, "prepare")
    queue.push("r1", 50.0, "retry")  # the entry at 10 stays in the heap, stale
    assert (len(queue), queue.pending("r1")) == (1, (50.0, "retry"))
    assert queue.wait(0.0) == 50.0  # not 10: the stale entry is dropped
    assert not queue.is_due(10.0)
    assert queue.pop_due(50.0) == ("r1", "retry", 50.0)
    assert queue.pending("r1") is None


def test_a_cancelled_event_never_comes_out():
    queue = EventQueue()
    queue.push("r1", 10.0, "prepare")
    queue.push("r2", 20.0, "prepare")
    queue.cancel("r1")
    queue.cancel("never-scheduled")
    assert (len(queue), queue.pending("r1")) == (1, None)
    assert queue.pop_due(100.0) == ("r2", "prepare", 20.0)
    assert queue.pop_due(100.0) is None


def test_events_at_the_same_instant_come_out_in_the_order_scheduled():
    queue = EventQueue()
    for key in ("c", "a", "b"):
        queue.push(key, 10.0, "start")
    assert [queue.pop_due(10.0)[0] for _ in range(3)] == ["c", "a", "b"]
    assert queue.pending_events(10) == []


def test_the_soonest_pending_events_are_listed_in_order_skipping_stale_entries():
    rng = random.Random(11)
    queue, model, order = EventQueue(), {}, {}
    for step in range(2000):
        key = f"r{rng.randrange(60)}"
        if rng.random() < 0.15:
            queue.cancel(key)
            model.pop(key, None)
        else:
            at = float(rng.randrange(500))
            queue.push(key, at, "prepare" if step % 2 else "start")
            model[key] = (at, "prepare" if step % 2 else "start")
            order[key] = step
    expected = sorted(
        ((at, key, kind) for key, (at, kind) in model.items()),
        key=lambda event: (event[0], order[event[1]]),
    )
    assert len(queue) == len(expected) and len(queue._heap) > len(expected)
    assert queue.pending_events(10) == expected[:10]
    assert queue.pending_events(1000) == expected
    popped = []
    while (due := queue.pop_due(1000.0)) is not None:
        popped.append((due[2], due[0], due[1]))
    assert popped == expected
