"""Pending listener requests (programming/requests.py): each stored when accepted, and
deleted when it plays, written behind (pending.Buffered) with the other changes; read
back at start-up. Implements programming.interface.RequestStore."""

from collections.abc import Callable
from typing import TypeVar

from mongoengine import Document, FloatField, IntField, StringField

from .pending import Buffered
from .records import decoded, storing

T = TypeVar("T")


class PendingRequest(Document):
    """A listener's request of a song, waiting for a song boundary of its radio."""

    id = StringField(primary_key=True)
    radio_uuid = StringField(required=True)
    song_id = IntField(required=True)
    user_id = IntField(required=True)
    requested_at = FloatField(required=True)
    meta = {"collection": "song_requests"}


class StoredRequests(Buffered):
    what = "song request %s"

    def collection(self):
        return _collection()

    def add(self, request) -> None:
        """Store a programming.interface.SongRequest: part of its radio's state too (the
        next owner of a radio handed over reads its requests once they are stored)."""
        self._insert(
            request.id,
            {
                "radio_uuid": request.radio_uuid,
                "song_id": request.song_id,
                "user_id": request.user_id,
                "requested_at": request.requested_at,
            },
            radio=request.radio_uuid,
        )

    def delete(self, request_id: str, radio_uuid: str | None = None) -> None:
        """A request taken: part of its radio's state (the barrier: a `play` of the song
        goes once the request is stored as taken, so a restart does not play it again)."""
        self._delete(request_id, radio=radio_uuid)

    def load_all(self, decode: Callable[[dict], T]) -> list[T]:
        """decode(request) of every pending request stored; one that decode refuses is
        logged and skipped."""
        with storing("reading the song requests"):
            stored = list(_collection().find())
        return list(decoded(stored, decode, "song request"))

    def clear(self) -> int:
        self._forget_pending()
        with storing("deleting the song requests"):
            return _collection().delete_many({}).deleted_count


def _collection():
    return PendingRequest._get_collection()
