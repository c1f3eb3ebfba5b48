"""What the programming engine needs from the service, and what it gives it."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class ProgrammingSettings:
    prepare_seconds: float = 5.0
    crossfade_seconds: float = 0.0
    default_timezone: str = "UTC"  # for radios whose Radio.timezone is None
    title_separation: float = 3 * 3600.0
    artist_separation: float = 30 * 60.0


@dataclass(frozen=True)
class PlayCommand:
    """What a master streamer must be told."""

    filename: str
    delay: float  # seconds from now until it starts (>= 0)
    offset: float  # seconds into the file
    crossfade: float


class Player(Protocol):
    """Implemented by the service."""

    def play(self, radio_uuid: str, command: PlayCommand) -> None:
        """Send `command` to the radio's master streamer, if it has one."""

    def song_started(self, radio_uuid: str, song_id: int, started_at: float) -> None:
        """Report a song start to the web app."""
