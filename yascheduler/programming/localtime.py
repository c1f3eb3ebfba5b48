"""Wall-clock time in a radio's zone: the only place time zones are handled."""

import logging
import math
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger("yascheduler.programming")

# Every UTC offset in use today is a whole number of quarter hours, so the
# top of a local hour always falls on a UTC quarter hour.
QUARTER_HOUR = 900.0
HOUR = 3600.0


def radio_zone(timezone: str | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone or default)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("unknown time zone %r, using %s", timezone, default)
        return ZoneInfo(default)


def local_date(instant: float, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(instant, zone).date()


def wall_clock_instant(day: date, wall: time, zone: ZoneInfo) -> float:
    """The instant the clocks of `zone` show `wall` on `day`.

    A time shown twice (autumn) is taken the first time; a time skipped
    (spring) is taken as the end of the skipped stretch, when clocks resume.
    """
    local = datetime.combine(day, wall, tzinfo=zone)
    instant = local.timestamp()
    if datetime.fromtimestamp(instant, zone).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    return _end_of_gap(local.replace(fold=1).timestamp(), instant, zone)


def _end_of_gap(before: float, after: float, zone: ZoneInfo) -> float:
    """The instant of the offset change between `before` and `after` (whole seconds)."""
    low, high = math.floor(before), math.ceil(after)
    new_offset = datetime.fromtimestamp(high, zone).utcoffset()
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return float(high)


def next_top_of_hour(zone: ZoneInfo, instant: float) -> float:
    """The first instant strictly after `instant` when the local minute turns to :00."""
    candidate = math.floor(instant / QUARTER_HOUR) * QUARTER_HOUR + QUARTER_HOUR
    for _ in range(8):
        local = datetime.fromtimestamp(candidate, zone)
        if local.minute == 0 and local.second == 0:
            return candidate
        candidate += QUARTER_HOUR
    return candidate  # a historical offset that is not in quarter hours


def offset_changes(zone: ZoneInfo, start: float, end: float) -> list[tuple[float, float, float]]:
    """The zone's clock changes between `start` and `end`: (instant, UTC offset before,
    offset after), offsets in seconds. Zones change at most a few times a year, hours
    apart: looking hour by hour finds each."""
    changes, at = [], start
    before = _offset(zone, at)
    while at < end:
        step = min(at + HOUR, end)
        after = _offset(zone, step)
        if after != before:
            changes.append((_end_of_gap(at, step, zone), before, after))
        at, before = step, after
    return changes


def _offset(zone: ZoneInfo, instant: float) -> float:
    return datetime.fromtimestamp(instant, zone).utcoffset().total_seconds()
