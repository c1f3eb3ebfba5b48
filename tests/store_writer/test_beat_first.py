"""The fleet's beat goes before the store writer's next chunk: each of its store calls
(the leases renewed, the heartbeat, the instances read) would otherwise wait behind one
more chunk of a long write, and the renewal land past the leases' margin (a join burst:
bench/README.md, "Overdue leases")."""

import time
import types

import gevent

from tests.store_writer.test_writer import Parts
from yascheduler.fleet.beat_first import GIVE_WAY, BeatFirst
from yascheduler.fleet.membership import Membership
from yascheduler.store.bulk import CHUNK
from yascheduler.store.instances import StoredInstances
from yascheduler.store.shards import StoredShards

RADIOS = [f"r{number:05}" for number in range(8 * CHUNK)]  # eight chunks


def test_a_beat_under_way_waits_for_the_chunk_in_flight_alone(db):
    parts = Parts(limit=10 * CHUNK)
    membership = Membership(
        parts.clock, "a", StoredInstances(), StoredShards(), 3.0, lambda t: None, lambda s: None
    )
    membership.join()
    beat = BeatFirst(membership)
    parts.writer.gives_way = beat.gone_first
    for radio in RADIOS:
        parts.timelines.save(radio, {"event_at": 1.0})  # a document each (masters: a shard)
    landed = []  # a chunk landed: how many had before it
    during_the_beat = []

    def beat_after_the_first_chunk(radios):
        if radios is None:
            return  # the turn ended
        landed.append(len(landed))
        if len(landed) == 1:
            gevent.spawn(lambda: (beat.loop(), during_the_beat.append(len(landed) - 1)))

    parts.writer.listeners.append(beat_after_the_first_chunk)
    parts.writer.write_pending()
    assert len(landed) == len(RADIOS) // CHUNK
    assert during_the_beat == [1]  # the chunk sent as it began, not one more per call


def test_the_beat_writing_itself_does_not_give_way_to_itself(db):
    # a beat that lets radios go stores their changes itself (Fleet.lost): between its
    # chunks it would wait GIVE_WAY for its own end
    parts = Parts()
    waited = []

    def beat_storing_a_radio_let_go():
        parts.timelines.save("r1", {"event_at": 1.0})
        began = time.monotonic()
        assert parts.writer.store_radios(["r1"], within=5.0)
        waited.append(time.monotonic() - began)
        return 1.0

    membership = types.SimpleNamespace(name="fleet", wakeup=None, loop=beat_storing_a_radio_let_go)
    beat = BeatFirst(membership)
    parts.writer.gives_way = beat.gone_first
    beat.loop()
    assert waited[0] < GIVE_WAY
