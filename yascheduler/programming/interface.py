"""What the programming engine needs from the service, and what it gives it."""

from collections.abc import Callable, Mapping
import math
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ProgrammingSettings:
    prepare_seconds: float = 5.0
    crossfade_seconds: float = 0.0
    default_timezone: str = "UTC"  # for radios whose Radio.timezone is None
    title_separation: float = 3 * 3600.0
    artist_separation: float = 30 * 60.0
    # listener requests (requests.py): a song played or requested this recently is
    # refused; pending requests at most per user (across radios) and per radio
    request_repeat_seconds: float = 15 * 60.0
    requests_per_user: int = 1
    requests_per_radio: int = 5
    # seconds a segment is chosen before its play is due (transitions.py: the setting
    # decide_ahead_seconds); 0: chosen and sent at once
    decide_ahead: float = 0.0


@dataclass(frozen=True)
class PlayCommand:
    """What a master streamer must be told, in absolute times: the `delay` and `offset`
    of the message are computed when it is sent (a send that waited shifts nothing)."""

    filename: str
    starts_at: float  # when the track starts (or started)
    offset: float  # seconds into the file at `starts_at`
    crossfade: float
    # when the file ends: a play still unsent then is not sent (streaming/bus.py); not
    # what the play says, so not what makes two plays the same
    ends_at: float = field(default=math.inf, compare=False)

    def delay_at(self, now: float) -> float:
        """Seconds from `now` until it starts (0 once it has)."""
        return max(0.0, self.starts_at - now)

    def offset_at(self, now: float) -> float:
        """Seconds into the file at `now`."""
        return self.offset + max(0.0, now - self.starts_at)


@dataclass(frozen=True, slots=True)
class TrackStart:
    """A track that started on a radio, as its play history keeps it (tracks.py)."""

    radio_uuid: str
    kind: str  # tracks.KINDS: song, jingle, hourly_jingle, show_song
    song_id: int | None
    file: str
    artist: str | None
    title: str | None  # a jingle's name
    show: str | None  # the show it belongs to (a song), or is on air (a jingle)
    starts_at: float
    lateness: float  # seconds its play was sent late, as the engine measures play lateness


@dataclass(frozen=True, slots=True)
class SongRequest:
    """A listener's request of a song of the radio's catalog, pending until it plays."""

    id: str
    radio_uuid: str
    song_id: int
    user_id: int
    requested_at: float


class Player(Protocol):
    """Implemented by the service."""

    def play(self, radio_uuid: str, command: PlayCommand, due_at: float | None = None) -> None:
        """Send `command` to the radio's master streamer, if it has one (`due_at`: a play
        decided ahead, due then: the state it names was queued for the store before it,
        in an earlier event, and it waits for no change queued after it)."""

    def song_started(self, radio_uuid: str, song_id: int, started_at: float) -> None:
        """Report a song start to the web app."""


class ScheduleObserver(Protocol):
    """Told how well each radio keeps to its schedule, as it happens: the engine's
    adherence.AdherenceMeter (for /api/status and the metrics), or a preview's record."""

    def started(self, radio_uuid: str, segment) -> None:
        """A timeline.Segment became the one playing, at its starts_at."""

    def show_started(
        self, radio_uuid: str, playlist_id: int, planned_at: float, at: float, cut: str | None
    ) -> None:
        """A show's first song was chosen to start at `at`, for a show planned at
        `planned_at`; `cut`: why the segment before it was cut for it (show_starts.HARD,
        MAX_WAIT), None if it was not."""

    def rule_broken(self, radio_uuid: str, song_id: int, at: float, rule: str) -> None:
        """A rotation song was chosen to start at `at` that breaks a separation rule
        (rotation.RULES: the first it breaks), for want of a song that kept it."""

    def repeated(self, radio_uuid: str, song_id: int, at: float, seconds: float) -> None:
        """A song was chosen to start at `at`, `seconds` after its previous start, within
        the repeat window."""

    def radio_broke(self, radio_uuid: str, at: float) -> None:
        """The radio has nothing to play from `at` (dead air)."""

    def radio_mended(self, radio_uuid: str, at: float) -> None:
        """The radio plays again from `at`, or is no longer programmed."""


class TrackLog(Protocol):
    """Told of every track started (the service's play history; a dry run has none)."""

    def track_started(self, track: TrackStart) -> None:
        """`track` became the one playing, at its starts_at."""


class RequestStore(Protocol):
    """Where pending listener requests are kept (store/requests.py)."""

    def add(self, request: SongRequest) -> None:
        """A request accepted."""

    def delete(self, request_id: str, radio_uuid: str) -> None:
        """A request of the radio taken to play (or of a radio gone)."""


class TimelineStore(Protocol):
    """Where the radios' timelines are kept (store/timelines.py). The stored form is
    the engine's (persistence.py): dicts of field -> value."""

    def load_all(self, decode: Callable[[dict], T]) -> dict[str, T]:
        """Radio uuid -> decode(its stored timeline); one that decode refuses (raises)
        is logged and skipped."""

    def save(self, radio_uuid: str, changes: dict) -> None:
        """Set these fields (a dotted name sets one key of a stored dict) of the radio's
        timeline, creating it if need be. The values are the engine's own (the song
        starts): what they hold now is stored, not what they hold later."""

    def insert(self, timelines: Mapping[str, dict]) -> None:
        """Store whole timelines of radios that had none, {radio uuid: fields}, at once."""

    def delete(self, radio_uuid: str) -> None:
        """The radio's timeline is gone (none is fine)."""
