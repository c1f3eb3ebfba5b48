"""How well the radios keep to their schedule: what /api/status and the metrics show.

The engine tells it (interface.ScheduleObserver): how late each show's
first song starts against the show's time, which separation rule a
rotation choice had to break for want of a song that kept it, each song
chosen again within the repeat window, and when a radio breaks (nothing
to play: dead air) and recovers. Kept in memory: the figures count from
the service's start.
"""

from collections import Counter, deque
from collections.abc import Callable

from yascheduler.support.stats import summary

from .rotation import RULES

WINDOW = 1000  # show starts summarised


class AdherenceMeter:
    def __init__(self, clock, observe_show_lateness: Callable[[float], None] | None = None):
        self._clock = clock
        self._observe_show_lateness = observe_show_lateness
        self._show_lateness: deque[float] = deque(maxlen=WINDOW)
        self.rules_broken = Counter({rule: 0 for rule in RULES})
        self.repeats = 0
        self._broken_since: dict[str, float] = {}  # radio uuid -> when it broke
        self._broken_seconds = 0.0  # of the radios since recovered

    # --- told by the engine ------------------------------------------------------------

    def started(self, radio_uuid: str, segment) -> None:
        pass  # what starts is the timeline's; only the schedule's departures count here

    def show_started(
        self, radio_uuid: str, playlist_id: int, planned_at: float, at: float, cut: str | None
    ) -> None:
        lateness = max(0.0, at - planned_at)
        self._show_lateness.append(lateness)
        if self._observe_show_lateness is not None:
            self._observe_show_lateness(lateness)

    def rule_broken(self, radio_uuid: str, song_id: int, at: float, rule: str) -> None:
        self.rules_broken[rule] += 1

    def repeated(self, radio_uuid: str, song_id: int, at: float, seconds: float) -> None:
        self.repeats += 1

    def radio_broke(self, radio_uuid: str, at: float) -> None:
        self._broken_since.setdefault(radio_uuid, at)

    def radio_mended(self, radio_uuid: str, at: float) -> None:
        since = self._broken_since.pop(radio_uuid, None)
        if since is not None:
            self._broken_seconds += max(0.0, at - since)

    # --- read ------------------------------------------------------------------------------

    def broken_seconds(self) -> float:
        """Seconds radios spent broken, those broken now counted up to now."""
        now = self._clock.now()
        ongoing = sum(max(0.0, now - since) for since in self._broken_since.values())
        return self._broken_seconds + ongoing

    def summary(self) -> dict:
        lateness = summary(self._show_lateness)
        return {
            "show_start_lateness": {
                "count": lateness["count"],
                "p50_seconds": lateness["p50"],
                "p99_seconds": lateness["p99"],
                "max_seconds": lateness["max"],
            },
            "separation_rules_broken": dict(self.rules_broken),
            "broken_radio_seconds": round(self.broken_seconds(), 3),
            "repeats_within_3h": self.repeats,
        }
