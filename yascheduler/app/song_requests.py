"""Listener requests through the HTTP API: a request taken in (POST
/api/radios/<uuid>/requests, the web app for its listeners) and the radio's pending
ones (GET), each with when it is planned to start, from a dry run of the engine
(programming.preview.planned_starts) on a copy of the radio, its requests in it, that
ends once they have all started."""

from datetime import UTC, datetime

import ujson

from yascheduler.programming import preview
from yascheduler.programming.interface import SongRequest
from yascheduler.support.errors import ParameterError

# how far ahead a request's start is looked for: five requests of long songs, and a show
HORIZON_HOURS = 24


class SongRequests:
    def __init__(self, programmer):
        self._programmer = programmer

    def submit(self, radio_uuid: str, body: bytes) -> dict:
        """Take the request the JSON body names: its answer. ParameterError for a body
        that is not one, NotFoundError for a radio not programmed, RequestRefused."""
        song_id, user_id = parse(body)
        request = self._programmer.requests.submit(radio_uuid, song_id, user_id)
        return self._shown(radio_uuid, [request])[0]

    def pending(self, radio_uuid: str) -> dict | None:
        """The radio's pending requests, oldest first; None if it is not programmed."""
        pending = self._programmer.requests.pending(radio_uuid)
        if pending is None:
            return None
        return {"radio": radio_uuid, "requests": self._shown(radio_uuid, pending)}

    def _shown(self, radio_uuid: str, requests: list[SongRequest]) -> list[dict]:
        song_ids = [request.song_id for request in requests]
        planned = preview.planned_starts(self._programmer, radio_uuid, song_ids, HORIZON_HOURS)
        zone, starts = planned if planned is not None else (UTC, {})  # gone meanwhile
        desk = self._programmer.requests
        return [
            shown(
                request, desk.song(radio_uuid, request.song_id), starts.get(request.song_id), zone
            )
            for request in requests
        ]


def shown(request: SongRequest, song, at: float | None, zone) -> dict:
    return {
        "id": request.id,
        "radio": request.radio_uuid,
        "song_id": request.song_id,
        "user_id": request.user_id,
        "artist": None if song is None else song.artist,
        "title": None if song is None else song.title,
        "requested_at": datetime.fromtimestamp(request.requested_at, UTC).isoformat(),
        "planned_start": None if at is None else datetime.fromtimestamp(at, UTC).isoformat(),
        "planned_start_local": None if at is None else datetime.fromtimestamp(at, zone).isoformat(),
        "planned_at": at,
    }


def parse(body: bytes) -> tuple[int, int]:
    """(song_id, user_id) of a request body; ParameterError naming what is wrong."""
    try:
        fields = ujson.loads(body or b"null")
    except ValueError:
        raise ParameterError("body", "not JSON") from None
    if not isinstance(fields, dict):
        raise ParameterError("body", 'must be a JSON object: {"song_id": ..., "user_id": ...}')
    return whole_number(fields, "song_id"), whole_number(fields, "user_id")


def whole_number(fields: dict, name: str) -> int:
    value = fields.get(name)
    if value is None:
        raise ParameterError(name, "missing")
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(name, f"must be a whole number, not {value!r}")
    return value
