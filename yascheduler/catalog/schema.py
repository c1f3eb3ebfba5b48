"""The catalog of CATALOG.md, typed once: each field with its type, its default and its rule.

A rule is a msgspec constraint (`rule(problem, ...)`) that carries the
problem an import reports when a value breaks it. From these types come:

- the import's validation: entries.py reads a catalog document into them
  with msgspec (in C), and problems.py turns msgspec's errors into
  `CatalogError`s with CATALOG.md's paths and words;
- the stored form: `stored(...)` gives the dicts the radios and users
  collections hold, shaped as store/models.py declares them (defaults
  written, absent values left out);
- the engine's in-memory view: `radio_from_stored` builds these same frozen
  structs straight from a stored dict. They are slotted and untracked by
  the garbage collector (gc=False: they hold no cycles), and the strings
  that repeat across radios (artists, titles, names, zones) are shared:
  100,000 radios live in memory.

The few rules that no constraint expresses (a known time zone, a day or an
id only once, max_wait only with a soft start, valid Unicode) are checked
by entries.py with the problems written here.
"""

import functools
import sys
from datetime import UTC, datetime
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType
from msgspec.structs import force_setattr

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
        pattern=r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$",
    ),
]
Weekday = Annotated[Literal[WEEKDAYS], one_of("day", WEEKDAYS)]
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
    last_play_time: float | None = None  # epoch seconds; the file says ISO 8601 (epoch_time)


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


RADIO_FIELDS = ("name", "ready", "timezone")  # what a radio entry changes when present
_radio_types = get_type_hints(Radio, include_extras=True)
# Each of Radio's fields, UNSET when absent (the stored value stays); playlists and
# jingles are read one by one (entries.py), as each may be a deletion.
RadioChanges = msgspec.defstruct(
    "RadioChanges",
    [(name, _radio_types[name] | UnsetType, UNSET) for name in RADIO_FIELDS]
    + [("playlists", list[Any], []), ("jingles", list[Any], [])],
    kw_only=True,
)


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


# --- the stored form and the engine's view -------------------------------------------


def stored(value: Struct) -> dict:
    """The document the store holds for `value`: its fields, defaults included, absent
    values (None) left out, lists as lists, as MongoEngine's to_mongo() gives them."""
    return _stored(type(value), msgspec.to_builtins(value))


def stored_user(user: User) -> dict:
    document = stored(user)
    return {"_id": document.pop("id"), **document}


def new_radio(uuid: str) -> dict:
    """The stored form of a radio the store does not have yet, before its entry applies."""
    return stored(Radio(uuid=uuid))


def _stored(kind: type, document: dict) -> dict:
    document = {key: value for key, value in document.items() if value is not None}
    for name, item_kind, many in _nested(kind):
        value = document.get(name)
        if value is None:
            continue
        if not many:
            document[name] = _stored(item_kind, value)
        elif item_kind is None:
            document[name] = list(value)
        else:
            document[name] = [_stored(item_kind, item) for item in value]
    return document


@functools.cache
def _nested(kind: type) -> tuple[tuple[str, type | None, bool], ...]:
    """The fields of a struct kind that hold a struct or a tuple: (stored name, the struct
    kind within or None, whether a tuple)."""
    nested = []
    hints = get_type_hints(kind)
    for name, stored_name in zip(kind.__struct_fields__, kind.__struct_encode_fields__):
        hint = _without_none(hints[name])
        many = get_origin(hint) is tuple
        inner = _without_none(get_args(hint)[0]) if many else hint
        # a tagged union (the jingle schedule): its structs are stored alike, none nested
        structs = [m for m in get_args(inner) or (inner,) if isinstance(m, type)]
        structs = [m for m in structs if issubclass(m, Struct)]
        if many or structs:
            nested.append((stored_name, structs[0] if structs else None, many))
    return tuple(nested)


def _without_none(hint):
    """X for `X | None`; the hint itself otherwise."""
    if get_origin(hint) in (Union, UnionType):
        members = [member for member in get_args(hint) if member is not type(None)]
        if len(members) == 1:
            return members[0]
    return hint


def radio_from_stored(document: dict) -> Radio:
    """The engine's view of a radio from its stored document (msgspec.ValidationError if
    it breaks the schema)."""
    return _shared(msgspec.convert(document, Radio))


def _shared(radio: Radio) -> Radio:
    """The radio, its repeated strings replaced by one shared copy of each."""
    share = sys.intern
    if radio.timezone is not None:
        force_setattr(radio, "timezone", share(radio.timezone))
    for playlist in radio.playlists:
        force_setattr(playlist, "name", share(playlist.name))
        for song in playlist.songs:
            if song.artist is not None:
                force_setattr(song, "artist", share(song.artist))
            if song.title is not None:
                force_setattr(song, "title", share(song.title))
    for jingle in radio.jingles:
        force_setattr(jingle, "filename", share(jingle.filename))
        if jingle.name is not None:
            force_setattr(jingle, "name", share(jingle.name))
    return radio
