"""The catalog's users: written by the catalog import (catalog.ports.UserStore), read
whole by the listener lookups (streaming/users.py)."""

from collections.abc import Iterable
from typing import NamedTuple

from mongoengine import BooleanField, Document, IntField, ListField, StringField

from .records import decoded, storing

# what the listener lookups need of a user
IDENTITY_FIELDS = {"username": 1, "api_key": 1, "hd": 1, "auth_tokens": 1}


class User(Document):
    id = IntField(primary_key=True)
    username = StringField(required=True)
    api_key = StringField(required=True)
    hd = BooleanField(default=False)
    auth_tokens = ListField(StringField())
    meta = {
        "collection": "users",
        "indexes": [{"fields": ["username"], "unique": True}, "auth_tokens"],
    }


class Identity(NamedTuple):
    id: int
    username: str
    api_key: str
    hd: bool
    auth_tokens: tuple[str, ...]


class StoredUsers:
    def identities(self) -> list[Identity]:
        """Every user, as the listener lookups know them."""
        with storing("reading the users"):
            stored = list(_collection().find({}, IDENTITY_FIELDS))
        # an api key is a secret, the user id is not: a record skipped is named by its id
        return list(decoded(stored, _identity, "user"))

    def among(
        self, ids: Iterable[int], usernames: Iterable[str], tokens: Iterable[str]
    ) -> list[dict]:
        """The stored users whose id, username or one of whose auth tokens is given."""
        query = {
            "$or": [
                {"_id": {"$in": list(ids)}},
                {"username": {"$in": list(usernames)}},
                {"auth_tokens": {"$in": list(tokens)}},
            ]
        }
        with storing("reading the users an import names"):
            return list(_collection().find(query))

    def write(self, deleted: list[int], inserted: list[dict], replaced: list[dict]) -> None:
        """Delete users by id, then insert new ones in one batch, then replace stored ones
        whole (each document's `_id` says which). Deleting first lets users swap
        usernames without ever meeting the unique index on the way."""
        with storing("writing %d users", len(deleted) + len(inserted) + len(replaced)):
            collection = _collection()
            if deleted:
                collection.delete_many({"_id": {"$in": deleted}})
            if inserted:
                collection.insert_many(inserted)
            for user in replaced:
                collection.replace_one({"_id": user["_id"]}, user)


def _collection():
    return User._get_collection()


def _identity(stored: dict) -> Identity:
    user_id, username, api_key = stored["_id"], stored["username"], stored["api_key"]
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise TypeError(f"its id is a {type(user_id).__name__}, not a number")
    if not isinstance(username, str) or not isinstance(api_key, str):
        raise TypeError("its username and api_key must be texts")
    tokens = stored.get("auth_tokens") or ()
    if not isinstance(tokens, list | tuple):
        raise TypeError(f"auth_tokens is a {type(tokens).__name__}, not a list")
    return Identity(user_id, username, api_key, bool(stored.get("hd")), tuple(tokens))
