"""Quantiles of samples: the one way every figure yascheduler reports is summarised."""

from collections.abc import Iterable


def summary(samples: Iterable[float], scale: float = 1.0, digits: int = 3) -> dict:
    """{"count", "p50", "p99", "max"} of the samples times `scale`, rounded to `digits`
    (None for each quantile when there are no samples). A quantile is the sample at
    the nearest rank, so every figure is a value that was observed."""
    ordered = sorted(samples)
    if not ordered:
        return {"count": 0, "p50": None, "p99": None, "max": None}

    def at(q: float) -> float:
        return round(ordered[round(q * (len(ordered) - 1))] * scale, digits)

    return {"count": len(ordered), "p50": at(0.5), "p99": at(0.99), "max": at(1.0)}
