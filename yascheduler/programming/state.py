"""What the engine keeps in memory about one programmed radio."""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .catalog_view import Radio
from .history import PlayHistory
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

    @property
    def uuid(self) -> str:
        return self.radio.uuid
