"""What the catalog import needs of the store (store/users.py and store/radios.py
implement it). Documents are dicts as stored: the `_id` is a user's id or a
radio's uuid."""

from collections.abc import Iterable
from typing import Protocol


class UserStore(Protocol):
    def among(
        self, ids: Iterable[int], usernames: Iterable[str], tokens: Iterable[str]
    ) -> list[dict]:
        """The stored users whose id, username or one of whose auth tokens is given."""

    def write(self, deleted: list[int], inserted: list[dict], replaced: list[dict]) -> None:
        """Delete users by id, then insert new ones, then replace stored ones whole."""


class RadioStore(Protocol):
    def among(self, uuids: Iterable[str], playlist_ids: Iterable[int]) -> list[dict]:
        """The stored radios whose uuid, or the id of one of whose playlists, is given."""

    def write(self, inserted: list[dict], replaced: list[dict], deleted: list[str]) -> None:
        """Insert new radios, replace stored ones whole, delete others by uuid."""


class CatalogStore(Protocol):
    users: UserStore
    radios: RadioStore
