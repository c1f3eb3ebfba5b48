"""The last hour in figures, for the dashboard's charts: a ring of samples in memory.

Every INTERVAL seconds a sample is taken: how late the plays sent since the
last sample were (their p50, p99 and worst), how many were sent, the
listeners in all, and the listeners of each radio among the RADIOS_KEPT
most listened (a platform has up to hundreds of thousands of radios: an
hour of every one would not fit). A radio left out of a sample that left
some out is unknown there (None), one missing from a sample that kept
them all had none. Nothing is stored: the charts start afresh at a restart.
"""

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

INTERVAL = 10.0  # seconds between two samples
WINDOW = 3600.0  # seconds of samples kept
RADIOS_KEPT = 200  # radios whose listeners one sample keeps, the most listened


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    plays: int
    lateness_p50_ms: float | None
    lateness_p99_ms: float | None
    lateness_max_ms: float | None
    listeners: int
    radio_listeners: dict[str, int]  # of the most listened radios
    every_radio: bool  # radio_listeners has every radio listened to

    def listeners_of(self, radio_uuid: str) -> int | None:
        count = self.radio_listeners.get(radio_uuid)
        if count is None and self.every_radio:
            return 0
        return count


class Series:
    """A part of the service (support.supervisor): one sample a turn."""

    name = "series-sampler"
    wakeup = None  # a turn every INTERVAL seconds, whatever happens

    def __init__(
        self,
        clock,
        lateness_after: Callable[[float], dict],
        radio_listeners: Callable[[], dict[str, int]],
        interval: float = INTERVAL,
        window: float = WINDOW,
        radios_kept: int = RADIOS_KEPT,
    ):
        """`lateness_after(instant)`: the play lateness summary of the sends after
        `instant` (programming.lateness.LatenessMeter.after); `radio_listeners()`: radio
        uuid -> its open sessions, of the radios listened to."""
        self._clock = clock
        self._lateness_after = lateness_after
        self._radio_listeners = radio_listeners
        self.interval, self.window = interval, window
        self._radios_kept = radios_kept
        self._samples: deque[Sample] = deque(maxlen=int(window // interval) + 1)

    def loop(self) -> float:
        self.sample()
        return self.interval

    def sample(self) -> Sample:
        """Take a sample now: the plays sent since the last one (the first: in the last
        `interval`)."""
        now = self._clock.now()
        since = self._samples[-1].at if self._samples else now - self.interval
        late = self._lateness_after(since)
        counts = self._radio_listeners()
        kept = counts
        if len(counts) > self._radios_kept:
            kept = dict(heapq.nlargest(self._radios_kept, counts.items(), key=lambda kv: kv[1]))
        sample = Sample(
            at=now,
            plays=late["count"],
            lateness_p50_ms=late["p50_ms"],
            lateness_p99_ms=late["p99_ms"],
            lateness_max_ms=late["max_ms"],
            listeners=sum(counts.values()),
            radio_listeners=kept,
            every_radio=kept is counts,
        )
        self._samples.append(sample)
        self._forget_before(now - self.window)
        return sample

    def samples(self) -> list[Sample]:
        """The samples of the last `window` seconds, oldest first."""
        self._forget_before(self._clock.now() - self.window)
        return list(self._samples)

    def _forget_before(self, instant: float) -> None:
        while self._samples and self._samples[0].at < instant:
            self._samples.popleft()
