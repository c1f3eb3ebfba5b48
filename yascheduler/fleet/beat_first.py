"""The fleet's beat goes before the store writer's next chunk.

Each of a beat's store calls (the leases renewed, the heartbeat, the instances read)
waits behind what nx-27017 is answering first. Behind a backlog of bulk writes sent
chunk after chunk (a join burst: the first writes of 20,000 radios), the renewals came
past the leases' margin one beat in two, and while its leases are overdue an instance
neither programs nor sends a play (bench/README.md, "Overdue leases"). So while a beat
is under way the writer, between two chunks, waits for it (at most GIVE_WAY): a beat
waits for the one chunk in flight as it began, not for one chunk per call.
"""

import gevent
import gevent.event

GIVE_WAY = 0.5  # seconds the writer waits at most: a beat the store is slow to answer anyway


class BeatFirst:
    """The membership as a part (support.supervisor's shape), saying when it beats."""

    def __init__(self, membership):
        self.membership = membership
        self.name = membership.name
        self._idle = gevent.event.Event()
        self._idle.set()
        self._beating: gevent.Greenlet | None = None

    @property
    def wakeup(self):
        return self.membership.wakeup

    def loop(self) -> float:
        self._idle.clear()
        self._beating = gevent.getcurrent()
        try:
            return self.membership.loop()
        finally:
            self._beating = None
            self._idle.set()

    def gone_first(self) -> None:
        """The writer, between two chunks: a beat under way goes first. Not when the beat
        itself writes (the changes of radios it lets go): it would wait for itself."""
        if gevent.getcurrent() is not self._beating:
            self._idle.wait(GIVE_WAY)
