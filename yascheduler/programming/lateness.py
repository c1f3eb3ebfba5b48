"""How late plays are sent against the instant they were planned for."""

import time
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
        self._recent: deque[tuple[float, float]] = deque(maxlen=RECENT_CAP)  # (sent at, lateness)

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)
        now = self._now()
        self._recent.append((now, seconds))
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
            **_summarise([late for at, late in self._recent if at >= since]),
        }

    def after(self, instant: float) -> dict:
        """summary() over the sends after `instant` (within the meter's recent window): a
        send at `instant` itself was counted by whoever asked for that instant."""
        self._forget_before(self._now() - self._recent_seconds)
        return _summarise([late for at, late in self._recent if at > instant])

    def _forget_before(self, instant: float) -> None:
        while self._recent and self._recent[0][0] < instant:
            self._recent.popleft()


def _summarise(values) -> dict:
    """summary() in milliseconds, under the names the API has always used."""
    figures = summary(values, scale=1000.0)
    return {
        "count": figures["count"],
        "p50_ms": figures["p50"],
        "p99_ms": figures["p99"],
        "max_ms": figures["max"],
    }
