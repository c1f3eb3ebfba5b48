"""How late plays are sent against the instant they were planned for."""

from collections import deque
from collections.abc import Callable

WINDOW = 1000


class LatenessMeter:
    def __init__(self, window: int = WINDOW, observe: Callable[[float], None] | None = None):
        self._samples: deque[float] = deque(maxlen=window)
        self._observe = observe

    def add(self, seconds: float) -> None:
        self._samples.append(seconds)
        if self._observe is not None:
            self._observe(seconds)

    def summary(self) -> dict:
        """{"count", "p50_ms", "p99_ms", "max_ms"} over the last sends; times are None before any."""
        samples = sorted(self._samples)
        if not samples:
            return {"count": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
        return {
            "count": len(samples),
            "p50_ms": _ms(_quantile(samples, 0.50)),
            "p99_ms": _ms(_quantile(samples, 0.99)),
            "max_ms": _ms(samples[-1]),
        }


def _quantile(ordered: list[float], q: float) -> float:
    return ordered[round(q * (len(ordered) - 1))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000.0, 3)
