"""What the engine keeps in memory about one programmed radio."""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .. import models
from .history import PlayHistory
from .rotation import Rotation


@dataclass(eq=False)
class RadioState:
    radio: models.Radio
    zone: ZoneInfo
    timeline: models.RadioTimeline  # in memory; written field by field by the engine
    history: PlayHistory
    rotation: Rotation
    event_kind: str | None = None  # the one pending event, if any
    event_at: float = 0.0
    event_seq: int = 0  # heap entries with another seq are stale
    show_on_air: tuple[int, float] | None = field(
        default=None
    )  # (playlist id, start) last played from

    @property
    def uuid(self) -> str:
        return self.radio.uuid
