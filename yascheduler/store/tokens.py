"""The web app's answers about auth tokens (webapp/notifier.py's TokenChecker).

The web app forgets a token once it has answered for it, so its answer is
the only copy: it is written as it arrives (behind: pending.Buffered), and read
back at start-up.
Only the newest answers are kept, as many as the token checker remembers.
"""

from typing import NamedTuple

from mongoengine import BooleanField, Document, FloatField, IntField, StringField

from .pending import Buffered
from .records import decoded, storing


class VouchedToken(Document):
    """The web app's answer about an auth token (it answers once per token): kept so
    that a restart neither asks again nor turns a known listener anonymous."""

    token = StringField(primary_key=True)
    user_id = IntField()  # None: the web app did not know the token
    hd = BooleanField(default=False)
    at = FloatField(required=True)  # when it answered
    meta = {"collection": "vouched_tokens", "indexes": ["at"]}


class Answer(NamedTuple):
    token: str
    user_id: int | None  # None: the web app did not know the token
    hd: bool


class StoredTokens(Buffered):
    what = "the web app's answer for a token"
    secret = True  # a token is never shown

    def collection(self):
        return _collection()

    def save(self, token: str, user_id: int | None, hd: bool, at: float) -> None:
        self._replace(token, {"user_id": user_id, "hd": hd, "at": at})

    def newest(self, limit: int) -> list[Answer]:
        """The newest `limit` answers, oldest first; older ones deleted."""
        with storing("reading the web app's token answers"):
            newest = list(_collection().find().sort("at", -1).limit(limit))
            oldest_kept = newest[-1].get("at") if len(newest) == limit else None
            if isinstance(oldest_kept, int | float):
                _collection().delete_many({"at": {"$lt": oldest_kept}})
        # a token is a secret: a record skipped is not logged by it
        return list(decoded(reversed(newest), _answer, "token answer", secret=True))

    def clear(self) -> int:
        self._forget_pending()
        with storing("deleting the web app's token answers"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return VouchedToken._get_collection()


def _answer(stored: dict) -> Answer:
    token, user_id = stored["_id"], stored.get("user_id")
    if not isinstance(token, str):
        raise TypeError(f"its token is a {type(token).__name__}, not a text")
    if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
        raise TypeError(f"user_id {user_id!r} is not a number")
    return Answer(token, user_id, bool(stored.get("hd")))
