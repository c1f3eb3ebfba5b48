"""This instance's send marks (store/send_marks.py), computed and written as a part.

The mark of a shard this instance sends for: the soonest of now, its next event
not processed yet (events are processed in time order: every send due before it
has been made, and one pushed later is due after the event that pushes it), and
the due time of each play decided ahead of that shard not yet published (held
for its state, kept for its lease, being published). A shard whose lease stops
counting keeps the mark it had: what is claimed stays true, and nothing of it is
sent here any more. Written every MARK_EVERY seconds when it moved (one small
document: the ambiguity left after a kill -9 is this long), and at once before
radios are handed over (app/fleet.py).
"""

import logging
import math

from yascheduler.support.errors import StoreError

from .ownership import shard_of

log = logging.getLogger("yascheduler.fleet")

MARK_EVERY = 0.05  # seconds
FORGET_EVERY = 60.0  # seconds between two clean-ups of the marks of instances gone


class SendMarks:
    name = "send-marks"

    def __init__(self, instance_id: str, membership, programmer, bus, stored, clock):
        self.instance_id = instance_id
        self.membership, self.programmer, self.bus = membership, programmer, bus
        self.stored, self.clock = stored, clock
        self.wakeup = None
        self._marks: dict[int, tuple[int, float]] = {}  # shard -> (epoch, sent through)
        self._written: dict[int, tuple[int, float]] | None = None
        self._forgotten_at = -math.inf
        self._failing = False

    def loop(self) -> float:
        try:
            self.write_now()
            if self.clock.now() - self._forgotten_at > FORGET_EVERY:
                self._forgotten_at = self.clock.now()
                self.stored.forget_gone(self._forgotten_at)
        except StoreError as error:  # the radios taken over meanwhile are sent again
            if not self._failing:
                log.warning("fleet: send marks not written: %s; retrying", error)
            self._failing = True
        return MARK_EVERY

    def write_now(self) -> None:
        """Write the marks as they are now, if they moved since the last write."""
        marks = self.current()
        if marks != self._written:
            self.stored.save(self.instance_id, marks, self.clock.now())
            self._written = marks
            self._failing = False

    def current(self) -> dict[int, tuple[int, float]]:
        """{shard: (the epoch this instance's writes carry there, sent through)}."""
        now = self.clock.now()
        soonest = self.programmer.pending_events(1)
        through = min(now, soonest[0][0]) if soonest else now
        unsent: dict[int, float] = {}
        for radio, due_at in self.bus.unsent_decided_ahead():
            shard = shard_of(radio)
            unsent[shard] = min(due_at, unsent.get(shard, due_at))
        for shard, epoch in self.membership.sending_shards().items():
            self._marks[shard] = (epoch, min(through, unsent.get(shard, through)))
        return dict(self._marks)


def sent_through_of(marks: dict[tuple[int, int], float]):
    """The stored timeline's document -> its writer's mark (its shard's, at the epoch it
    carries), None if there is none (programming/sent_ahead.py)."""

    def sent_through(stored: dict) -> float | None:
        uuid, epoch = stored.get("_id"), stored.get("epoch")
        if not isinstance(uuid, str) or not isinstance(epoch, int):
            return None
        return marks.get((shard_of(uuid), epoch))

    return sent_through
