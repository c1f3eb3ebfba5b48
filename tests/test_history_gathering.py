"""The play history's gathering paced: a bucket's hours queued HOURS_AT_ONCE at a time,
so that the store writer's turns, and the plays waiting on them, are not held behind
thousands of hours at once; the turns deleted only once every hour is stored."""

import itertools

from tests.store_contract.test_contract_plays import T0, track, written_turn
from yascheduler.app.play_log import GATHER_EVERY, HOURS_AT_ONCE, HOURS_EVERY, Gathering
from yascheduler.store.packed_plays import BUCKETS, bucket_of
from yascheduler.store.pending import Backlog, write_taken
from yascheduler.store.plays import StoredPlays

RADIOS = list(
    itertools.islice((f"r{n}" for n in itertools.count() if bucket_of(f"r{n}") == 0), 250)
)


def test_a_big_bucket_is_gathered_a_slice_at_a_time_and_read_the_same(db):
    plays = StoredPlays(Backlog())
    written_turn(plays, [track(radio, T0 + k) for k, radio in enumerate(RADIOS)])
    before = {radio: plays.page(radio, None, None, 0, 10) for radio in RADIOS}
    gathering = Gathering(plays)
    waits, queued = [], []
    while True:
        waits.append(gathering.loop())
        changes = plays.take()  # what the writer's next turn takes
        queued.append(len(changes))
        write_taken(plays, changes)
        if waits[-1] != HOURS_EVERY:
            break
    assert queued == [HOURS_AT_ONCE, HOURS_AT_ONCE, 50]  # 250 hours, one a radio
    assert waits == [HOURS_EVERY, HOURS_EVERY, GATHER_EVERY / BUCKETS]
    assert plays.delete_gathered() == 1  # the turn, once its hours are all stored
    assert {radio: plays.page(radio, None, None, 0, 10) for radio in RADIOS} == before
