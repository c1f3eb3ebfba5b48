"""Reading a catalog file's entries into the schema's types, against the rules of CATALOG.md.

Each entry (a user, a radio, a playlist with its show and songs, a jingle)
is read by msgspec into its type in schema.py; the first broken one raises
`CatalogError(path, problem)` with a path such as
`radios[3].playlists[0].songs[12].duration` (problems.py). What no type
can say is checked here: ids unique across the file, a known time zone,
no day twice, max_wait only with a soft start, text that is valid Unicode.
What is checked here is the file alone; importer.py checks it against the
store and writes it.

Entries come out in their stored form (schema.stored), so that a catalog
of thousands of radios is merged and compared as plain dicts.
"""

from dataclasses import dataclass, field
from typing import Any

import msgspec

from yascheduler.support.errors import CatalogError

from .problems import join, read
from .schema import (
    RADIO_FIELDS,
    UNSET,
    JingleRef,
    Jingle,
    Playlist,
    PlaylistRef,
    RadioChanges,
    RadioRef,
    User,
    epoch_time,
    known_zone,
    stored,
    stored_user,
)


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


class _Unique:
    """Keys already seen in the file, with where, so a duplicate names both places."""

    def __init__(self, what: str, show_key: bool = True):
        self.what = what
        self.show_key = show_key  # False for secrets, which must not end up in logs
        self.seen: dict = {}  # key -> its path, or (list path, index, name) to write it out

    def claim(self, key, path: str) -> None:
        first = _path(self.seen.setdefault(key, path))
        if first != path:
            shown = f" {key!r}" if self.show_key else ""
            raise CatalogError(path, f"duplicate {self.what}{shown}, also at {first}")

    def claim_all(self, keys: list, path: str, name: str) -> None:
        """Claim `keys`, each the `name` of an item of the list at `path`."""
        fresh = {key: (path, index, name) for index, key in enumerate(keys)}
        if len(fresh) == len(keys) and self.seen.keys().isdisjoint(fresh):
            self.seen.update(fresh)
            return
        for index, key in enumerate(keys):  # a duplicate: claimed one by one, to name it
            self.claim(key, f"{path}[{index}].{name}")


def _path(where) -> str:
    if isinstance(where, str):
        return where
    path, index, name = where
    return f"{path}[{index}].{name}"


def read_catalog(document: dict) -> tuple[list[tuple[str, dict]], list[RadioEntry]]:
    """The users (with their paths, stored form) and the radio entries of a catalog document."""
    if not isinstance(document, dict):
        raise CatalogError("", "must be an object")
    texts: list[tuple[str, Any]] = []  # what was read, to check that it is valid Unicode
    users = _read_users(document, texts)
    radios = _read_radios(document, texts)
    _check_unicode(texts)
    return users, radios


def _items(parent: dict, key: str, path: str) -> list[tuple[str, Any]]:
    """(path, item) for each item of the list at `key`, which may be absent."""
    path = join(path, key)
    items = read(parent.get(key), list[Any] | None, path) or []
    return [(f"{path}[{index}]", item) for index, item in enumerate(items)]


def _read_users(document: dict, texts: list) -> list[tuple[str, dict]]:
    ids, usernames = _Unique("user id"), _Unique("username")
    tokens = _Unique("auth token", show_key=False)
    users = []
    for path, value in _items(document, "users", ""):
        user = read(value, User, path)
        ids.claim(user.id, join(path, "id"))
        usernames.claim(user.username, join(path, "username"))
        for index, token in enumerate(user.auth_tokens):
            tokens.claim(token, f"{join(path, 'auth_tokens')}[{index}]")
        document_ = stored_user(user)
        texts.append((path, document_))
        users.append((path, document_))
    return users


def _read_radios(document: dict, texts: list) -> list[RadioEntry]:
    # playlist ids are unique across radios, except that a radio may delete one
    # that another radio of the file takes
    uuids, playlist_ids, song_ids = _Unique("uuid"), _Unique("playlist id"), _Unique("song id")
    entries = []
    for path, value in _items(document, "radios", ""):
        ref = read(value, RadioRef, path)
        uuids.claim(ref.uuid, join(path, "uuid"))
        texts.append((join(path, "uuid"), ref.uuid))
        if ref.deleted:
            entries.append(RadioEntry(path, ref.uuid, deleted=True))
            continue
        changes = read(value, RadioChanges, path)
        entry = RadioEntry(path, ref.uuid, deleted=False)
        for name in RADIO_FIELDS:
            if getattr(changes, name) not in (UNSET, None):
                entry.fields[name] = getattr(changes, name)
        zone = entry.fields.get("timezone")
        if zone is not None and not known_zone(zone):
            raise CatalogError(join(path, "timezone"), f"unknown time zone {zone!r}")
        texts.append((path, entry.fields))
        radio_ids = _Unique("playlist id")
        for item_path, item in _items(value, "playlists", path):
            playlist = _read_playlist(item, item_path, radio_ids, playlist_ids, song_ids)
            if isinstance(playlist, Deleted):
                entry.deleted_playlists.add(playlist.id)
            else:
                entry.playlists.append(playlist)
                entry.playlist_paths[playlist["id"]] = item_path
                texts.append((item_path, playlist))
        jingle_ids = _Unique("jingle id")
        for item_path, item in _items(value, "jingles", path):
            jingle = _read_jingle(item, item_path, jingle_ids)
            if isinstance(jingle, Deleted):
                entry.deleted_jingles.add(jingle.id)
                texts.append((join(item_path, "id"), jingle.id))
            else:
                entry.jingles.append(jingle)
                texts.append((item_path, jingle))
        entries.append(entry)
    return entries


def _read_playlist(
    value, path: str, radio_ids: _Unique, file_ids: _Unique, song_ids: _Unique
) -> dict | Deleted:
    ref = read(value, PlaylistRef, path)
    radio_ids.claim(ref.id, join(path, "id"))
    if ref.deleted:
        return Deleted(ref.id)  # its other fields are ignored, as a deleted radio's
    file_ids.claim(ref.id, join(path, "id"))
    playlist = read(_with_epoch_times(value, path), Playlist, path)
    song_ids.claim_all([song.id for song in playlist.songs], join(path, "songs"), "id")
    if playlist.show is not None:
        _check_show(playlist.show, join(path, "show"))
    return stored(playlist)


def _with_epoch_times(playlist: dict, path: str) -> dict:
    """The playlist with its songs' last_play_time (ISO 8601 text) as the epoch seconds
    the schema holds; as it was if none has one."""
    songs = playlist.get("songs")
    if not isinstance(songs, list) or not any(
        isinstance(song, dict) and song.get("last_play_time") is not None for song in songs
    ):
        return playlist
    converted = []
    for index, song in enumerate(songs):
        text = song.get("last_play_time") if isinstance(song, dict) else None
        if text is not None:
            song = {**song, "last_play_time": _epoch_time(text, f"{path}.songs[{index}]")}
        converted.append(song)
    return {**playlist, "songs": converted}


def _epoch_time(text, path: str) -> float:
    path = join(path, "last_play_time")
    read(text, str, path)
    try:
        return epoch_time(text)
    except ValueError:
        raise CatalogError(path, f"must be an ISO 8601 time, not {text!r}") from None


def _check_show(show, path: str) -> None:
    days = _Unique("day")
    for index, day in enumerate(show.days):
        days.claim(day, f"{path}.days[{index}]")
    if show.max_wait is not None and show.start != "soft":
        raise CatalogError(join(path, "max_wait"), f"only with start 'soft', not {show.start!r}")


def _read_jingle(value, path: str, ids: _Unique) -> dict | Deleted:
    ref = read(value, JingleRef, path)
    ids.claim(ref.id, join(path, "id"))
    if ref.deleted:
        return Deleted(ref.id)
    return stored(read(value, Jingle, path))


def _check_unicode(texts: list[tuple[str, Any]]) -> None:
    """A lone surrogate ("\\ud800") in any text read: JSON can spell it, but the store
    could not write it. One encoding of everything, and a search only if it fails."""
    try:
        msgspec.json.encode([value for _, value in texts])
    except UnicodeEncodeError:
        for path, value in texts:
            broken = _lone_surrogate(value, path)
            if broken is not None:
                raise CatalogError(broken, "must be valid Unicode text") from None
        raise


def _lone_surrogate(value, path: str) -> str | None:
    """The path of the first text in `value` that is not valid Unicode, None if none."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return path
    elif isinstance(value, dict):
        for key, item in value.items():
            broken = _lone_surrogate(item, join(path, key))
            if broken is not None:
                return broken
    elif isinstance(value, list):
        for index, item in enumerate(value):
            broken = _lone_surrogate(item, f"{path}[{index}]")
            if broken is not None:
                return broken
    return None
