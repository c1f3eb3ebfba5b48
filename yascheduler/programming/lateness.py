"""How late plays are sent against the instant they were planned for."""

import time
from array import array
from collections import deque
from collections.abc import Callable

from yascheduler.support.stats import summary

WINDOW = 1000
RECENT_SECONDS = 60.0
# bounds the memory of recent(): at most this many sends are summarised
RECENT_CAP = 100_000


class LatenessMeter:
    def __init__(
        self,
        window: int = WINDOW,
        observe: Callable[[float], None] | None = None,
        clock=None,
        recent_seconds: float = RECENT_SECONDS,
    ):
        self._samples: deque[float] = deque(maxlen=window)
        self._observe = observe
        self._now = clock.now if clock is not None else time.time
        self._recent_seconds = recent_seconds
        # each send of the recent window, from index _first on: when it was sent, and how
        # late. Two arrays of doubles (16 bytes a send), not a deque of (sent at, lateness)
        # tuples (112 bytes a send: ~11 MB over the window at 100,000 radios)
        self._sent_at = array("d")
        self._late = array("d")
        self._first = 0

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)
        now = self._now()
        self._sent_at.append(now)
        self._late.append(seconds)
        self._forget_before(now - self._recent_seconds)
        if self._observe is not None:
            self._observe(seconds)

    def summary(self) -> dict:
        """{"count", "p50_ms", "p99_ms", "max_ms"} over the last sends; None before any."""
        return _summarise(self._samples)

    def recent(self, seconds: float | None = None) -> dict:
        """summary() over the sends of the last `seconds` (the meter's recent window, 60 s)."""
        seconds = self._recent_seconds if seconds is None else min(seconds, self._recent_seconds)
        now = self._now()
        self._forget_before(now - self._recent_seconds)
        since = now - seconds
        return {
            "seconds": seconds,
            **_summarise(self._late_since(since)),
        }

    def after(self, instant: float) -> dict:
        """summary() over the sends after `instant` (within the meter's recent window): a
        send at `instant` itself was counted by whoever asked for that instant."""
        self._forget_before(self._now() - self._recent_seconds)
        return _summarise(self._late_since(instant, including=False))

    def _late_since(self, instant: float, including: bool = True) -> list[float]:
        kept = zip(self._sent_at[self._first :], self._late[self._first :])
        if including:
            return [late for at, late in kept if at >= instant]
        return [late for at, late in kept if at > instant]

    def _forget_before(self, instant: float) -> None:
        sent_at, first = self._sent_at, self._first
        while first < len(sent_at) and sent_at[first] < instant:
            first += 1
        first = max(first, len(sent_at) - RECENT_CAP)
        if first > len(sent_at) // 2:  # the forgotten half goes: amortised, a send at a time
            del sent_at[:first]
            del self._late[:first]
            first = 0
        self._first = first


def _summarise(values) -> dict:
    """summary() in milliseconds, under the names the API has always used."""
    figures = summary(values, scale=1000.0)
    return {
        "count": figures["count"],
        "p50_ms": figures["p50"],
        "p99_ms": figures["p99"],
        "max_ms": figures["max"],
    }
