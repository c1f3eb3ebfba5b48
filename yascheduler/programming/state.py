"""What the engine keeps in memory about one programmed radio."""

import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .catalog_view import Radio
from .history import PlayHistory
from .interface import ProgrammingSettings, SongRequest
from .rotation import Rotation
from .timeline import TIMELINE_FIELDS, Timeline

EVENT = "event"  # the pending event's two stored fields, as one unsaved name
_BITS = {name: 1 << index for index, name in enumerate((*TIMELINE_FIELDS, EVENT))}


class Unsaved:
    """The stored fields (TIMELINE_FIELDS, EVENT) of a radio changed since the last write,
    a set of names read and written as the bits of its state's `unsaved_bits`: a view
    made when asked, as an object of its own held by each radio would cost 40 bytes
    (a set 216), 100,000 radios over."""

    __slots__ = ("_state",)

    def __init__(self, state: "RadioState"):
        self._state = state

    def add(self, name: str) -> None:
        self._state.unsaved_bits |= _BITS[name]

    def update(self, names) -> None:
        for name in names:
            self._state.unsaved_bits |= _BITS[name]

    def clear(self) -> None:
        self._state.unsaved_bits = 0

    def __bool__(self) -> bool:
        return self._state.unsaved_bits != 0

    def __iter__(self):
        bits = self._state.unsaved_bits
        return (name for name, bit in _BITS.items() if bits & bit)


@dataclass(slots=True, eq=False)
class RadioState:
    radio: Radio
    zone: ZoneInfo
    timeline: Timeline
    history: PlayHistory
    rotation: Rotation
    show_on_air: tuple[int, float] | None = None  # (playlist id, start) last played from
    # what changed since the last write (Programmer._save): field names (`unsaved`), and
    # song starts
    unsaved_bits: int = 0
    # (song id, start) in the order they came: mostly the one song playing, which a
    # tuple holds in a third of a dict's bytes
    unsaved_song_starts: tuple[tuple[int, float], ...] = ()
    # listener requests (requests.py): pending, oldest first; taken since the last write
    # (tuples, replaced when they change: most radios have none, and an empty list each
    # would cost 56 bytes, 100,000 radios over)
    requests: tuple[SongRequest, ...] = ()
    requests_done: tuple[SongRequest, ...] = ()
    sent_lateness: float = 0.0  # how late the play of the segment chosen last was sent

    @property
    def uuid(self) -> str:
        return self.radio.uuid

    @property
    def unsaved(self) -> Unsaved:
        """The stored fields changed since the last write, as a set of names."""
        return Unsaved(self)

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
            requests=self.requests,
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
