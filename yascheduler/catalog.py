"""The catalog import: radios, playlists, songs, shows, jingles and users.

The format is described in CATALOG.md. An import runs in two stages:

1. Validation, with plain dict/list code: every entry against the rules
   of the format, then the whole file against what is already stored
   (loaded with one query for users and one for radios). The first broken
   entry raises `CatalogError(path, problem)`, with a path such as
   `radios[3].playlists[0].songs[12].duration`, and nothing is written.
2. Writing, straight to the collections: new documents inserted in one
   batch, changed ones replaced one by one, deleted ones removed in one
   batch. Documents the import leaves as they were are not written.

Upsert semantics:

- Users upsert by `id`: a user the file names is replaced whole (fields
  it leaves out take their defaults).
- `{"uuid": X, "deleted": true}` deletes radio X (its other fields are
  ignored). A radio that is not stored is simply not reported as deleted.
  Only the Radio document goes: runtime documents are left to their owners.
- Any other radio entry creates the radio or updates it: `name`, `ready`
  and `timezone`, when present, replace the stored values; when absent,
  the stored values stay (defaults for a new radio). `playlists` and
  `jingles` upsert by id within the radio: an entry replaces that whole
  playlist or jingle (songs and show included); those it does not name
  stay, in place. New ones are added after them, in file order.
- A `null` value is the same as an absent field.
- Uniqueness (usernames, auth tokens, playlist ids, one `default` playlist
  per radio) is checked on the state the import leads to: a playlist id
  may move from a radio the same file deletes, two users may swap
  usernames.
- A user or radio the file names exactly as stored is neither written nor
  reported, so importing the same file twice changes nothing.

Unknown keys are ignored everywhere; known keys with a wrong type are not.
"""

import functools
import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mongoengine import Q

from . import models
from .errors import CatalogError

DEFAULT_PLAYLIST = "default"
MAX_SHOW_DURATION = 7 * 24 * 3600
JINGLE_SCHEDULE_TYPES = ("between_songs", "hourly")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # what the store can hold
TIME_OF_DAY = re.compile(r"(\d\d):(\d\d):(\d\d)")

_REQUIRED = object()

# Store I/O yields to other greenlets: two imports (HTTP requests) must not
# both check against the same stored state and then both write. (After the
# gevent patch, threading.Lock is a greenlet lock.)
_one_import_at_a_time = threading.Lock()


@dataclass
class CatalogChange:
    stored_radios: list[dict]  # created or changed by the import, as now stored (ready or not)
    deleted: list[str]  # uuids of radios removed by the import
    users: int  # how many users were created or replaced

    @cached_property
    def radios(self) -> list[models.Radio]:
        """The created or changed radios as documents, built when first asked for."""
        # _from_son: the public way, from_json(), would go through JSON text
        return [models.Radio._from_son(radio) for radio in self.stored_radios]

    def summary(self) -> str:
        return (
            f"{len(self.stored_radios)} radios created or changed, {len(self.deleted)} deleted, "
            f"{self.users} users"
        )


def parse_catalog(data: bytes | str) -> dict:
    """Decode a catalog file's text; the rules are checked by the import."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise CatalogError("", f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise CatalogError("", "must be a JSON object")
    return document


def import_catalog(data: bytes | str | dict) -> CatalogChange:
    """Validate the whole catalog, then write it; a broken one writes nothing."""
    document = data if isinstance(data, dict) else parse_catalog(data)
    top = _Object(document, "")
    user_entries = _read_users(top)
    radio_entries = _read_radios(top)
    with _one_import_at_a_time:
        user_plan = _plan_users(user_entries)
        radio_plan = _plan_radios(radio_entries)
        user_plan.write()
        radio_plan.write()
    return CatalogChange(
        stored_radios=radio_plan.to_save,
        deleted=radio_plan.to_delete,
        users=len(user_plan.to_save),
    )


def load_catalog_file(path: str | os.PathLike) -> CatalogChange:
    """Import the catalog file at `path`."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise CatalogError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return import_catalog(data)


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
        if day not in models.WEEKDAYS:
            raise CatalogError(
                day_path, f"unknown day {day!r} (one of {' '.join(models.WEEKDAYS)})"
            )
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
#
# Entries are read into plain dicts shaped like the stored documents (what
# MongoEngine's to_mongo() gives: defaults filled in, absent values left out),
# so that a catalog of thousands of radios is checked, merged and compared
# without building a document object per song.


def _present(**fields) -> dict:
    """The fields that have a value: a stored document leaves out the others."""
    return {key: value for key, value in fields.items() if value is not None}


@dataclass
class _RadioEntry:
    path: str
    uuid: str
    deleted: bool
    fields: dict = field(default_factory=dict)  # name, ready, timezone: those present
    playlists: list[dict] = field(default_factory=list)
    playlist_paths: dict[int, str] = field(default_factory=dict)  # playlist id -> its path
    jingles: list[dict] = field(default_factory=list)


def _read_users(top: _Object) -> list[tuple[str, dict]]:
    ids, usernames = _Unique("user id"), _Unique("username")
    tokens = _Unique("auth token", show_key=False)

    def read_user(value, path):
        entry = _Object(value, path)
        user = {
            "_id": entry.get("id", _integer),
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


def _read_radios(top: _Object) -> list[_RadioEntry]:
    uuids, playlist_ids, song_ids = _Unique("uuid"), _Unique("playlist id"), _Unique("song id")

    def read_radio(value, path):
        entry = _Object(value, path)
        uuid = entry.get("uuid", _nonempty_string)
        uuids.claim(uuid, entry.at("uuid"))
        if entry.get("deleted", _boolean, False):
            return _RadioEntry(path, uuid, deleted=True)
        radio = _RadioEntry(path, uuid, deleted=False)
        for key, check in (("name", _string), ("ready", _boolean), ("timezone", _timezone)):
            if entry.has(key):
                radio.fields[key] = entry.get(key, check)
        read_playlist = functools.partial(_read_playlist, ids=playlist_ids, song_ids=song_ids)
        for playlist_path, playlist in entry.list("playlists", read_playlist):
            radio.playlists.append(playlist)
            radio.playlist_paths[playlist["id"]] = playlist_path
        read_jingle = functools.partial(_read_jingle, ids=_Unique("jingle id"))
        radio.jingles = entry.list("jingles", read_jingle)
        return radio

    return top.list("radios", read_radio)


def _read_playlist(value, path: str, ids: _Unique, song_ids: _Unique) -> tuple[str, dict]:
    entry = _Object(value, path)
    playlist_id = entry.get("id", _integer)
    ids.claim(playlist_id, entry.at("id"))
    playlist = _present(
        id=playlist_id,
        name=entry.get("name", _nonempty_string),
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


def _read_jingle(value, path: str, ids: _Unique) -> dict:
    entry = _Object(value, path)
    jingle_id = entry.get("id", _nonempty_string)
    ids.claim(jingle_id, entry.at("id"))
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


# --- checking against the store, and what to write -------------------------------------
#
# The dicts above go straight to the collection: they were validated more
# strictly than MongoEngine would, and save() would first rebuild each one.


def _write_documents(collection, documents: list[dict], stored_ids: set) -> None:
    """Insert the new documents in one batch, replace the stored ones one by one."""
    new = [document for document in documents if document["_id"] not in stored_ids]
    if new:
        collection.insert_many(new)
    for document in documents:
        if document["_id"] in stored_ids:
            collection.replace_one({"_id": document["_id"]}, document)


@dataclass
class _UserPlan:
    to_save: list[dict]
    stored_ids: set[int]
    renamed: list[int]  # ids of stored users whose username changes

    def write(self) -> None:
        users = models.User._get_collection()
        # Renamed users are removed, then inserted anew, so that users
        # swapping usernames never meet the unique index on the way.
        if self.renamed:
            users.delete_many({"_id": {"$in": self.renamed}})
        _write_documents(users, self.to_save, self.stored_ids - set(self.renamed))


def _plan_users(entries: list[tuple[str, dict]]) -> _UserPlan:
    named = [user for _, user in entries]
    stored = models.User.objects(
        Q(id__in=[user["_id"] for user in named])
        | Q(username__in=[user["username"] for user in named])
        | Q(auth_tokens__in=[token for user in named for token in user["auth_tokens"]])
    ).as_pymongo()
    stored_by_id = {user["_id"]: user for user in stored}
    named_ids = {user["_id"] for user in named}
    _check_users_against_kept(
        entries, [user for user in stored_by_id.values() if user["_id"] not in named_ids]
    )
    return _UserPlan(
        to_save=[user for user in named if user != stored_by_id.get(user["_id"])],
        stored_ids=set(stored_by_id),
        renamed=[
            user["_id"]
            for user in named
            if user["_id"] in stored_by_id
            and stored_by_id[user["_id"]]["username"] != user["username"]
        ],
    )


def _check_users_against_kept(entries: list[tuple[str, dict]], kept: list[dict]) -> None:
    """Usernames and tokens of the file must not be those of stored users it leaves alone."""
    username_owner = {user["username"]: user["_id"] for user in kept}
    token_owner = {token: user["_id"] for user in kept for token in user.get("auth_tokens", [])}
    for path, user in entries:
        owner = username_owner.get(user["username"])
        if owner is not None:
            raise CatalogError(
                f"{path}.username", f"username {user['username']!r} is taken by user {owner}"
            )
        for index, token in enumerate(user["auth_tokens"]):
            if token in token_owner:
                raise CatalogError(
                    f"{path}.auth_tokens[{index}]",
                    f"auth token already names user {token_owner[token]}",
                )


@dataclass
class _RadioPlan:
    to_save: list[dict]
    stored_ids: set[str]
    to_delete: list[str]  # uuids of stored radios

    def write(self) -> None:
        radios = models.Radio._get_collection()
        _write_documents(radios, self.to_save, self.stored_ids)
        if self.to_delete:
            radios.delete_many({"_id": {"$in": self.to_delete}})


def _plan_radios(entries: list[_RadioEntry]) -> _RadioPlan:
    playlist_ids = [playlist_id for entry in entries for playlist_id in entry.playlist_paths]
    stored = models.Radio.objects(
        Q(uuid__in=[entry.uuid for entry in entries]) | Q(playlists__id__in=playlist_ids)
    ).as_pymongo()
    stored_by_uuid = {radio["_id"]: radio for radio in stored}
    deleted_uuids = {entry.uuid for entry in entries if entry.deleted}
    playlist_owner = {
        playlist["id"]: uuid
        for uuid, radio in stored_by_uuid.items()
        if uuid not in deleted_uuids
        for playlist in radio.get("playlists", [])
    }
    to_save = []
    for entry in entries:
        if entry.deleted:
            continue
        _check_playlist_owners(entry, playlist_owner)
        radio = _merged_radio(entry, stored_by_uuid.get(entry.uuid))
        _check_one_default_playlist(entry, radio)
        if radio != stored_by_uuid.get(entry.uuid):
            to_save.append(radio)
    to_delete = [entry.uuid for entry in entries if entry.deleted and entry.uuid in stored_by_uuid]
    return _RadioPlan(to_save=to_save, stored_ids=set(stored_by_uuid), to_delete=to_delete)


def _check_playlist_owners(entry: _RadioEntry, playlist_owner: dict[int, str]) -> None:
    for playlist_id, path in entry.playlist_paths.items():
        owner = playlist_owner.get(playlist_id, entry.uuid)
        if owner != entry.uuid:
            raise CatalogError(f"{path}.id", f"playlist {playlist_id} belongs to radio {owner!r}")


def _check_one_default_playlist(entry: _RadioEntry, radio: dict) -> None:
    ids = [
        playlist["id"]
        for playlist in radio["playlists"]
        if playlist.get("name") == DEFAULT_PLAYLIST
    ]
    from_file = [playlist_id for playlist_id in ids if playlist_id in entry.playlist_paths]
    if len(ids) > 1 and from_file:
        raise CatalogError(
            f"{entry.playlist_paths[from_file[-1]]}.name",
            f"radio {entry.uuid!r} would have {len(ids)} playlists named {DEFAULT_PLAYLIST!r} "
            f"(ids {', '.join(map(str, ids))})",
        )


def _merged_radio(entry: _RadioEntry, stored: dict | None) -> dict:
    """The radio as the import leaves it: `stored` with the entry applied."""
    base = stored or {"_id": entry.uuid, "ready": True}
    return {
        **base,
        **entry.fields,
        "playlists": _upserted_by_id(base.get("playlists", []), entry.playlists),
        "jingles": _upserted_by_id(base.get("jingles", []), entry.jingles),
    }


def _upserted_by_id(stored: list[dict], named: list[dict]) -> list[dict]:
    """`stored` with the items of `named` put in place of those of the same id, the others added."""
    named_by_id = {item["id"]: item for item in named}
    kept = [named_by_id.pop(item["id"], item) for item in stored]
    return kept + list(named_by_id.values())
