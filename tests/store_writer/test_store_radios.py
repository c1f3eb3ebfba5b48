"""The fleet's wait for the radios it lets go (Writer.store_radios): their changes are
written ahead of the backlog, and the wait ends once they are stored, not once every
other radio's are (a share-out of 100,000 radios waited minutes for the writer's whole
first turn); the store gone, it ends at once, saying so."""

import gevent

from tests.store_writer.test_writer import DELAY, Parts
from yascheduler.store.bulk import CHUNK
from yascheduler.store.timelines import RadioTimeline

RADIOS = [f"r{number:04}" for number in range(3 * CHUNK)]  # three chunks
HANDED = RADIOS[-1]  # the last of the backlog: its chunk would be written last


def queued(parts) -> None:
    for radio in RADIOS:
        parts.timelines.save(radio, {"event_at": parts.clock.now()})


def stored_count() -> int:
    return RadioTimeline.objects(uuid__in=RADIOS).count()


def test_with_no_write_under_way_the_radios_named_are_written_alone(db):
    parts = Parts(limit=10 * CHUNK)
    queued(parts)
    parts.timelines.save(HANDED, {"event_at": 7.0})  # its last change: what is read next
    assert parts.writer.store_radios([HANDED, "unchanged"], within=10.0)
    # what the next owner reads of it (fleet.program) is its last change
    read = parts.timelines.load_all(dict, wanted={HANDED}.__contains__)
    assert read[HANDED]["event_at"] == 7.0
    assert stored_count() == 1  # the others still wait for their turn
    assert not parts.writer.caught_up()
    parts.clock.advance(DELAY)
    parts.writer.loop()
    assert stored_count() == len(RADIOS)


def test_during_a_long_write_the_wait_ends_before_the_writes_ahead_of_it(db):
    parts = Parts(limit=10 * CHUNK)
    queued(parts)
    landed = []  # the radios of each write landed, as the writer tells them
    parts.writer.listeners.append(lambda radios: radios is None or landed.append(len(radios)))
    parts.clock.advance(DELAY)
    turn = gevent.spawn(parts.writer.loop)  # the whole backlog in one turn
    gevent.sleep(0)  # its first chunk sent
    parts.timelines.save(HANDED, {"event_at": 7.0})  # newer than what the turn took
    assert parts.writer.store_radios([HANDED], within=10.0)
    landed_then = sum(landed)
    read = parts.timelines.load_all(dict, wanted={HANDED}.__contains__)
    turn.get(timeout=30)
    assert read[HANDED]["event_at"] == 7.0
    assert landed_then < len(RADIOS)  # the turn's last chunk still to come
    assert stored_count() == len(RADIOS)


def test_the_store_gone_the_wait_ends_at_once_and_nothing_is_lost(own_store):
    parts = Parts(limit=10 * CHUNK)
    parts.timelines.save(HANDED, {"event_at": 7.0})
    own_store.stop()
    assert not parts.writer.store_radios([HANDED], within=10.0)
    assert not parts.writer.reachable and parts.writer.unwritten() == 1  # kept for the retry
    own_store.start()
    parts.writer.loop()
    assert RadioTimeline.objects(uuid=HANDED).count() == 1
