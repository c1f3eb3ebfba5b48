"""Listening sessions: opened and closed by streamers, accounted in whole seconds.

Sessions are written straight to their collection, by `_id`: streamers open
and close them by the hundred a second, and MongoEngine's document save and
query building would cost many times the write itself.
"""

import math
from dataclasses import dataclass

from . import models


@dataclass
class OpenSession:
    session_id: str
    radio_uuid: str
    user_id: int | None
    started_at: float


def whole_seconds(started_at: float, ended_at: float) -> int:
    return max(0, math.floor(ended_at - started_at))


def stored_session(session: OpenSession, streamer: str | None) -> dict:
    """The session's document as MongoEngine stores it: fields without a value left out."""
    fields = {
        "radio_uuid": session.radio_uuid,
        "streamer": streamer,
        "user_id": session.user_id,
        "started_at": session.started_at,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _collection():
    return models.ListenerSession._get_collection()


class Listeners:
    def __init__(self, clock):
        self.clock = clock
        self.sessions: dict[str, OpenSession] = {}
        # radio uuid -> its open sessions by id, in opening order: per-radio counts in O(1)
        self.by_radio: dict[str, dict[str, OpenSession]] = {}

    def load(self) -> None:
        """Sessions open before a restart stay open, accounted from their real start."""
        self.sessions = {}
        self.by_radio = {}
        for doc in models.ListenerSession.objects(ended_at=None):
            self._index(OpenSession(doc.session_id, doc.radio_uuid, doc.user_id, doc.started_at))

    def _index(self, session: OpenSession) -> None:
        replaced = self.sessions.get(session.session_id)
        if replaced is not None:
            self._unindex(replaced)
        self.sessions[session.session_id] = session
        self.by_radio.setdefault(session.radio_uuid, {})[session.session_id] = session

    def _unindex(self, session: OpenSession) -> None:
        of_radio = self.by_radio.get(session.radio_uuid)
        if of_radio is not None:
            of_radio.pop(session.session_id, None)
            if not of_radio:
                del self.by_radio[session.radio_uuid]

    def open(
        self, session_id: str, radio_uuid: str, user_id: int | None, streamer: str | None
    ) -> OpenSession | None:
        """The new session, or None if that session id is open already."""
        if session_id in self.sessions:
            return None
        session = OpenSession(session_id, radio_uuid, user_id, self.clock.now())
        # a session id closed earlier may come again: the new session replaces its record
        _collection().replace_one(
            {"_id": session_id}, stored_session(session, streamer), upsert=True
        )
        self._index(session)
        return session

    def close(self, session_id: str) -> tuple[OpenSession, int] | None:
        """The closed session and its duration, or None if it was not open."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return None
        self._unindex(session)
        now = self.clock.now()
        duration = whole_seconds(session.started_at, now)
        _collection().update_one(
            {"_id": session_id}, {"$set": {"ended_at": now, "duration": duration}}
        )
        return session, duration

    def close_radio(self, radio_uuid: str) -> int:
        """Close every session of a radio; the total of their whole seconds."""
        ids = list(self.by_radio.get(radio_uuid, ()))
        return sum(self.close(session_id)[1] for session_id in ids)

    def count(self, radio_uuid: str | None = None) -> int:
        if radio_uuid is None:
            return len(self.sessions)
        return len(self.by_radio.get(radio_uuid, ()))

    def of_radio(self, radio_uuid: str) -> list[OpenSession]:
        """The radio's open sessions, oldest first."""
        return list(self.by_radio.get(radio_uuid, {}).values())
