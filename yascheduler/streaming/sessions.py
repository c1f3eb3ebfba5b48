"""Listening sessions: opened and closed by streamers, accounted in whole seconds.

Session ids are unique per streamer only (the production streamer uses
memory addresses), so a session is known by (streamer, session id) when
the message names its streamer; a message that names none still finds a
session whose id is unambiguous.

Sessions are written straight to their collection, by `_id`: streamers open
and close them by the hundred a second, and MongoEngine's document save and
query building would cost many times the write itself.
"""

import logging
import math
from dataclasses import dataclass

from yascheduler.store import models

log = logging.getLogger("yascheduler.listeners")

Closed = tuple["OpenSession", int]  # a session and its duration in whole seconds


@dataclass(slots=True)
class OpenSession:
    session_id: str
    radio_uuid: str
    user_id: int | None
    started_at: float
    streamer: str | None = None
    stored_id: str = ""  # its document's `_id`; sessions stored by older versions keep theirs

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.streamer, self.session_id)


def whole_seconds(started_at: float, ended_at: float) -> int:
    return max(0, math.floor(ended_at - started_at))


def document_id(streamer: str | None, session_id: str) -> str:
    """A session's `_id`, one per (streamer, session id): the length prefix keeps
    ("a:b", "c") and ("a", "b:c") apart, and no streamer is spelt apart from any."""
    if streamer is None:
        return "-:" + session_id
    return f"{len(streamer)}:{streamer}:{session_id}"


def stored_session(session: OpenSession) -> dict:
    """The session's document as MongoEngine stores it: fields without a value left out."""
    fields = {
        "session_id": session.session_id,
        "radio_uuid": session.radio_uuid,
        "streamer": session.streamer,
        "user_id": session.user_id,
        "started_at": session.started_at,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _collection():
    return models.ListenerSession._get_collection()


class Listeners:
    def __init__(self, clock):
        self.clock = clock
        # (streamer, session id) -> session, in opening order: the oldest expire first
        self.sessions: dict[tuple[str | None, str], OpenSession] = {}
        # radio uuid -> its open sessions by key, in opening order: per-radio counts in O(1)
        self.by_radio: dict[str, dict[tuple, OpenSession]] = {}
        # session id -> its open sessions by key: finding one when a message names no streamer
        self.by_id: dict[str, dict[tuple, OpenSession]] = {}

    def load(self) -> None:
        """Sessions open before a restart stay open, accounted from their real start."""
        self.sessions, self.by_radio, self.by_id = {}, {}, {}
        stored = _collection().find({"ended_at": None})
        for doc in sorted(stored, key=lambda doc: doc.get("started_at", 0.0)):
            session = _from_stored(doc)
            if session is None:
                log.warning("stored listener session %r skipped: incomplete", doc.get("_id"))
            else:
                self._index(session)

    def _index(self, session: OpenSession) -> None:
        self.sessions[session.key] = session
        self.by_radio.setdefault(session.radio_uuid, {})[session.key] = session
        self.by_id.setdefault(session.session_id, {})[session.key] = session

    def _unindex(self, session: OpenSession) -> None:
        del self.sessions[session.key]
        _discard(self.by_radio, session.radio_uuid, session.key)
        _discard(self.by_id, session.session_id, session.key)

    def open(
        self, session_id: str, radio_uuid: str, user_id: int | None, streamer: str | None
    ) -> OpenSession | None:
        """The new session, or None if that session is open already."""
        if (streamer, session_id) in self.sessions:
            return None
        session = OpenSession(
            session_id,
            radio_uuid,
            user_id,
            self.clock.now(),
            streamer,
            document_id(streamer, session_id),
        )
        # a session closed earlier may come again: the new session replaces its record
        _collection().replace_one({"_id": session.stored_id}, stored_session(session), upsert=True)
        self._index(session)
        return session

    def find(
        self, session_id: str, streamer: str | None = None, radio_uuid: str | None = None
    ) -> OpenSession | None:
        """The open session a message names: by its streamer's key if it names one, else
        (or if that streamer opened none) one opened without a streamer, else the only
        session of that id (of that radio, if it names one)."""
        for key in ((streamer, session_id), (None, session_id)):
            if key in self.sessions:
                return self.sessions[key]
        if streamer is not None:
            return None
        candidates = [
            session
            for session in self.by_id.get(session_id, {}).values()
            if radio_uuid is None or session.radio_uuid == radio_uuid
        ]
        if len(candidates) > 1:
            log.warning(
                "unregister_listener %r names no streamer and %d streamers have it open: left open",
                session_id,
                len(candidates),
            )
            return None
        return candidates[0] if candidates else None

    def close(
        self, session_id: str, streamer: str | None = None, radio_uuid: str | None = None
    ) -> Closed | None:
        """Close the session a message names; None if it was not open."""
        session = self.find(session_id, streamer, radio_uuid)
        return None if session is None else self.close_session(session)

    def close_session(self, session: OpenSession, ended_at: float | None = None) -> Closed:
        """Close an open session at `ended_at` (now by default): it and its duration."""
        self._unindex(session)
        ended_at = self.clock.now() if ended_at is None else ended_at
        duration = whole_seconds(session.started_at, ended_at)
        _collection().update_one(
            {"_id": session.stored_id}, {"$set": {"ended_at": ended_at, "duration": duration}}
        )
        return session, duration

    def close_radio(self, radio_uuid: str, keep_streamer: str | None = None) -> list[Closed]:
        """Close the radio's sessions (but those of `keep_streamer`), oldest first."""
        sessions = [
            session
            for session in self.by_radio.get(radio_uuid, {}).values()
            if keep_streamer is None or session.streamer != keep_streamer
        ]
        return [self.close_session(session) for session in sessions]

    def close_overdue(self, max_seconds: float) -> list[Closed]:
        """Close the sessions open longer than `max_seconds`, accounted up to that limit."""
        now = self.clock.now()
        overdue = []
        for session in self.sessions.values():  # oldest first
            if now - session.started_at < max_seconds:
                break
            overdue.append(session)
        return [self.close_session(s, s.started_at + max_seconds) for s in overdue]

    def next_overdue_at(self, max_seconds: float) -> float | None:
        """When the oldest open session reaches `max_seconds`; None with none open."""
        oldest = next(iter(self.sessions.values()), None)
        return None if oldest is None else oldest.started_at + max_seconds

    def count(self, radio_uuid: str | None = None) -> int:
        if radio_uuid is None:
            return len(self.sessions)
        return len(self.by_radio.get(radio_uuid, ()))

    def of_radio(self, radio_uuid: str) -> list[OpenSession]:
        """The radio's open sessions, oldest first."""
        return list(self.by_radio.get(radio_uuid, {}).values())


def _discard(index: dict[str, dict], group: str, key: tuple) -> None:
    members = index[group]
    del members[key]
    if not members:
        del index[group]


def _from_stored(doc: dict) -> OpenSession | None:
    # older versions stored a session under its session id alone
    session_id = doc.get("session_id", doc.get("_id"))
    if not isinstance(doc.get("radio_uuid"), str) or not isinstance(
        doc.get("started_at"), int | float
    ):
        return None
    return OpenSession(
        str(session_id),
        doc["radio_uuid"],
        doc.get("user_id"),
        float(doc["started_at"]),
        doc.get("streamer"),
        doc["_id"],
    )
