"""Listening sessions, open and closed (streaming/sessions.py holds the open ones).

Sessions are written behind (pending.Buffered), by `_id`, in bulk: streamers
open and close them by the hundred a second, and a session opened and closed
within one write costs one.
"""

from typing import NamedTuple

from mongoengine import Document, FloatField, IntField, StringField

from .pending import Buffered
from .records import decoded, storing


class ListenerSession(Document):
    """A listening session; `key` is one per (streamer, session id) (session_key)."""

    key = StringField(primary_key=True)
    session_id = StringField(required=True)
    radio_uuid = StringField(required=True)
    streamer = StringField()
    user_id = IntField()
    started_at = FloatField(required=True)
    ended_at = FloatField()
    duration = IntField()
    epoch = IntField()  # its radio's owner's fencing token (store/changes.py)
    meta = {
        "collection": "listener_sessions",
        "indexes": [("radio_uuid", "ended_at"), "ended_at"],
    }


class OpenRecord(NamedTuple):
    """A session stored open: `key` is its `_id`, which a later close names."""

    key: str
    session_id: str
    radio_uuid: str
    streamer: str | None
    user_id: int | None
    started_at: float


def session_key(streamer: str | None, session_id: str) -> str:
    """A session's `_id`, one per (streamer, session id): the length prefix keeps
    ("a:b", "c") and ("a", "b:c") apart, and no streamer is spelt apart from any."""
    if streamer is None:
        return "-:" + session_id
    return f"{len(streamer)}:{streamer}:{session_id}"


class StoredSessions(Buffered):
    what = "listener session %s"

    def collection(self):
        return _collection()

    def open_sessions(self) -> list[OpenRecord]:
        """The sessions stored open, oldest first."""
        with storing("reading the open listener sessions"):
            stored = list(_collection().find({"ended_at": None}))
        records = decoded(stored, _open_record, "listener session")
        return sorted(records, key=lambda record: record.started_at)

    def open(
        self,
        session_id: str,
        radio_uuid: str,
        streamer: str | None,
        user_id: int | None,
        started_at: float,
    ) -> str:
        """Store a session opened; its key. A session closed earlier may come again:
        the new session replaces its record."""
        key = session_key(streamer, session_id)
        fields = {
            "session_id": session_id,
            "radio_uuid": radio_uuid,
            "streamer": streamer,
            "user_id": user_id,
            "started_at": started_at,
        }
        # as MongoEngine stores it: fields without a value left out
        stored = {name: value for name, value in fields.items() if value is not None}
        self._replace(key, stored, radio=radio_uuid)
        return key

    def close(
        self, key: str, ended_at: float, duration: int, radio_uuid: str | None = None
    ) -> None:
        """Store a session closed; fenced by its radio's owner when it is named."""
        self._set(key, {"ended_at": ended_at, "duration": duration}, radio=radio_uuid)

    def clear(self) -> int:
        self._forget_pending()
        with storing("deleting the listener sessions"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return ListenerSession._get_collection()


def _open_record(stored: dict) -> OpenRecord:
    # older versions stored a session under its session id alone, without session_id
    session_id = stored.get("session_id", stored["_id"])
    radio_uuid, started_at = stored.get("radio_uuid"), stored.get("started_at")
    if not isinstance(radio_uuid, str):
        raise TypeError(f"radio_uuid is {radio_uuid!r}, not a text")
    if not isinstance(started_at, int | float) or isinstance(started_at, bool):
        raise TypeError(f"started_at is {started_at!r}, not a time")
    user_id = stored.get("user_id")
    if user_id is not None and (not isinstance(user_id, int) or isinstance(user_id, bool)):
        raise TypeError(f"user_id is {user_id!r}, not a number")
    return OpenRecord(
        stored["_id"],
        str(session_id),
        radio_uuid,
        stored.get("streamer"),
        user_id,
        float(started_at),
    )
