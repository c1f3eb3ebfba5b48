"""What the engine keeps in memory about one programmed radio."""

import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .catalog_view import Radio
from .history import PlayHistory
from .interface import ProgrammingSettings, SongRequest
from .rotation import Rotation
from .timeline import Timeline


@dataclass(slots=True, eq=False)
class RadioState:
    radio: Radio
    zone: ZoneInfo
    timeline: Timeline
    history: PlayHistory
    rotation: Rotation
    show_on_air: tuple[int, float] | None = None  # (playlist id, start) last played from
    # what changed since the last write (Programmer._save): field names, and song starts
    unsaved: set[str] = field(default_factory=set)
    unsaved_song_starts: dict[int, float] = field(default_factory=dict)
    # listener requests (requests.py): pending, oldest first; taken since the last write
    requests: list[SongRequest] = field(default_factory=list)
    requests_done: list[SongRequest] = field(default_factory=list)
    sent_lateness: float = 0.0  # how late the play of the segment chosen last was sent

    @property
    def uuid(self) -> str:
        return self.radio.uuid

    def copy(self, rng: random.Random) -> "RadioState":
        """A copy to run on its own (a preview's dry run): nothing that changes is shared
        with this state; its rotation chooses with `rng`."""
        return RadioState(
            radio=self.radio,  # frozen, as is the zone
            zone=self.zone,
            timeline=self.timeline.copy(),
            history=self.history.overlay(),
            rotation=self.rotation.copy(rng),
            show_on_air=self.show_on_air,
            requests=list(self.requests),
        )


@dataclass(frozen=True)
class RadioCopy:
    """A programmed radio copied at `at` for a dry run: its state, its pending event
    (at, kind) if any, a random generator where the live engine's is, and the
    engine's settings."""

    state: RadioState
    event: tuple[float, str] | None
    rng: random.Random
    at: float
    settings: ProgrammingSettings
