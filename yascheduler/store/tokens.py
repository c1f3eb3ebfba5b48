"""The web app's answers about auth tokens, kept in the store (models.VouchedToken).

The web app forgets a token once it has answered for it, so its answer is
the only copy: it is written as it arrives, and read back at start-up.
Only the newest answers are kept, as many as the token checker remembers.
"""

import logging

from . import models

log = logging.getLogger("yascheduler.yaapp")


def _collection():
    return models.VouchedToken._get_collection()


def save(token: str, user_id: int | None, hd: bool, at: float) -> None:
    _collection().replace_one({"_id": token}, {"user_id": user_id, "hd": hd, "at": at}, upsert=True)


def load(limit: int) -> list[tuple[str, int | None, bool]]:
    """The newest `limit` answers, oldest first, as (token, user_id, hd); older ones deleted."""
    newest = list(_collection().find().sort("at", -1).limit(limit))
    if len(newest) == limit:
        _collection().delete_many({"at": {"$lt": newest[-1]["at"]}})
    answers = []
    for stored in reversed(newest):
        user_id = stored.get("user_id")
        if user_id is not None and not isinstance(user_id, int):
            log.warning("stored answer for a token skipped: user_id %r is not a number", user_id)
            continue
        answers.append((stored["_id"], user_id, bool(stored.get("hd"))))
    return answers
