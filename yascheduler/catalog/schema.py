"""The catalog of CATALOG.md, typed once: each field with its type, its default and its rule.

A rule is a msgspec constraint (`rule(problem, ...)`) that carries the
problem an import reports when a value breaks it. The structs are written
in the form the engine holds them (tuples; None for what is absent):
frozen, slotted and untracked by the garbage collector (they hold no
cycles), since 100,000 radios live in memory. forms.py derives from them
the file's form (what an import entry is read into, whose builtins are the
stored document) and builds the view from stored documents; problems.py
turns msgspec's errors into CATALOG.md's paths and words.

The few rules that no constraint expresses (a known time zone, a day or an
id only once, max_wait only with a soft start, valid Unicode) are checked
by entries.py, with the helpers written here.
"""

import sys
from datetime import UTC, datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta, Struct

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
SHOW_STARTS = ("soft", "hard")
JINGLE_SCHEDULE_TYPES = ("between_songs", "hourly")
DEFAULT_PLAYLIST = "default"  # the name of a radio's default playlist
MAX_SHOW_DURATION = 7 * 24 * 3600
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what the store can hold
# the streamer reads user ids as unsigned 32-bit numbers, and 0 means "anonymous"
USER_ID_MIN, USER_ID_MAX = 1, 2**31 - 1
# every number has both bounds, so that msgspec refuses NaN and the infinities
FLOAT_MAX = sys.float_info.max


def rule(problem: str, **constraints) -> Meta:
    """A msgspec constraint and what an import says of a value that breaks it
    (`{value!r}` in `problem` names the value)."""
    return Meta(**constraints, extra={"problem": problem})


def one_of(what: str, choices: tuple[str, ...]) -> Meta:
    return rule(f"unknown {what} {{value!r}} (one of {' '.join(choices)})")


Integer = Annotated[int, rule("is out of range", ge=INT64_MIN, le=INT64_MAX)]
AtLeastOne = Annotated[int, rule("must be >= 1", ge=1), rule("is out of range", le=INT64_MAX)]
UserId = Annotated[
    int, rule(f"must be from {USER_ID_MIN} to {USER_ID_MAX}", ge=USER_ID_MIN, le=USER_ID_MAX)
]
Seconds = Annotated[float, rule("must be > 0", gt=0, le=FLOAT_MAX)]
ShowSeconds = Annotated[
    float,
    rule("must be > 0", gt=0),
    rule(f"must be at most {MAX_SHOW_DURATION} (7 days)", le=MAX_SHOW_DURATION),
]
Frequency = Annotated[float, rule("must be between 0 and 1", ge=0, le=1)]
Name = Annotated[str, rule("must not be empty", pattern=r"\S")]
TimeOfDay = Annotated[
    str,
    rule(
        "must be HH:MM:SS from 00:00:00 to 23:59:59, not {value!r}",
        pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\Z",  # \Z: $ allows a newline
    ),
]
Weekday = Annotated[Literal[WEEKDAYS], one_of("day", WEEKDAYS)]
# held and stored as epoch seconds, given by a file as ISO 8601 text (forms.IsoTime)
FROM_ISO_TEXT = Meta(extra={"file_text": "ISO 8601"})
EpochSeconds = Annotated[float, FROM_ISO_TEXT]
ShowStart = Annotated[Literal[SHOW_STARTS], one_of("start", SHOW_STARTS)]


class Frozen(Struct, frozen=True, gc=False):
    """Read-only, slotted, not tracked by the garbage collector."""


class Song(Frozen):
    id: Integer
    filename: Name  # what the streamer plays
    duration: Seconds
    artist: str | None = None
    title: str | None = None
    frequency: Frequency = 0.5
    enabled: bool = True
    order: Integer | None = None  # for ordered shows
    last_play_time: EpochSeconds | None = None


class Show(Frozen):
    days: Annotated[tuple[Weekday, ...], rule("must not be empty", min_length=1)]
    time: TimeOfDay  # wall-clock in the radio's time zone
    duration: ShowSeconds
    random_play: bool = False
    enabled: bool = True
    start: ShowStart = "soft"
    max_wait: Seconds | None = None  # only with a soft start


class Playlist(Frozen):
    id: Integer
    name: Name
    enabled: bool = True  # false: kept, not programmed
    show: Show | None = None
    songs: tuple[Song, ...] = ()


class JingleSchedule(Frozen, tag_field="type"):
    """One entry of a jingle's schedule; its type is its tag."""

    @property
    def type(self) -> str:
        return self.__struct_config__.tag


class BetweenSongs(JingleSchedule, tag="between_songs"):
    range: AtLeastOne  # after every `range` songs


class Hourly(JingleSchedule, tag="hourly"):
    """At the top of every hour, interrupting the song, which then resumes."""


Schedule = Annotated[BetweenSongs | Hourly, one_of("type", JINGLE_SCHEDULE_TYPES)]


class Jingle(Frozen, kw_only=True):
    id: Name
    name: str | None = None
    filename: Name
    duration: Seconds
    schedule: tuple[Schedule, ...] = ()


class Radio(Frozen):
    uuid: Name = msgspec.field(name="_id")
    name: str | None = None
    ready: bool = True  # not ready: not programmed, unknown to play_radio
    timezone: Name | None = None  # None: the scheduler's configured zone
    playlists: tuple[Playlist, ...] = ()
    jingles: tuple[Jingle, ...] = ()


class User(Frozen):
    id: UserId
    username: Name
    api_key: Name
    hd: bool = False
    auth_tokens: tuple[Name, ...] = ()


# --- what an import entry holds besides the stored fields -----------------------------


# An entry's id and whether it deletes what it names (then its other fields are ignored),
# read before the entry itself.


class RadioRef(Struct):
    uuid: Name
    deleted: bool = False


class PlaylistRef(Struct):
    id: Integer
    deleted: bool = False


class JingleRef(Struct):
    id: Name
    deleted: bool = False


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, like "Europe"
        return False
    return True


def epoch_time(text: str) -> float:
    """An ISO 8601 time as epoch seconds; a time without offset is UTC. ValueError if not one."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except OverflowError:
        raise ValueError(text) from None
