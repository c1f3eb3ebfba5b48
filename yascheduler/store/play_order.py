"""A radio's play records in the order of their starts, from stored documents that each
hold several (packed_plays.py): hours read in the order of their newest start, and the
records of the turns not gathered yet, all merged, each record once.

An hour's records all started within SPAN before its newest (`started_at`), so while
reading hours newest first, a record later than the next hour's newest can come no
more from those after it, and goes; oldest first, a record earlier than the next
hour's newest less SPAN goes. A record may be stored twice for a while (in a turn and
in the hour gathering it, until the turn is deleted; in two hours gathered at once by
two instances): the same start of the same radio is the same record, given once.
"""

import heapq
from collections.abc import Iterable, Iterator

from .packed_plays import SPAN, rows_of


def newest_first(hours: Iterable[dict], pending: list[dict], since, until) -> Iterator[dict]:
    """The records started in [since, until) (None: unbounded), newest first, from
    `hours` (newest `started_at` first) and `pending` (the turns' records)."""
    return _merged(hours, pending, since, until, newest=True)


def oldest_first(hours: Iterable[dict], pending: list[dict], since, until) -> Iterator[dict]:
    """The same, oldest first, `hours` read oldest `started_at` first."""
    return _merged(hours, pending, since, until, newest=False)


def _merged(hours, pending, since, until, newest: bool) -> Iterator[dict]:
    sign = -1.0 if newest else 1.0
    heap: list[tuple[float, int, dict]] = []
    count = 0

    def push(rows) -> None:
        nonlocal count
        for row in rows:
            at = row["started_at"]
            if (since is None or at >= since) and (until is None or at < until):
                count += 1
                heapq.heappush(heap, (sign * at, count, row))

    push(pending)
    given = None
    for hour in hours:
        # what the hours from this one on can still hold, in the heap's order
        bound = sign * (hour["started_at"] if newest else hour["started_at"] - SPAN)
        while heap and heap[0][0] < bound:
            given = yield from _give(heapq.heappop(heap), given)
        push(rows_of(hour))
    while heap:
        given = yield from _give(heapq.heappop(heap), given)


def _give(entry: tuple[float, int, dict], given: float | None):
    """Yield the entry's record unless it repeats the one given just before; the key of
    the last given."""
    key, _, row = entry
    if key != given:
        yield row
    return key
