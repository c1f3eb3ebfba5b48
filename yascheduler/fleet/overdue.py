"""The messages kept while this instance's lease on their shard is overdue.

A shard leased here stops counting at its lease's margin (membership.py) until a
beat renews it: the store slow to answer (saturated by the writes of a join burst,
the renewal queued behind them), or the process paused. A message for a radio or a
streamer of such a shard is then no instance's to act on: this one may have lost
the shard, and no other has it unless it took it, which makes the renewal here
refused. Dropped, as it was, a `play_radio` of the burst that saturated the store
was never answered, and its radio never started (bench/README.md, "Overdue leases").
So it is kept, and once a beat has renewed the lease it is acted on, in order
(those of the shard that come meanwhile are kept behind it); if the renewal was
refused, another instance has the shard and acts on what comes from then on: what
was kept is dropped, counted in the log line.

At most MAX_KEPT messages are kept (a store away for long, other instances alive:
no renewal for as long); beyond it a message is dropped, as before.
"""

import logging
from collections import deque
from collections.abc import Callable

log = logging.getLogger("yascheduler.fleet")

MAX_KEPT = 100_000


class Overdue:
    def __init__(self, membership, act: Callable[[dict], None], limit: int = MAX_KEPT):
        self.membership = membership
        self.act = act  # acts on a message kept
        self.limit = limit
        # shard -> its messages kept, in order, each with what says it is ours now
        self._kept: dict[int, deque[tuple[dict, Callable[[], bool]]]] = {}
        self._count = 0
        self._full = False

    def __len__(self) -> int:
        return self._count

    def keeps(self, message: dict, shard: int, ours: Callable[[], bool]) -> bool:
        """Keep the message if its shard's lease here is overdue, or if messages of that
        shard are kept already (they go first); `ours()` says, once the lease is renewed,
        whether it is this instance's to act on."""
        queue = self._kept.get(shard)
        if queue is None and not self._overdue(shard):
            return False
        if self._count >= self.limit:
            if not self._full:
                self._full = True
                log.error("fleet: %d messages kept for overdue leases: others dropped", self._count)
            return False
        if queue is None:
            queue = self._kept[shard] = deque()
            if self._count == 0:
                log.warning("fleet: leases overdue for renewal: their messages kept meanwhile")
        queue.append((message, ours))
        self._count += 1
        return True

    def release(self) -> None:
        """A beat renewed the leases (or was refused them): what is kept for a shard held
        again is acted on, in order; what was kept for a shard lost is dropped."""
        acted = dropped = 0
        for shard in [shard for shard in self._kept if not self._overdue(shard)]:
            queue = self._kept[shard]
            while queue:  # one acted on may let others come: those kept behind it go too
                message, ours = queue.popleft()
                self._count -= 1
                if ours():
                    self.act(message)
                    acted += 1
                else:
                    dropped += 1
            del self._kept[shard]
        if acted or dropped:
            self._full = False
            log.warning(
                "fleet: leases renewed: %d messages kept acted on, %d dropped (their shards "
                "another's now); %d still kept",
                acted, dropped, self._count,
            )  # fmt: skip

    def _overdue(self, shard: int) -> bool:
        """Leased here, not yet renewed in time: neither held nor known lost."""
        return shard in self.membership.leases and not self.membership.holds(shard)
