"""Loading the radios of shards taken: their timelines decoded, programmed in turns."""

import gevent

from yascheduler.fleet.send_marks import sent_through_of
from yascheduler.programming.persistence import timeline_from_stored
from yascheduler.programming.sent_ahead import settled

LOAD_TURN = 500  # radios a take programs before the other parts have a turn


def timeline_decoder(marks: dict[tuple[int, int], float]):
    """The decoder of stored timelines, their sends settled by the writers' `marks`."""
    sent_through = sent_through_of(marks)

    def decode(stored: dict):
        return settled(timeline_from_stored(stored), stored, sent_through)

    return decode


def load_in_turns(programmer, radios: list, timelines: dict) -> None:
    """Program the radios LOAD_TURN at a time, the other parts running in between (the
    beat renewing the leases, the plays of radios loaded going out)."""
    for start in range(0, len(radios), LOAD_TURN):
        turn = radios[start : start + LOAD_TURN]
        programmer.load(turn, {r.uuid: timelines.pop(r.uuid) for r in turn if r.uuid in timelines})
        gevent.sleep(0)
    if timelines or not radios:  # those of radios no longer ready: deleted by the load
        programmer.load([], timelines)
