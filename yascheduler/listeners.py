"""Listening sessions: opened and closed by streamers, accounted in whole seconds."""

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


class Listeners:
    def __init__(self, clock):
        self.clock = clock
        self.sessions: dict[str, OpenSession] = {}

    def load(self) -> None:
        """Sessions open before a restart stay open, accounted from their real start."""
        self.sessions = {
            doc.session_id: OpenSession(doc.session_id, doc.radio_uuid, doc.user_id, doc.started_at)
            for doc in models.ListenerSession.objects(ended_at=None)
        }

    def open(self, session_id: str, radio_uuid: str, user_id: int | None,
             streamer: str | None) -> OpenSession | None:
        """The new session, or None if that session id is open already."""
        if session_id in self.sessions:
            return None
        session = OpenSession(session_id, radio_uuid, user_id, self.clock.now())
        models.ListenerSession(
            session_id=session_id, radio_uuid=radio_uuid, streamer=streamer,
            user_id=user_id, started_at=session.started_at,
        ).save()
        self.sessions[session_id] = session
        return session

    def close(self, session_id: str) -> tuple[OpenSession, int] | None:
        """The closed session and its duration, or None if it was not open."""
        session = self.sessions.pop(session_id, None)
        if session is None:
            return None
        now = self.clock.now()
        duration = whole_seconds(session.started_at, now)
        models.ListenerSession.objects(session_id=session_id).update_one(
            set__ended_at=now, set__duration=duration
        )
        return session, duration

    def close_radio(self, radio_uuid: str) -> int:
        """Close every session of a radio; the total of their whole seconds."""
        ids = [s.session_id for s in self.sessions.values() if s.radio_uuid == radio_uuid]
        return sum(self.close(session_id)[1] for session_id in ids)

    def count(self, radio_uuid: str | None = None) -> int:
        if radio_uuid is None:
            return len(self.sessions)
        return sum(1 for s in self.sessions.values() if s.radio_uuid == radio_uuid)
