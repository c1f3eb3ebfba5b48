"""The play history as it is written: every track started, with the radio's listeners at
its start (the engine's interface.TrackLog), the turns' records gathered into one
document per radio and hour, and the hourly deletion of what is older than
`history_days` (store/plays.py: why hours, and why the TTL index is not enough)."""

import logging
from collections.abc import Callable

from yascheduler.programming.interface import TrackStart
from yascheduler.store.packed_plays import BUCKETS
from yascheduler.store.plays import DAY, StoredPlays
from yascheduler.support.errors import StoreError

log = logging.getLogger("yascheduler.history")

SWEEP_EVERY = 3600.0
RETRY_AFTER = 60.0  # the store did not answer: soon again, not in an hour
GATHER_EVERY = 3600.0  # each bucket's turns gathered once in this time
# a bucket's hours queued this many at a time, every HOURS_EVERY seconds: 200 documents/s
# beside the choices' writes, not 6,000 at once (100,000 radios: the plays waiting on
# them were late by up to 0.9 s, 180 gaps)
HOURS_AT_ONCE = 100
HOURS_EVERY = 0.5


class PlayLog:
    def __init__(self, plays: StoredPlays, listeners):
        self._plays = plays
        self._listeners = listeners  # streaming.sessions.Listeners

    def track_started(self, track: TrackStart) -> None:
        self._plays.add(track, self._listeners.count(track.radio_uuid))


class Retention:
    """A part (support.supervisor): once an hour, the plays older than `days` go."""

    name = "history-retention"

    def __init__(self, clock, plays: StoredPlays, days: float):
        self._clock = clock
        self._plays = plays
        self.days = days

    def loop(self) -> float:
        cutoff = self._clock.now() - self.days * DAY
        try:
            deleted = self._plays.delete_before(cutoff)
        except StoreError as error:
            log.warning("history: deleting plays older than %g days failed: %s", self.days, error)
            return RETRY_AFTER
        if deleted:
            log.info("history: %d plays older than %g days deleted", deleted, self.days)
        return SWEEP_EVERY


def gatherer_shard(bucket: int) -> int:
    """The shard whose holder gathers the bucket's play history (a radio's bucket is its
    shard % BUCKETS): a lease, so one instance at a time. Not the bucket's lowest shard:
    shards are handed over highest first, so the holder of shards 0-15 would gather every
    bucket; the bucket's shard number `bucket` among its 16 (17 x bucket) spreads the
    buckets over the shard range, and so over the instances."""
    return bucket * (BUCKETS + 1)


class Gathering:
    """A part: the turns of one bucket of radios gathered into hours at a time, every
    bucket in GATHER_EVERY (the turns an hour's hours gathered are deleted at the next
    turn, once those are stored).

    Among several instances each bucket is gathered by one (`gathers`, app/fleet.py:
    the holder of its gatherer_shard), not by all of them. Ownership moving
    mid-gathering is safe: two gatherings of the same turns store hours that never
    replace each other's and are read as each record once (store/play_order.py), and
    the turns go once either's hours are stored."""

    name = "history-gathering"

    def __init__(self, plays: StoredPlays, every: float = GATHER_EVERY):
        self._plays = plays
        self._every = every
        self._bucket = 0  # the next to gather
        self.gathers: Callable[[int], bool] = lambda bucket: True  # this instance's to gather

    def loop(self) -> float:
        if self._plays.hours_left():  # the last gathering's hours, a slice at a time
            return self._wait(self._plays.queue_hours(HOURS_AT_ONCE))
        try:
            self._plays.delete_gathered()  # those gathered here, whoever gathers them now
            gathers = self.gathers(self._bucket)
            turns = self._plays.gather(self._bucket, HOURS_AT_ONCE) if gathers else 0
        except StoreError as error:
            log.warning("history: gathering bucket %d's plays failed: %s", self._bucket, error)
            return RETRY_AFTER
        if turns:
            log.info("history: %d turns of bucket %d gathered by hour", turns, self._bucket)
        self._bucket = (self._bucket + 1) % BUCKETS
        return self._wait(self._plays.hours_left())

    def _wait(self, hours_left: int) -> float:
        return HOURS_EVERY if hours_left else self._every / BUCKETS
