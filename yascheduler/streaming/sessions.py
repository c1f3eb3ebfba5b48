"""Listening sessions: opened and closed by streamers, accounted in whole seconds.

Session ids are unique per streamer only (the production streamer uses
memory addresses), so a session is known by (streamer, session id) when
the message names its streamer; a message that names none still finds a
session whose id is unambiguous. Each session is stored as it opens and
closes (store/sessions.py).
"""

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yascheduler.store.sessions import StoredSessions

log = logging.getLogger("yascheduler.listeners")

Closed = tuple["OpenSession", int]  # a session and its duration in whole seconds


@dataclass(slots=True)
class OpenSession:
    session_id: str
    radio_uuid: str
    user_id: int | None
    started_at: float
    streamer: str | None = None
    stored_id: str = ""  # its record's key; sessions stored by older versions keep theirs

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.streamer, self.session_id)


def whole_seconds(started_at: float, ended_at: float) -> int:
    return max(0, math.floor(ended_at - started_at))


class Listeners:
    def __init__(self, clock, store: "StoredSessions"):
        self.clock = clock
        self._store = store
        # (streamer, session id) -> session, in opening order: the oldest expire first
        self.sessions: dict[tuple[str | None, str], OpenSession] = {}
        # radio uuid -> its open sessions by key, in opening order: per-radio counts in O(1)
        self.by_radio: dict[str, dict[tuple, OpenSession]] = {}
        # session id -> its open sessions by key: finding one when a message names no streamer
        self.by_id: dict[str, dict[tuple, OpenSession]] = {}

    def load(self) -> None:
        """Sessions open before a restart stay open, accounted from their real start."""
        self.sessions, self.by_radio, self.by_id = {}, {}, {}
        self.adopt(lambda radio_uuid: True)

    def adopt(self, owned) -> None:
        """Take in the stored open sessions of the radios this instance now owns (fleet);
        the sessions are kept in opening order, for the expiry."""
        for stored in self._store.open_sessions():  # oldest first
            if (
                not owned(stored.radio_uuid)
                or (stored.streamer, stored.session_id) in self.sessions
            ):
                continue
            self._index(
                OpenSession(
                    stored.session_id,
                    stored.radio_uuid,
                    stored.user_id,
                    stored.started_at,
                    stored.streamer,
                    stored.key,
                )
            )

        self.sessions = dict(sorted(self.sessions.items(), key=lambda item: item[1].started_at))

    def release(self, radio_uuids) -> None:
        """Forget the sessions of radios another instance owns now (they stay open, stored)."""
        for radio_uuid in radio_uuids:
            for session in list(self.by_radio.get(radio_uuid, {}).values()):
                self._unindex(session)

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
        started_at = self.clock.now()
        key = self._store.open(session_id, radio_uuid, streamer, user_id, started_at)
        session = OpenSession(session_id, radio_uuid, user_id, started_at, streamer, key)
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
        self._store.close(session.stored_id, ended_at, duration, session.radio_uuid)
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

    def counts_by_radio(self) -> dict[str, int]:
        """Radio uuid -> its open sessions, of the radios listened to (a new dict)."""
        return {radio_uuid: len(members) for radio_uuid, members in self.by_radio.items()}

    def of_radio(self, radio_uuid: str) -> list[OpenSession]:
        """The radio's open sessions, oldest first."""
        return list(self.by_radio.get(radio_uuid, {}).values())


def _discard(index: dict[str, dict], group: str, key: tuple) -> None:
    members = index[group]
    del members[key]
    if not members:
        del index[group]
