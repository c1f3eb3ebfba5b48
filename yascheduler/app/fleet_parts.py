"""The fleet's wrappers of the service's parts: a part that waits while the leases are
overdue, and the outbox sender that runs on the holder of OUTBOX_SHARD alone
(app/fleet.py wires them)."""

import time

OUTBOX_SHARD = 0  # its holder sends the fleet's outbox
OUTBOX_RELOAD = 1.0
NOT_STEADY_WAIT = 0.05


class WhileSteady:
    """A part waiting while its leases are overdue for renewal (a pause, a slow store)
    until the membership renews or lets them go: the scheduler loop neither plays for a
    radio it may have lost nor skips one it keeps; the streamers' liveness, back from a
    pause, finds no streamer dead for the pongs it could not read, by an owner's view of
    the fleet that may be stale."""

    def __init__(self, part, membership):
        self.part, self.membership = part, membership
        self.name, self.wakeup = part.name, getattr(part, "wakeup", None)

    def loop(self):
        if not self.membership.steady():
            return NOT_STEADY_WAIT
        return self.part.loop()


class WhileHolding:
    """The outbox sender, on the holder of OUTBOX_SHARD only (see the module docstring)."""

    def __init__(self, sender, membership, outbox, timer=time.monotonic):
        self.sender, self.membership, self.outbox = sender, membership, outbox
        self.name = sender.name
        self._timer = timer
        self._reloaded_at = timer()

    @property
    def wakeup(self):
        return self.sender.wakeup

    def loop(self):
        if not self.membership.holds(OUTBOX_SHARD):
            return OUTBOX_RELOAD
        if len(self.membership.live) > 1 and self._timer() - self._reloaded_at > OUTBOX_RELOAD:
            self._reloaded_at = self._timer()
            self.outbox.load()  # the items the others stored
        wait = self.sender.loop()
        return OUTBOX_RELOAD if wait is None else min(wait, OUTBOX_RELOAD)
