"""The fleet's lease renewals go before the store writer's next chunk.

Each of a beat's store calls waits behind what nx-27017 is answering first. Behind a
backlog of bulk writes sent chunk after chunk (a join burst: the first writes of 20,000
radios), the renewal (two calls) came past the leases' margin one beat in two, and
while its leases are overdue an instance neither programs nor sends a play
(bench/README.md, "Overdue leases"). So from a beat's start until its renewal is
answered the writer, between two chunks, waits (at most GIVE_WAY): the renewal waits
for the one chunk in flight as the beat began, not for one chunk per call. The rest of
the beat (the heartbeat, the instances read) takes its turn among the chunks.
"""

from collections.abc import Callable

import gevent.event

GIVE_WAY = 0.5  # seconds the writer waits at most: a renewal the store is slow to answer anyway


class BeatFirst:
    """The membership as a part (support.supervisor's shape), saying when it renews;
    `renewed()` is told after each renewal (membership.on_renewed)."""

    def __init__(self, membership, renewed: Callable[[], None] = lambda: None):
        self.membership = membership
        self.name = membership.name
        self._renewed = renewed
        self._not_renewing = gevent.event.Event()
        self._not_renewing.set()
        membership.on_renewed = self._renewal_answered

    @property
    def wakeup(self):
        return self.membership.wakeup

    def loop(self) -> float:
        self._not_renewing.clear()  # a beat renews first
        try:
            return self.membership.loop()
        finally:
            self._not_renewing.set()

    def gone_first(self) -> None:
        """The writer, between two chunks: a renewal under way goes first."""
        self._not_renewing.wait(GIVE_WAY)

    def _renewal_answered(self) -> None:
        self._not_renewing.set()
        self._renewed()
