"""Loading the radios of shards taken: their timelines decoded, programmed in turns."""

import logging
from functools import partial

import gevent

from yascheduler.fleet.send_marks import sent_through_of
from yascheduler.programming.persistence import timeline_from_stored
from yascheduler.programming.sent_ahead import settled
from yascheduler.streaming import sent_record
from yascheduler.streaming.sent_record import is_recorded
from yascheduler.support.redis_client import REDIS_AWAY
from yascheduler.support.shards import SHARDS

log = logging.getLogger("yascheduler.fleet")

LOAD_TURN = 500  # radios a take programs before the other parts have a turn


def timeline_decoder(marks: dict[tuple[int, int], float], recorded: dict[str, float]):
    """The decoder of stored timelines, their sends settled by the writers' `marks` and
    the plays `recorded` published (streaming/sent_record.read)."""
    sent_through, published = sent_through_of(marks), partial(is_recorded, recorded)

    def decode(stored: dict):
        return settled(timeline_from_stored(stored), stored, sent_through, published)

    return decode


def recorded_published(redis, shards) -> dict[str, float]:
    """The record of the plays published in `shards` (None: all), read from `redis`; {}
    if it does not answer (the send marks alone tell then: a play of the last instants
    may go twice)."""
    try:
        return sent_record.read(redis, range(SHARDS) if shards is None else shards)
    except REDIS_AWAY as error:
        log.warning("fleet: the record of the plays published unread (%s): marks alone", error)
        return {}


def load_in_turns(programmer, radios: list, timelines: dict) -> None:
    """Program the radios LOAD_TURN at a time, the other parts running in between (the
    beat renewing the leases, the plays of radios loaded going out)."""
    for start in range(0, len(radios), LOAD_TURN):
        turn = radios[start : start + LOAD_TURN]
        programmer.load(turn, {r.uuid: timelines.pop(r.uuid) for r in turn if r.uuid in timelines})
        gevent.sleep(0)
    if timelines or not radios:  # those of radios no longer ready: deleted by the load
        programmer.load([], timelines)
