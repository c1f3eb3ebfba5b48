"""What a radio will play: a dry run of the engine itself on a copy of the radio.

The live engine copies the radio's state under its lock (Programmer.copy_of_radio:
its timeline, play history, rotation queues, jingle counters and show
positions, its pending event, and a random generator set where the live one
is, read without advancing it). A second Programmer, of its own, adopts the
copy and runs on a simulated clock, jumping from event to event, with a
player that plays nothing and a store that keeps nothing: the choices are
the engine's, made by its own code; the live radio is never touched.

Ordered shows, jingles, hours and show starts come out as the engine will
play them while the catalog stays as it is. Songs chosen at random are a
prediction: the live engine draws for every radio from one generator, so
other radios' choices (and a catalog import) change them.
"""

import contextvars
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from yascheduler.support.clock import FakeClock
from yascheduler.support.errors import ParameterError
from yascheduler.support.turns import take_turns

from .engine import EVENTS_PER_TURN, Programmer
from .preview_items import clock_changes, items, local_iso
from .state import RadioCopy, RadioState
from .timeline import Segment

HOUR = 3600.0
MAX_HOURS = 168
MAX_AHEAD_HOURS = 168  # how far ahead `start` may be
PREDICTION = (
    "a dry run of the engine on a copy of the radio: ordered shows, jingles, hours and show "
    "starts are what the radio will play while its catalog stays as it is; songs chosen at "
    "random (the default playlist, random shows) are a prediction, since every radio's "
    "choices draw from one random generator"
)


# set while a dry run runs, in its greenlet alone: what its engine logs (a show on
# air, a radio broken) did not happen, and stays out of the operator's log
DRY_RUN = contextvars.ContextVar("yascheduler_dry_run", default=False)


class LiveOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not DRY_RUN.get()


logging.getLogger("yascheduler.programming").addFilter(LiveOnly())


def preview(programmer: Programmer, uuid: str, start=None, hours: float = 24) -> dict | None:
    """What the radio will play from `start` (epoch seconds; a datetime, naive in the
    radio's time zone; None or a past time: now) for `hours`; None if not programmed."""
    copy = programmer.copy_of_radio(uuid)
    if copy is None:
        return None
    token = DRY_RUN.set(True)
    try:
        return _dry_run(copy, uuid, start, hours)
    finally:
        DRY_RUN.reset(token)


def planned_starts(
    programmer: Programmer, uuid: str, song_ids, hours: float = 24
) -> tuple[ZoneInfo, dict[int, float]] | None:
    """(the radio's zone, {song id: when it first starts from now}) for `song_ids`, from a
    dry run that ends once they have all started, or after `hours` (one that has not is
    left out); None if the radio is not programmed."""
    copy = programmer.copy_of_radio(uuid)
    if copy is None:
        return None
    record = Watch(set(song_ids), copy.at)
    token = DRY_RUN.set(True)
    try:
        _run(copy, record, copy.at + hours * HOUR, record.all_found)
    finally:
        DRY_RUN.reset(token)
    return copy.state.zone, record.found


def _dry_run(copy: RadioCopy, uuid: str, start, hours: float) -> dict:
    zone, now = copy.state.zone, copy.at
    begin = max(now, _instant(start, zone) if start is not None else now)
    if begin > now + MAX_AHEAD_HOURS * HOUR:
        raise ParameterError("from", f"at most {MAX_AHEAD_HOURS} hours ahead")
    until = begin + hours * HOUR
    record = Record()
    state = _run(copy, record, until)
    radio = state.radio
    changes = clock_changes(radio, zone, begin, until)
    return {
        "radio": uuid,
        "name": radio.name,
        "timezone": zone.key,
        "from": begin,
        "from_local": local_iso(begin, zone),
        "until": until,
        "until_local": local_iso(until, zone),
        "hours": hours,
        "prediction": PREDICTION,
        "items": items(radio, zone, copy.settings, record, state.timeline, begin, until, changes),
        "clock_changes": changes,
    }


def _run(copy: RadioCopy, record: "Record", until: float, done=None) -> RadioState:
    """An engine of its own plays the copy until `until` (or until done() is true),
    telling `record`."""
    clock = FakeClock(copy.at)
    dry = Programmer(clock, Silent(), copy.settings, Discarded(), copy.rng, observer=record)
    state = dry.adopt(copy)
    if state.timeline.broken:
        record.radio_broke(state.uuid, copy.at)
    elif state.timeline.current is not None:
        record.segments.append(state.timeline.current)  # playing now: it started before
    for _ in take_turns(itertools.count(), EVENTS_PER_TURN):  # the live loop gets its turns
        wait = dry.run_due()
        if wait is None or clock.now() + wait >= until or (done is not None and done()):
            break
        clock.advance(wait)
    return state


@dataclass
class Record:
    """What the dry run's engine tells (interface.ScheduleObserver), kept for the items."""

    segments: list[Segment] = field(default_factory=list)
    # segment start -> what was told when it was chosen: (what, details...)
    notes: dict[float, list[tuple]] = field(default_factory=dict)
    broken: list[list] = field(default_factory=list)  # [from, until or None]

    def started(self, radio_uuid: str, segment: Segment) -> None:
        self.segments.append(segment)

    def show_started(self, radio_uuid, playlist_id, planned_at, at, cut) -> None:
        self.notes.setdefault(at, []).append(("show_start", playlist_id, planned_at, cut))

    def rule_broken(self, radio_uuid, song_id, at, rule) -> None:
        self.notes.setdefault(at, []).append(("rule_broken", rule))

    def repeated(self, radio_uuid, song_id, at, seconds) -> None:
        self.notes.setdefault(at, []).append(("repeat", seconds))

    def radio_broke(self, radio_uuid, at) -> None:
        self.broken.append([at, None])

    def radio_mended(self, radio_uuid, at) -> None:
        if self.broken and self.broken[-1][1] is None:
            self.broken[-1][1] = at


class Watch(Record):
    """A Record that notes when each of `song_ids` first starts from `since`."""

    def __init__(self, song_ids: set[int], since: float):
        super().__init__()
        self.song_ids, self.since = song_ids, since
        self.found: dict[int, float] = {}

    def started(self, radio_uuid: str, segment: Segment) -> None:
        if segment.song_id in self.song_ids and segment.starts_at >= self.since:
            self.found.setdefault(segment.song_id, segment.starts_at)

    def all_found(self) -> bool:
        return len(self.found) == len(self.song_ids)


class Silent:
    """The dry run's player: nothing is sent, nothing reported."""

    def play(self, radio_uuid, command, due_at=None) -> None:
        pass

    def song_started(self, radio_uuid, song_id, started_at) -> None:
        pass


class Discarded:
    """The dry run's timeline store: keeps nothing."""

    def load_all(self, decode) -> dict:
        return {}

    def save(self, radio_uuid, changes) -> None:
        pass

    def insert(self, timelines) -> None:
        pass

    def delete(self, radio_uuid) -> None:
        pass


def _instant(start, zone) -> float:
    if isinstance(start, datetime):
        return (start if start.tzinfo else start.replace(tzinfo=zone)).timestamp()
    return float(start)
