"""Reading a catalog file's entries into the schema's types, against the rules of CATALOG.md.

Each entry (a user, a radio, a playlist with its show and songs, a jingle)
is read by msgspec into its type in schema.py; the first broken one raises
`CatalogError(path, problem)` with a path such as
`radios[3].playlists[0].songs[12].duration` (problems.py). What no type
can say is checked here: ids unique across the file, a known time zone,
no day twice, max_wait only with a soft start, text that is valid Unicode.
What is checked here is the file alone; importer.py checks it against the
store and writes it.

Entries are read into their file form and come out in their stored form
(forms.py), so that a catalog of thousands of radios is merged and
compared as plain dicts.
"""

from dataclasses import dataclass, field
from typing import Any

import msgspec

from yascheduler.support.errors import CatalogError

from .forms import RADIO_FIELDS, RadioChanges, file_form, from_file, stored
from .problems import join, read
from .schema import Jingle, JingleRef, Playlist, PlaylistRef, RadioRef, User, known_zone


@dataclass(frozen=True)
class Deleted:
    """A playlist or jingle entry that removes the one of its id from its radio."""

    id: int | str


@dataclass(slots=True)
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
        # key -> its path, or (list path, name, keys): the `name` of an item of that list
        self.seen: dict = {}

    def claim(self, key, path: str) -> None:
        first = _path(self.seen.setdefault(key, path), key)
        if first != path:
            shown = f" {key!r}" if self.show_key else ""
            raise CatalogError(path, f"duplicate {self.what}{shown}, also at {first}")

    def claim_all(self, keys: list, path: str, name: str) -> None:
        """Claim `keys`, each the `name` of an item of the list at `path` (one record for
        them all: a catalog has millions of songs)."""
        fresh = dict.fromkeys(keys, (path, name, keys))
        if len(fresh) == len(keys) and self.seen.keys().isdisjoint(fresh):
            self.seen.update(fresh)
            return
        for index, key in enumerate(keys):  # a duplicate: claimed one by one, to name it
            self.claim(key, f"{path}[{index}].{name}")


def _path(where, key) -> str:
    if isinstance(where, str):
        return where
    path, name, keys = where
    return f"{path}[{keys.index(key)}].{name}"


class _Texts:
    """What was read, to check at the end that its text is valid Unicode: a lone
    surrogate ("\\ud800") is JSON, but the store could not write it."""

    def __init__(self):
        self.paths: list[str] = []
        self.values: list = []

    def add(self, path: str, value) -> None:
        self.paths.append(path)
        self.values.append(value)

    def check(self) -> None:
        """One encoding of everything; a search for the culprit only if it fails."""
        try:
            msgspec.json.encode(self.values)
        except UnicodeEncodeError:
            for path, value in zip(self.paths, self.values):
                broken = _lone_surrogate(value, path)
                if broken is not None:
                    raise CatalogError(broken, "must be valid Unicode text") from None
            raise


def read_catalog(document: dict) -> tuple[list[tuple[str, dict]], list[RadioEntry]]:
    """The users (with their paths, stored form) and the radio entries of a catalog document."""
    if not isinstance(document, dict):
        raise CatalogError("", "must be an object")
    texts = _Texts()
    users = _read_users(document, texts)
    radios = _read_radios(document, texts)
    texts.check()
    return users, radios


def _items(parent: dict, key: str, path: str):
    """(path, item) for each item of the list at `key`, which may be absent."""
    path = join(path, key)
    items = parent.get(key)
    if type(items) is not list:
        items = read(items, list[Any] | None, path) or []
    return ((f"{path}[{index}]", item) for index, item in enumerate(items))


def _deletes(entry) -> bool:
    """Whether the entry may delete what it names: then it is read as a Ref first."""
    return type(entry) is not dict or not (
        entry.get("deleted") is None or entry.get("deleted") is False
    )


def _read_users(document: dict, texts: _Texts) -> list[tuple[str, dict]]:
    ids, usernames = _Unique("user id"), _Unique("username")
    tokens = _Unique("auth token", show_key=False)
    users = []
    for path, value in _items(document, "users", ""):
        user = read(value, file_form(User), path)
        ids.claim(user.id, join(path, "id"))
        usernames.claim(user.username, join(path, "username"))
        for index, token in enumerate(user.auth_tokens):
            tokens.claim(token, f"{join(path, 'auth_tokens')}[{index}]")
        user = stored(user)
        user = {"_id": user.pop("id"), **user}
        texts.add(path, user)
        users.append((path, user))
    return users


def _read_radios(document: dict, texts: _Texts) -> list[RadioEntry]:
    # playlist ids are unique across radios, except that a radio may delete one
    # that another radio of the file takes
    uuids, playlist_ids, song_ids = _Unique("uuid"), _Unique("playlist id"), _Unique("song id")
    entries = []
    for path, value in _items(document, "radios", ""):
        if _deletes(value):
            ref = read(value, RadioRef, path)
            uuids.claim(ref.uuid, join(path, "uuid"))
            texts.add(join(path, "uuid"), ref.uuid)
            if ref.deleted:
                entries.append(RadioEntry(path, ref.uuid, deleted=True))
                continue
        changes = read(value, RadioChanges, path)
        uuids.claim(changes.uuid, join(path, "uuid"))
        entry = RadioEntry(path, changes.uuid, deleted=False)
        for name in RADIO_FIELDS:
            if getattr(changes, name) not in (msgspec.UNSET, None):
                entry.fields[name] = getattr(changes, name)
        zone = entry.fields.get("timezone")
        if zone is not None and not known_zone(zone):
            raise CatalogError(join(path, "timezone"), f"unknown time zone {zone!r}")
        texts.add(path, {"uuid": entry.uuid, **entry.fields})
        radio_ids = _Unique("playlist id")
        for item_path, item in _items(value, "playlists", path):
            playlist = _read_playlist(item, item_path, radio_ids, playlist_ids, song_ids)
            if isinstance(playlist, Deleted):
                entry.deleted_playlists.add(playlist.id)
            else:
                entry.playlists.append(playlist)
                entry.playlist_paths[playlist["id"]] = item_path
                texts.add(item_path, playlist)
        jingle_ids = _Unique("jingle id")
        for item_path, item in _items(value, "jingles", path):
            jingle = _read_jingle(item, item_path, jingle_ids)
            if isinstance(jingle, Deleted):
                entry.deleted_jingles.add(jingle.id)
                texts.add(join(item_path, "id"), jingle.id)
            else:
                entry.jingles.append(jingle)
                texts.add(item_path, jingle)
        entries.append(entry)
    return entries


def _read_playlist(
    value, path: str, radio_ids: _Unique, file_ids: _Unique, song_ids: _Unique
) -> dict | Deleted:
    if _deletes(value):
        ref = read(value, PlaylistRef, path)
        if ref.deleted:
            radio_ids.claim(ref.id, join(path, "id"))
            return Deleted(ref.id)  # its other fields are ignored, as a deleted radio's
    playlist = read(value, file_form(Playlist), path, from_file)
    radio_ids.claim(playlist.id, join(path, "id"))
    file_ids.claim(playlist.id, join(path, "id"))
    song_ids.claim_all([song.id for song in playlist.songs], join(path, "songs"), "id")
    if playlist.show is not msgspec.UNSET:
        _check_show(playlist.show, join(path, "show"))
    return stored(playlist)


def _check_show(show, path: str) -> None:
    days = _Unique("day")
    for index, day in enumerate(show.days):
        days.claim(day, f"{path}.days[{index}]")
    if show.max_wait is not msgspec.UNSET and show.start != "soft":
        raise CatalogError(join(path, "max_wait"), f"only with start 'soft', not {show.start!r}")


def _read_jingle(value, path: str, ids: _Unique) -> dict | Deleted:
    if _deletes(value):
        ref = read(value, JingleRef, path)
        if ref.deleted:
            ids.claim(ref.id, join(path, "id"))
            return Deleted(ref.id)
    jingle = read(value, file_form(Jingle), path)
    ids.claim(jingle.id, join(path, "id"))
    return stored(jingle)


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
