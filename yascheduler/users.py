"""The catalog users, indexed in memory by id, auth token and username.

Every `user_authentication` message and every listener session opened or
closed looks a user up; a store query each time would cost a round trip
to MongoDB (and a scan of the users in the in-memory store) plus a
MongoEngine document. Users are written only by the catalog import, so
the index is read from the store at start-up and again after each import
that changed users (Service.apply_catalog).
"""

from dataclasses import dataclass

from . import models

STORED_FIELDS = {"username": 1, "api_key": 1, "hd": 1, "auth_tokens": 1}


@dataclass(frozen=True)
class CatalogUser:
    id: int
    username: str
    api_key: str
    hd: bool


@dataclass(frozen=True)
class _Index:
    by_id: dict[int, CatalogUser]
    by_token: dict[str, CatalogUser]
    by_username: dict[str, CatalogUser]


class Users:
    def __init__(self):
        self._index = _Index({}, {}, {})

    def load(self) -> None:
        """Read the stored users; until the read is whole, lookups answer from the last one."""
        index = _Index({}, {}, {})
        for stored in models.User._get_collection().find({}, STORED_FIELDS):
            user = CatalogUser(
                stored["_id"], stored["username"], stored["api_key"], bool(stored.get("hd"))
            )
            index.by_id[user.id] = user
            index.by_username[user.username] = user
            for token in stored.get("auth_tokens", ()):
                index.by_token[token] = user
        self._index = index

    def get(self, user_id: int | None) -> CatalogUser | None:
        """The catalog user a listener session belongs to, if it is one."""
        return self._index.by_id.get(user_id)

    def by_token(self, token: str) -> CatalogUser | None:
        return self._index.by_token.get(token)

    def by_username(self, username: str) -> CatalogUser | None:
        return self._index.by_username.get(username)
