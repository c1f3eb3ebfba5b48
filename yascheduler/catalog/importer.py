"""The catalog import: radios, playlists, songs, shows, jingles and users.

The format is described in CATALOG.md. An import runs in two stages:

1. Validation: every entry against the rules of the format (schema.py,
   read by entries.py), then the whole file against what is
   already stored (loaded with one query for users and one for radios).
   The first broken entry raises `CatalogError(path, problem)`, with a
   path such as `radios[3].playlists[0].songs[12].duration`, and nothing
   is written.
2. Writing, through the store it is given (ports.CatalogStore): new
   documents inserted in one batch, changed ones replaced one by one,
   deleted ones removed in one batch. Documents the import leaves as they
   were are not written.

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
  `{"id": N, "deleted": true}` in a radio's `playlists` (or `jingles`)
  removes that one playlist (or jingle) from the radio, its other fields
  ignored; one the radio does not have is no error.
- A `null` value is the same as an absent field.
- Uniqueness (usernames, auth tokens, playlist ids, one `default` playlist
  per radio) is checked on the state the import leads to: a playlist id
  may move from a radio the same file deletes, or deletes that playlist
  from; two users may swap usernames.
- A user or radio the file names exactly as stored is neither written nor
  reported, so importing the same file twice changes nothing.

Unknown keys are ignored everywhere; known keys with a wrong type are not.
"""

import json
import os
from collections.abc import Callable
from dataclasses import dataclass

import gevent.lock
import msgspec

from yascheduler.support.errors import CatalogError
from yascheduler.support.freed_memory import collector_paused

from .entries import RadioEntry, read_catalog
from .forms import new_radio
from .ports import CatalogStore, RadioStore, UserStore
from .schema import DEFAULT_PLAYLIST

# Store I/O yields to other greenlets: two imports (HTTP requests) must not
# both check against the same stored state and then both write.
_one_import_at_a_time = gevent.lock.RLock()


@dataclass
class CatalogChange:
    stored_radios: list[dict]  # created or changed by the import, as now stored (ready or not)
    deleted: list[str]  # uuids of radios removed by the import
    users: int  # how many users were created or replaced

    def summary(self) -> str:
        return (
            f"{len(self.stored_radios)} radios created or changed, {len(self.deleted)} deleted, "
            f"{self.users} users"
        )


_decode_strictly = msgspec.json.Decoder().decode


def parse_catalog(data: bytes | str) -> dict:
    """Decode a catalog file's text; the rules are checked by the import."""
    return _decoded(data)[0]


def _decoded(data: bytes | str) -> tuple[dict, bool]:
    """(the catalog document of the file's text, whether all its text is known to be valid
    Unicode).

    msgspec decodes it four times faster than `json` (at 100,000 radios, a quarter
    of the import's time was `json`) and refuses whatever `json` would refuse, and
    more: NaN, a lone surrogate, a byte order mark. What it refuses is decoded
    again by `json`, so that the same text reads as it always did (NaN and lone
    surrogates for the import's rules to reject with their path), and a broken
    file is named by json's error (line and column).
    """
    try:
        document, unicode_checked = _decode_strictly(data), True
    except (msgspec.DecodeError, UnicodeError, RecursionError):
        try:
            document, unicode_checked = json.loads(data), False
        except (ValueError, RecursionError) as exc:
            raise CatalogError("", f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise CatalogError("", "must be a JSON object")
    return document, unicode_checked


def import_catalog(
    data: bytes | str | dict,
    store: CatalogStore,
    insert_behind: Callable[[list[dict]], None] | None = None,
) -> CatalogChange:
    """Validate the whole catalog, then write it to `store`; a broken one writes nothing.

    `insert_behind(radios)`, if given, is handed the new radios (stored documents) to
    insert, once everything else is written (start-up's import: the store writer
    inserts them while the engine programs them)."""
    # the decoded document and the radios are millions of containers and no cycle
    with collector_paused(spare=True):
        document, unicode_checked = (data, False) if isinstance(data, dict) else _decoded(data)
        user_entries, radio_entries = read_catalog(document, unicode_checked)
        with _one_import_at_a_time:
            user_plan = _plan_users(user_entries, store.users)
            radio_plan = _plan_radios(radio_entries, store.radios)
            user_plan.write(store.users)
            radio_plan.write(store.radios, insert_behind)
    return CatalogChange(
        stored_radios=radio_plan.to_save,
        deleted=radio_plan.to_delete,
        users=len(user_plan.to_save),
    )


def load_catalog_file(path: str | os.PathLike, store: CatalogStore) -> CatalogChange:
    """Import the catalog file at `path` to `store`."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise CatalogError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return import_catalog(data, store)


# --- checking against the store, and what to write -------------------------------------
#
# The entries' dicts go straight to the store: they were validated more
# strictly than MongoEngine would, and save() would first rebuild each one.


def _new_and_stored(documents: list[dict], stored_ids: set) -> tuple[list[dict], list[dict]]:
    """(the documents to insert, those that replace stored ones)."""
    new = [document for document in documents if document["_id"] not in stored_ids]
    return new, [document for document in documents if document["_id"] in stored_ids]


@dataclass
class _UserPlan:
    to_save: list[dict]
    stored_ids: set[int]
    renamed: list[int]  # ids of stored users whose username changes

    def write(self, users: UserStore) -> None:
        # Renamed users are removed, then inserted anew, so that users
        # swapping usernames never meet the unique index on the way.
        new, replacing = _new_and_stored(self.to_save, self.stored_ids - set(self.renamed))
        users.write(deleted=self.renamed, inserted=new, replaced=replacing)


def _plan_users(entries: list[tuple[str, dict]], users: UserStore) -> _UserPlan:
    named = [user for _, user in entries]
    stored = users.among(
        ids=[user["_id"] for user in named],
        usernames=[user["username"] for user in named],
        tokens=[token for user in named for token in user["auth_tokens"]],
    )
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

    def write(self, radios: RadioStore, insert_behind=None) -> None:
        new, replacing = _new_and_stored(self.to_save, self.stored_ids)
        if insert_behind is None:
            radios.write(inserted=new, replaced=replacing, deleted=self.to_delete)
            return
        if replacing or self.to_delete:
            radios.write(inserted=[], replaced=replacing, deleted=self.to_delete)
        insert_behind(new)


def _plan_radios(entries: list[RadioEntry], radios: RadioStore) -> _RadioPlan:
    playlist_ids = [playlist_id for entry in entries for playlist_id in entry.playlist_paths]
    stored = radios.among(uuids=[entry.uuid for entry in entries], playlist_ids=playlist_ids)
    stored_by_uuid = {radio["_id"]: radio for radio in stored}
    playlist_owner = _playlist_owners_kept(entries, stored_by_uuid)
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


def _playlist_owners_kept(entries: list[RadioEntry], stored_by_uuid: dict) -> dict[int, str]:
    """Playlist id -> uuid of the stored radio that still has it once the file's deletions
    (of radios, and of playlists from their radios) are done."""
    deleted_uuids = {entry.uuid for entry in entries if entry.deleted}
    deleted_playlists = {entry.uuid: entry.deleted_playlists for entry in entries}
    return {
        playlist["id"]: uuid
        for uuid, radio in stored_by_uuid.items()
        if uuid not in deleted_uuids
        for playlist in radio.get("playlists", [])
        if playlist["id"] not in deleted_playlists.get(uuid, ())
    }


def _check_playlist_owners(entry: RadioEntry, playlist_owner: dict[int, str]) -> None:
    for playlist_id, path in entry.playlist_paths.items():
        owner = playlist_owner.get(playlist_id, entry.uuid)
        if owner != entry.uuid:
            raise CatalogError(f"{path}.id", f"playlist {playlist_id} belongs to radio {owner!r}")


def _check_one_default_playlist(entry: RadioEntry, radio: dict) -> None:
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


def _merged_radio(entry: RadioEntry, stored: dict | None) -> dict:
    """The radio as the import leaves it: `stored` with the entry applied."""
    base = stored or new_radio(entry.uuid)
    return {
        **base,
        **entry.fields,
        "playlists": _upserted_by_id(
            base.get("playlists", []), entry.playlists, entry.deleted_playlists
        ),
        "jingles": _upserted_by_id(base.get("jingles", []), entry.jingles, entry.deleted_jingles),
    }


def _upserted_by_id(stored: list[dict], named: list[dict], deleted: set) -> list[dict]:
    """`stored` without the `deleted` ids, with the items of `named` put in place of those
    of the same id, the others added."""
    if not stored:  # a new radio's: the file's, whose ids are unique (entries.py)
        return list(named)
    named_by_id = {item["id"]: item for item in named}
    kept = [named_by_id.pop(item["id"], item) for item in stored if item["id"] not in deleted]
    return kept + list(named_by_id.values())
