"""The users listeners are known as: catalog users, and those the web app vouched for.

Every `user_authentication` message and every listener session opened or
closed looks a user up; a store query each time would cost a round trip
to MongoDB (and a scan of the users in the in-memory store) plus a
MongoEngine document. Catalog users are written only by the catalog
import, so their index is read from the store at start-up and again after
each import that changed users (Service.apply_catalog). Users the web app
vouched for (check_streamer_auth_token) are added as it answers, and at
start-up from the answers the token checker stored.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yascheduler.store.users import StoredUsers


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
    def __init__(self, store: "StoredUsers"):
        self._store = store
        self._index = _Index({}, {}, {})
        self._vouched: set[int] = set()

    def load(self) -> None:
        """Read the stored users; until the read is whole, lookups answer from the last one."""
        index = _Index({}, {}, {})
        for stored in self._store.identities():
            user = CatalogUser(stored.id, stored.username, stored.api_key, stored.hd)
            index.by_id[user.id] = user
            index.by_username[user.username] = user
            for token in stored.auth_tokens:
                index.by_token[token] = user
        self._index = index

    def vouch(self, user_ids: Iterable[int]) -> None:
        """User ids the web app answered for: listeners of theirs are known users too."""
        self._vouched.update(user_ids)

    def get(self, user_id: int | None) -> CatalogUser | None:
        """The catalog user a listener session belongs to, if it is one."""
        return self._index.by_id.get(user_id)

    def by_token(self, token: str) -> CatalogUser | None:
        return self._index.by_token.get(token)

    def by_username(self, username: str) -> CatalogUser | None:
        return self._index.by_username.get(username)

    def identity(self, user_id: int | None) -> dict:
        """How the web app is told who listens (YAAPP.md): a catalog user by username,
        api key and id, a user the web app vouched for by id, anyone else not at all."""
        user = self._index.by_id.get(user_id)
        if user is not None:
            return {"username": user.username, "api_key": user.api_key, "user_id": user.id}
        if user_id in self._vouched:
            return {"user_id": user_id}
        return {}
