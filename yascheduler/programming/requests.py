"""Listener requests: which a radio accepts, and which one plays at a song boundary.

A request names a song of the radio's catalog. It is refused, by the first
rule of RULES it breaks, when the song is in none of the radio's playable
playlists; when its user has `requests_per_user` requests pending (on any
radio), or the radio `requests_per_radio`; when the song started, or is
chosen to start, within `request_repeat_seconds`, or is requested already;
and when, at the radio's next song boundary, a hard show is on air that the
song is not part of, or another song of its title or artist played within
their separation (the song's own last play is the repeat rule's, not theirs).

At each song boundary, after a due jingle (choice.py), the oldest pending
request that no rule refuses then plays; the others wait their turn (one
held back by a hard show plays after it). The rotation queues are chosen
again after it, with the request counted as played.
"""

import logging
from datetime import UTC, datetime

from uuid import uuid4

from yascheduler.support.errors import NotFoundError, RequestRefused

from .catalog_view import Playlist, Radio, Song
from .interface import ProgrammingSettings, RequestStore, SongRequest
from .segments import ends_at
from .show_starts import HARD
from .shows import ShowOnAir, on_air
from .state import RadioState

log = logging.getLogger("yascheduler.requests")

NOT_IN_CATALOG, USER_LIMIT, RADIO_LIMIT = "not_in_catalog", "user_limit", "radio_limit"
RECENTLY_PLAYED, HARD_SHOW, SEPARATION = "recently_played", "hard_show", "separation"
RULES = (NOT_IN_CATALOG, USER_LIMIT, RADIO_LIMIT, RECENTLY_PLAYED, HARD_SHOW, SEPARATION)


class RequestDesk:
    """The programmed radios' pending requests: taken in (`submit`, under the engine's
    lock), listed, and forgotten once played (`taken`, from the engine's save)."""

    def __init__(self, clock, settings: ProgrammingSettings, radios: dict, lock, store):
        self._clock = clock
        self._settings = settings
        self._radios = radios  # the engine's: uuid -> RadioState
        self._lock = lock
        self._store: RequestStore = _Unkept() if store is None else store
        self._per_user: dict[int, int] = {}  # user id -> requests pending

    def load(self, requests) -> None:
        """Stored requests back to their radios, oldest first (those of radios not
        programmed wait in the store)."""
        for request in sorted(requests, key=lambda request: request.requested_at):
            state = self._radios.get(request.radio_uuid)
            if state is not None:
                state.requests += (request,)
                self._count(request.user_id, 1)

    def submit(self, radio_uuid: str, song_id: int, user_id: int) -> SongRequest:
        """Queue the song for the radio's next song boundary; NotFoundError for a radio not
        programmed, RequestRefused saying which rule refuses it."""
        with self._lock:
            state = self._radios.get(radio_uuid)
            if state is None:
                raise NotFoundError(f"unknown radio {radio_uuid}")
            now = self._clock.now()
            self._admit(state, song_id, user_id, now)
            request = SongRequest(uuid4().hex, radio_uuid, song_id, user_id, now)
            state.requests += (request,)
            self._count(user_id, 1)
            self._store.add(request)
        log.info("radio %s: request %s of song %d by user %d queued", *_shown(request))
        return request

    def song(self, radio_uuid: str, song_id: int) -> Song | None:
        """The song of the radio's catalog a request names, if it is there."""
        state = self._radios.get(radio_uuid)
        found = None if state is None else requested_song(state.radio, song_id, None)
        return None if found is None else found[1]

    def pending(self, radio_uuid: str) -> list[SongRequest] | None:
        """The radio's pending requests, oldest first; None if it is not programmed."""
        state = self._radios.get(radio_uuid)
        return None if state is None else list(state.requests)

    def taken(self, state: RadioState) -> None:
        """Forget the requests the radio took (played, or dropped) since the last save."""
        for request in state.requests_done:
            self._count(request.user_id, -1)
            self._store.delete(request.id, state.uuid)
        state.requests_done = ()

    def radio_gone(self, state: RadioState, forget_stored: bool = True) -> None:
        """The radio is no longer programmed: its requests are dropped (`forget_stored`
        False: another instance programs it now, and takes them from the store)."""
        if forget_stored:
            state.requests_done += state.requests
            self.taken(state)
        else:
            for request in state.requests:
                self._count(request.user_id, -1)
        state.requests = ()

    def _admit(self, state: RadioState, song_id: int, user_id: int, now: float) -> None:
        settings = self._settings
        found = requested_song(state.radio, song_id, None)
        if found is None:
            refuse(NOT_IN_CATALOG, f"song {song_id} is in none of the radio's playable playlists")
        pending = self._per_user.get(user_id, 0)
        if pending >= settings.requests_per_user:
            refuse(USER_LIMIT, f"user {user_id} has {pending} pending requests, the most allowed")
        if len(state.requests) >= settings.requests_per_radio:
            refuse(RADIO_LIMIT, f"the radio has {len(state.requests)} pending, the most allowed")
        if any(request.song_id == song_id for request in state.requests):
            refuse(RECENTLY_PLAYED, f"song {song_id} is requested already")
        played = state.history.song_time(found[1])
        if played is not None and now - played < settings.request_repeat_seconds:
            when = datetime.fromtimestamp(played, UTC).isoformat()
            minutes = settings.request_repeat_seconds / 60
            refuse(RECENTLY_PLAYED, f"song {song_id} plays at {when}, within {minutes:g} minutes")
        rule, _ = refusal_at(state, song_id, next_boundary(state, now), settings)
        if rule == HARD_SHOW:
            refuse(HARD_SHOW, f"a hard show is on air and song {song_id} is not one of its songs")
        if rule == SEPARATION:
            refuse(SEPARATION, f"song {song_id}'s title or artist played too recently")

    def _count(self, user_id: int, change: int) -> None:
        count = self._per_user.get(user_id, 0) + change
        if count > 0:
            self._per_user[user_id] = count
        else:
            self._per_user.pop(user_id, None)


def refuse(rule: str, message: str):
    raise RequestRefused(rule, message)


def take_request(
    state: RadioState, at: float, settings: ProgrammingSettings
) -> tuple[SongRequest, Playlist, Song] | None:
    """The oldest pending request that may play at `at` (a song boundary), no longer
    pending; a request whose song has left the catalog is dropped."""
    for request in state.requests:
        rule, found = refusal_at(state, request.song_id, at, settings)
        if rule in (None, NOT_IN_CATALOG):
            state.requests = tuple(kept for kept in state.requests if kept is not request)
            state.requests_done += (request,)
        if rule is None:
            log.info("radio %s: request %s of song %d by user %d plays", *_shown(request))
            return request, *found
        if rule == NOT_IN_CATALOG:
            log.info("radio %s: request %s of song %d by user %d dropped: gone", *_shown(request))
    return None


def refusal_at(
    state: RadioState, song_id: int, at: float, settings: ProgrammingSettings
) -> tuple[str | None, tuple[Playlist, Song] | None]:
    """(the rule that keeps the song from playing at `at`, or None; where it plays from)."""
    show = on_air(state.radio, state.zone, at)
    found = requested_song(state.radio, song_id, show)
    if found is None:
        return NOT_IN_CATALOG, None
    playlist, song = found
    if show is not None and show.playlist.show.start == HARD and playlist.id != show.playlist.id:
        return HARD_SHOW, found
    if breaks_separation(song, state, at, settings):
        return SEPARATION, found
    return None, found


def requested_song(
    radio: Radio, song_id: int, show: ShowOnAir | None
) -> tuple[Playlist, Song] | None:
    """Where the song plays from: the show on air if it has it, else the first enabled
    playlist that does; None if none has it playable."""
    playlists = [] if show is None else [show.playlist]
    playlists += [
        playlist
        for playlist in radio.playlists
        if playlist.enabled and (playlist.show is None or playlist.show.enabled)
    ]
    for playlist in playlists:
        for song in playlist.songs:
            if song.id == song_id and song.enabled and song.duration > 0:
                return playlist, song
    return None


def breaks_separation(song: Song, state: RadioState, at: float, settings) -> bool:
    """Whether another song of its title, or of its artist, started within their
    separation before `at`."""
    song_at, title_at, artist_at = state.history.separation_start(song)
    return (title_at != song_at and at - title_at < settings.title_separation) or (
        artist_at != song_at and at - artist_at < settings.artist_separation
    )


def next_boundary(state: RadioState, now: float) -> float:
    """Where the radio's next song could start: after the segment chosen to follow, else
    at the current one's boundary."""
    timeline = state.timeline
    if timeline.next is not None:
        return max(now, ends_at(timeline.next))
    return max(now, timeline.boundary or now)


def request_from_stored(stored: dict) -> SongRequest:
    """A stored request (store/requests.py) decoded; KeyError, TypeError or ValueError if
    it cannot be."""
    return SongRequest(
        str(stored["_id"]),
        str(stored["radio_uuid"]),
        int(stored["song_id"]),
        int(stored["user_id"]),
        float(stored["requested_at"]),
    )


def _shown(request: SongRequest) -> tuple:
    return request.radio_uuid, request.id, request.song_id, request.user_id


class _Unkept:
    """No store: an engine of the tests, or a dry run's."""

    def add(self, request) -> None:
        pass

    def delete(self, request_id, radio_uuid) -> None:
        pass
