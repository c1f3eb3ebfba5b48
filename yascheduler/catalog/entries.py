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
from yascheduler.support.freed_memory import collector_paused

from .forms import RADIO_FIELDS, PlainRadio, RadioChanges, file_form, from_file, stored
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


def read_catalog(
    document: dict, unicode_checked: bool = False
) -> tuple[list[tuple[str, dict]], list[RadioEntry]]:
    """The users (with their paths, stored form) and the radio entries of a catalog document;
    `unicode_checked`: its text is known to be valid Unicode (decoded by msgspec)."""
    if not isinstance(document, dict):
        raise CatalogError("", "must be an object")
    reader = _Reader()
    # reading allocates millions of containers that live until the import ends, and no cycle
    with collector_paused():
        users = reader.users(_items(document, "users", "users"))
        radios = reader.radios(_items(document, "radios", "radios"))
        if not unicode_checked:
            reader.texts.check()
    return users, radios


def _items(parent: dict, key: str, path: str) -> list:
    """The list at `key`, which may be absent."""
    items = parent.get(key)
    if type(items) is not list:
        items = read(items, list[Any] | None, path) or []
    return items


def _deletes(entry) -> bool:
    """Whether the entry may delete what it names: then it is read as a Ref first."""
    return type(entry) is not dict or not (
        entry.get("deleted") is None or entry.get("deleted") is False
    )


def _plain(radio) -> bool:
    """A radio entry with no deletion in it: read with the others in one go."""
    if _deletes(radio):
        return False
    for key in ("playlists", "jingles"):
        items = radio.get(key)
        if items is not None and (type(items) is not list or any(map(_deletes, items))):
            return False
    return True


def _plain_radios(values: list) -> dict[int, tuple]:
    """Index -> (PlainRadio, its builtins) of the plain radio entries that read whole.

    All in one convert; if one breaks a rule (or holds a null), each alone,
    and the others are read field by field (_Reader.radio), to name what
    is wrong.
    """
    plain = [index for index, value in enumerate(values) if _plain(value)]
    try:
        radios = msgspec.convert([values[i] for i in plain], list[PlainRadio], dec_hook=from_file)
    except msgspec.ValidationError:
        radios, read = [], []
        for index in plain:
            try:
                radios.append(msgspec.convert(values[index], PlainRadio, dec_hook=from_file))
            except msgspec.ValidationError:
                continue
            read.append(index)
        plain = read
    return dict(zip(plain, zip(radios, stored(radios))))


class _Reader:
    """What reading one catalog document keeps: the ids seen and the text read."""

    def __init__(self):
        self.texts = _Texts()
        self.uuids = _Unique("uuid")
        # playlist ids are unique across radios, except that a radio may delete one
        # that another radio of the file takes
        self.playlist_ids = _Unique("playlist id")
        self.song_ids = _Unique("song id")

    def users(self, values: list) -> list[tuple[str, dict]]:
        ids, usernames = _Unique("user id"), _Unique("username")
        tokens = _Unique("auth token", show_key=False)
        try:  # in one go; one by one, to name the first broken entry
            read_all = msgspec.convert(values, list[file_form(User)])
        except msgspec.ValidationError:
            read_all = None
        users = []
        for index, value in enumerate(values):
            path = f"users[{index}]"
            user = read(value, file_form(User), path) if read_all is None else read_all[index]
            ids.claim(user.id, f"{path}.id")
            usernames.claim(user.username, f"{path}.username")
            for at, token in enumerate(user.auth_tokens):
                tokens.claim(token, f"{path}.auth_tokens[{at}]")
            user = stored(user)
            user = {"_id": user.pop("id"), **user}
            self.texts.add(path, user)
            users.append((path, user))
        return users

    def radios(self, values: list) -> list[RadioEntry]:
        read_whole = _plain_radios(values)
        entries = []
        for index, value in enumerate(values):
            path = f"radios[{index}]"
            if index in read_whole:
                entries.append(self.plain_radio(path, *read_whole[index]))
            else:
                entries.append(self.radio(path, value))
        return entries

    def plain_radio(self, path: str, radio, document: dict) -> RadioEntry:
        entry = self.radio_fields(path, radio)
        self.texts.add(path, document)
        radio_ids = _Unique("playlist id")
        for index, playlist in enumerate(radio.playlists):
            item_path = f"{path}.playlists[{index}]"
            self.playlist(playlist, item_path, radio_ids)
            entry.playlist_paths[playlist.id] = item_path
        entry.playlists = document["playlists"]
        jingle_ids = _Unique("jingle id")
        for index, jingle in enumerate(radio.jingles):
            jingle_ids.claim(jingle.id, f"{path}.jingles[{index}].id")
        entry.jingles = document["jingles"]
        return entry

    def radio(self, path: str, value) -> RadioEntry:
        if _deletes(value):
            ref = read(value, RadioRef, path)
            self.uuids.claim(ref.uuid, f"{path}.uuid")
            self.texts.add(f"{path}.uuid", ref.uuid)
            if ref.deleted:
                return RadioEntry(path, ref.uuid, deleted=True)
        entry = self.radio_fields(path, read(value, RadioChanges, path))
        self.texts.add(path, {"uuid": entry.uuid, **entry.fields})
        radio_ids = _Unique("playlist id")
        for index, item in enumerate(_items(value, "playlists", f"{path}.playlists")):
            item_path = f"{path}.playlists[{index}]"
            if _deletes(item):
                ref = read(item, PlaylistRef, item_path)
                if ref.deleted:
                    radio_ids.claim(ref.id, f"{item_path}.id")
                    entry.deleted_playlists.add(ref.id)  # its other fields are ignored
                    continue
            playlist = read(item, file_form(Playlist), item_path, from_file)
            self.playlist(playlist, item_path, radio_ids)
            entry.playlists.append(stored(playlist))
            entry.playlist_paths[playlist.id] = item_path
            self.texts.add(item_path, entry.playlists[-1])
        jingle_ids = _Unique("jingle id")
        for index, item in enumerate(_items(value, "jingles", f"{path}.jingles")):
            item_path = f"{path}.jingles[{index}]"
            if _deletes(item):
                ref = read(item, JingleRef, item_path)
                if ref.deleted:
                    jingle_ids.claim(ref.id, f"{item_path}.id")
                    entry.deleted_jingles.add(ref.id)
                    self.texts.add(f"{item_path}.id", ref.id)
                    continue
            jingle = read(item, file_form(Jingle), item_path)
            jingle_ids.claim(jingle.id, f"{item_path}.id")
            entry.jingles.append(stored(jingle))
            self.texts.add(item_path, entry.jingles[-1])
        return entry

    def radio_fields(self, path: str, radio) -> RadioEntry:
        self.uuids.claim(radio.uuid, f"{path}.uuid")
        entry = RadioEntry(path, radio.uuid, deleted=False)
        for name in RADIO_FIELDS:
            if getattr(radio, name) not in (msgspec.UNSET, None):
                entry.fields[name] = getattr(radio, name)
        zone = entry.fields.get("timezone")
        if zone is not None and not known_zone(zone):
            raise CatalogError(f"{path}.timezone", f"unknown time zone {zone!r}")
        return entry

    def playlist(self, playlist, path: str, radio_ids: _Unique) -> None:
        """The checks of a playlist that no type makes."""
        radio_ids.claim(playlist.id, f"{path}.id")
        self.playlist_ids.claim(playlist.id, f"{path}.id")
        self.song_ids.claim_all([song.id for song in playlist.songs], f"{path}.songs", "id")
        if playlist.show is not msgspec.UNSET:
            _check_show(playlist.show, f"{path}.show")


def _check_show(show, path: str) -> None:
    days = _Unique("day")
    for index, day in enumerate(show.days):
        days.claim(day, f"{path}.days[{index}]")
    if show.max_wait is not msgspec.UNSET and show.start != "soft":
        raise CatalogError(f"{path}.max_wait", f"only with start 'soft', not {show.start!r}")


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
