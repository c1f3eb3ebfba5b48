"""Reading a catalog file's entries: each checked against the rules of CATALOG.md.

Plain dict/list code. The first broken entry raises `CatalogError(path,
problem)`, with a path such as `radios[3].playlists[0].songs[12].duration`.
What is checked here is the file alone; catalog.py checks it against the
store and writes it.

Entries are read into plain dicts shaped like the stored documents (what
MongoEngine's to_mongo() gives: defaults filled in, absent values left out),
so that a catalog of thousands of radios is checked, merged and compared
without building a document object per song.
"""

import functools
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yascheduler.support.errors import CatalogError

MAX_SHOW_DURATION = 7 * 24 * 3600
JINGLE_SCHEDULE_TYPES = ("between_songs", "hourly")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what the store can hold
# the streamer reads user ids as unsigned 32-bit numbers, and 0 means "anonymous"
USER_ID_MIN, USER_ID_MAX = 1, 2**31 - 1
TIME_OF_DAY = re.compile(r"(\d\d):(\d\d):(\d\d)")

_REQUIRED = object()


# --- reading one JSON object ---------------------------------------------------


class _Object:
    """One JSON object of the catalog, read field by field under its path."""

    def __init__(self, value, path: str):
        if not isinstance(value, dict):
            raise CatalogError(path, "must be an object")
        self.value = value
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return self.value.get(key) is not None

    def get(self, key: str, check, default=_REQUIRED):
        """The checked value of `key`; `default` if absent (or an error if required)."""
        if not self.has(key):
            if default is _REQUIRED:
                raise CatalogError(self.at(key), "is required")
            return default
        return check(self.value[key], self.at(key))

    def list(self, key: str, read_item) -> list:
        """`read_item(item, path)` for each item of the list at `key`, which may be absent."""
        if not self.has(key):
            return []
        items = self.value[key]
        if not isinstance(items, list):
            raise CatalogError(self.at(key), "must be a list")
        return [read_item(item, f"{self.at(key)}[{index}]") for index, item in enumerate(items)]


class _Unique:
    """Keys already seen in the file, with where, so a duplicate names both places."""

    def __init__(self, what: str, show_key: bool = True):
        self.what = what
        self.show_key = show_key  # False for secrets, which must not end up in logs
        self.seen: dict = {}

    def claim(self, key, path: str) -> None:
        first = self.seen.setdefault(key, path)
        if first != path:
            shown = f" {key!r}" if self.show_key else ""
            raise CatalogError(path, f"duplicate {self.what}{shown}, also at {first}")


# --- checking one value: (value, path) -> the value to store ---------------------


def _integer(value, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogError(path, "must be an integer")
    if not INT64_MIN <= value <= INT64_MAX:
        raise CatalogError(path, "is out of range")
    return value


def _at_least_one(value, path: str) -> int:
    if _integer(value, path) < 1:
        raise CatalogError(path, "must be >= 1")
    return value


def _number(value, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CatalogError(path, "must be a number")
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise CatalogError(path, "must be a finite number")
    return number


def _positive_number(value, path: str) -> float:
    number = _number(value, path)
    if number <= 0:
        raise CatalogError(path, "must be > 0")
    return number


def _show_duration(value, path: str) -> float:
    number = _positive_number(value, path)
    if number > MAX_SHOW_DURATION:
        raise CatalogError(path, f"must be at most {MAX_SHOW_DURATION} (7 days)")
    return number


def _frequency(value, path: str) -> float:
    number = _number(value, path)
    if not 0 <= number <= 1:
        raise CatalogError(path, "must be between 0 and 1")
    return number


def _boolean(value, path: str) -> bool:
    if not isinstance(value, bool):
        raise CatalogError(path, "must be true or false")
    return value


def _string(value, path: str) -> str:
    if not isinstance(value, str):
        raise CatalogError(path, "must be a string")
    try:
        value.encode()
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"): the store could not write it
        raise CatalogError(path, "must be valid Unicode text") from None
    return value


def _nonempty_string(value, path: str) -> str:
    if not _string(value, path).strip():
        raise CatalogError(path, "must not be empty")
    return value


def _timezone(value, path: str) -> str:
    try:
        ZoneInfo(_nonempty_string(value, path))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory, like "Europe"
        raise CatalogError(path, f"unknown time zone {value!r}") from None
    return value


def _time_of_day(value, path: str) -> str:
    match = TIME_OF_DAY.fullmatch(_string(value, path))
    if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3]) > 59:
        raise CatalogError(path, f"must be HH:MM:SS from 00:00:00 to 23:59:59, not {value!r}")
    return value


def _days(value, path: str) -> list[str]:
    if not isinstance(value, list):
        raise CatalogError(path, "must be a list")
    if not value:
        raise CatalogError(path, "must not be empty")
    seen = _Unique("day")
    for index, day in enumerate(value):
        day_path = f"{path}[{index}]"
        if day not in WEEKDAYS:
            raise CatalogError(day_path, f"unknown day {day!r} (one of {' '.join(WEEKDAYS)})")
        seen.claim(day, day_path)
    return value


def _epoch_time(value, path: str) -> float:
    """An ISO 8601 time as epoch seconds; a time without offset is UTC."""
    try:
        moment = datetime.fromisoformat(_string(value, path))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError):
        raise CatalogError(path, f"must be an ISO 8601 time, not {value!r}") from None


# --- reading the entries, as the store holds them --------------------------------------


def _present(**fields) -> dict:
    """The fields that have a value: a stored document leaves out the others."""
    return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class Deleted:
    """A playlist or jingle entry that removes the one of its id from its radio."""

    id: int | str


@dataclass
class RadioEntry:
    path: str
    uuid: str
    deleted: bool
    fields: dict = field(default_factory=dict)  # name, ready, timezone: those present
    playlists: list[dict] = field(default_factory=list)
    playlist_paths: dict[int, str] = field(default_factory=dict)  # playlist id -> its path
    deleted_playlists: set[int] = field(default_factory=set)
    jingles: list[dict] = field(default_factory=list)
    deleted_jingles: set[str] = field(default_factory=set)


def read_catalog(document: dict) -> tuple[list[tuple[str, dict]], list[RadioEntry]]:
    """The users (with their paths) and the radio entries of a catalog document."""
    top = _Object(document, "")
    return _read_users(top), _read_radios(top)


def _user_id(value, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogError(path, "must be an integer")
    if not USER_ID_MIN <= value <= USER_ID_MAX:
        raise CatalogError(path, f"must be from {USER_ID_MIN} to {USER_ID_MAX}")
    return value


def _read_users(top: _Object) -> list[tuple[str, dict]]:
    ids, usernames = _Unique("user id"), _Unique("username")
    tokens = _Unique("auth token", show_key=False)

    def read_user(value, path):
        entry = _Object(value, path)
        user = {
            "_id": entry.get("id", _user_id),
            "username": entry.get("username", _nonempty_string),
            "api_key": entry.get("api_key", _nonempty_string),
            "hd": entry.get("hd", _boolean, False),
            "auth_tokens": entry.list("auth_tokens", _nonempty_string),
        }
        ids.claim(user["_id"], entry.at("id"))
        usernames.claim(user["username"], entry.at("username"))
        for index, token in enumerate(user["auth_tokens"]):
            tokens.claim(token, f"{entry.at('auth_tokens')}[{index}]")
        return path, user

    return top.list("users", read_user)


def _read_radios(top: _Object) -> list[RadioEntry]:
    # playlist ids are unique across radios, except that a radio may delete one
    # that another radio of the file takes
    uuids, playlist_ids, song_ids = _Unique("uuid"), _Unique("playlist id"), _Unique("song id")

    def read_radio(value, path):
        entry = _Object(value, path)
        uuid = entry.get("uuid", _nonempty_string)
        uuids.claim(uuid, entry.at("uuid"))
        if entry.get("deleted", _boolean, False):
            return RadioEntry(path, uuid, deleted=True)
        radio = RadioEntry(path, uuid, deleted=False)
        for key, check in (("name", _string), ("ready", _boolean), ("timezone", _timezone)):
            if entry.has(key):
                radio.fields[key] = entry.get(key, check)
        read_playlist = functools.partial(
            _read_playlist,
            radio_ids=_Unique("playlist id"),
            file_ids=playlist_ids,
            song_ids=song_ids,
        )
        for playlist_path, playlist in entry.list("playlists", read_playlist):
            if isinstance(playlist, Deleted):
                radio.deleted_playlists.add(playlist.id)
            else:
                radio.playlists.append(playlist)
                radio.playlist_paths[playlist["id"]] = playlist_path
        read_jingle = functools.partial(_read_jingle, ids=_Unique("jingle id"))
        for jingle in entry.list("jingles", read_jingle):
            if isinstance(jingle, Deleted):
                radio.deleted_jingles.add(jingle.id)
            else:
                radio.jingles.append(jingle)
        return radio

    return top.list("radios", read_radio)


def _read_playlist(
    value, path: str, radio_ids: _Unique, file_ids: _Unique, song_ids: _Unique
) -> tuple[str, dict | Deleted]:
    entry = _Object(value, path)
    playlist_id = entry.get("id", _integer)
    radio_ids.claim(playlist_id, entry.at("id"))
    if entry.get("deleted", _boolean, False):
        return path, Deleted(playlist_id)  # its other fields are ignored, as a deleted radio's
    file_ids.claim(playlist_id, entry.at("id"))
    playlist = _present(
        id=playlist_id,
        name=entry.get("name", _nonempty_string),
        enabled=entry.get("enabled", _boolean, True),
        show=entry.get("show", _read_show, None),
        songs=entry.list("songs", functools.partial(_read_song, ids=song_ids)),
    )
    return path, playlist


def _read_show(value, path: str) -> dict:
    entry = _Object(value, path)
    return {
        "days": entry.get("days", _days),
        "time": entry.get("time", _time_of_day),
        "duration": entry.get("duration", _show_duration),
        "random_play": entry.get("random_play", _boolean, False),
        "enabled": entry.get("enabled", _boolean, True),
    }


def _read_song(value, path: str, ids: _Unique) -> dict:
    entry = _Object(value, path)
    song_id = entry.get("id", _integer)
    ids.claim(song_id, entry.at("id"))
    return _present(
        id=song_id,
        filename=entry.get("filename", _nonempty_string),
        duration=entry.get("duration", _positive_number),
        artist=entry.get("artist", _string, None),
        title=entry.get("title", _string, None),
        frequency=entry.get("frequency", _frequency, 0.5),
        enabled=entry.get("enabled", _boolean, True),
        order=entry.get("order", _integer, None),
        last_play_time=entry.get("last_play_time", _epoch_time, None),
    )


def _read_jingle(value, path: str, ids: _Unique) -> dict | Deleted:
    entry = _Object(value, path)
    jingle_id = entry.get("id", _nonempty_string)
    ids.claim(jingle_id, entry.at("id"))
    if entry.get("deleted", _boolean, False):
        return Deleted(jingle_id)
    return _present(
        id=jingle_id,
        name=entry.get("name", _string, None),
        filename=entry.get("filename", _nonempty_string),
        duration=entry.get("duration", _positive_number),
        schedule=entry.list("schedule", _read_jingle_schedule),
    )


def _read_jingle_schedule(value, path: str) -> dict:
    entry = _Object(value, path)
    kind = entry.get("type", _string)
    if kind not in JINGLE_SCHEDULE_TYPES:
        raise CatalogError(
            entry.at("type"), f"unknown type {kind!r} (one of {' '.join(JINGLE_SCHEDULE_TYPES)})"
        )
    if kind == "hourly":
        return {"type": kind}
    return {"type": kind, "range": entry.get("range", _at_least_one)}
