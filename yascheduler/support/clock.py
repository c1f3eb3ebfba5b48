"""Time as an injected dependency, so that tests can drive it.

Times are UTC epoch seconds (floats) everywhere inside yascheduler; local
wall-clock only appears where a radio's time zone matters (shows, hours)
and in what is shown to people or sent to the web app.
"""

import time


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: float = 1_800_000_000.0):
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not go back")
        self._now += seconds

    def set(self, when: float) -> None:
        if when < self._now:
            raise ValueError("a clock does not go back")
        self._now = float(when)
