"""The programming engine: what every radio plays, and when the streamers are told."""

from .engine import Programmer
from .interface import PlayCommand, Player, ProgrammingSettings

__all__ = ["PlayCommand", "Player", "Programmer", "ProgrammingSettings"]
