"""The engine's timed events: at most one pending per radio, the soonest first.

A heap of (at, seq, key, kind) entries. A radio's new event leaves its old
entry in the heap, stale, to be dropped when it reaches the top (lazy
invalidation): scheduling costs one push, and nothing is ever searched for.
An entry is current while it is its key's entry in `_pending`; `seq` keeps
events at the same instant in the order they were scheduled. Pure: the
caller says what time it is.
"""

import heapq
import itertools

Entry = tuple[float, int, str, str]  # (at, seq, key, kind)


class EventQueue:
    def __init__(self):
        self._heap: list[Entry] = []
        self._pending: dict[str, Entry] = {}
        self._seq = itertools.count(1)

    def __len__(self) -> int:
        """How many events are pending (one per key at most)."""
        return len(self._pending)

    def push(self, key: str, at: float, kind: str) -> None:
        """Schedule `kind` for `key` at `at`, in place of the key's pending event."""
        entry = (at, next(self._seq), key, kind)
        self._pending[key] = entry
        heapq.heappush(self._heap, entry)

    def cancel(self, key: str) -> None:
        """The key has no pending event any more (none is fine)."""
        self._pending.pop(key, None)

    def pending(self, key: str) -> tuple[float, str] | None:
        """The key's pending event as (at, kind), or None."""
        entry = self._pending.get(key)
        return None if entry is None else (entry[0], entry[3])

    def is_due(self, now: float) -> bool:
        self._drop_stale()
        return bool(self._heap) and self._heap[0][0] <= now

    def pop_due(self, now: float) -> tuple[str, str, float] | None:
        """The soonest event due at `now`, as (key, kind, at), no longer pending; None if
        none is due."""
        if not self.is_due(now):
            return None
        at, _, key, kind = heapq.heappop(self._heap)
        del self._pending[key]
        return key, kind, at

    def wait(self, now: float) -> float | None:
        """Seconds from `now` until the soonest event (0 if it is due); None if none."""
        self._drop_stale()
        if not self._heap:
            return None
        return max(0.0, self._heap[0][0] - now)

    def pending_events(self, limit: int) -> list[tuple[float, str, str]]:
        """The `limit` soonest pending events, as (at, key, kind).

        Walks the heap in order from its root, skipping stale entries: about
        limit * log(limit) steps, whatever the number of keys.
        """
        heap, found = self._heap, []
        frontier = [(heap[0], 0)] if heap else []
        while frontier and len(found) < limit:
            entry, index = heapq.heappop(frontier)
            if self._pending.get(entry[2]) is entry:
                found.append((entry[0], entry[2], entry[3]))
            for child in (2 * index + 1, 2 * index + 2):
                if child < len(heap):
                    heapq.heappush(frontier, (heap[child], child))
        return found

    def _drop_stale(self) -> None:
        """Pop stale entries off the top, until the soonest is current."""
        heap, pending = self._heap, self._pending
        while heap and pending.get(heap[0][2]) is not heap[0]:
            heapq.heappop(heap)
