"""The show calendar: which show is on air at an instant, and when the next one starts."""

import math
from functools import lru_cache
from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from .catalog_view import Playlist, Radio, Show, Song, WEEKDAYS
from .localtime import local_date, wall_clock_instant
from .rotation import has_playable, playable
from .radio_memo import remember_last_radio

DAY = 86400.0
WEEK_DAYS = 7


@dataclass(frozen=True)
class ShowOnAir:
    playlist: Playlist
    starts_at: float
    ends_at: float


@remember_last_radio
def show_playlists(radio: Radio) -> list[Playlist]:
    """The radio's enabled shows, of enabled playlists, that have something to play."""
    return [
        playlist
        for playlist in radio.playlists
        if playlist.show is not None
        and playlist.enabled
        and playlist.show.enabled
        and has_playable(playlist.songs)
    ]


def on_air(radio: Radio, zone: ZoneInfo, instant: float) -> ShowOnAir | None:
    """The show on air at `instant`; of several, the one that started last."""
    latest = None
    for playlist in show_playlists(radio):
        show = playlist.show
        # a show that started on an earlier day may still be running
        days_back = math.ceil(show.duration / DAY) + 1
        for start in _starts(show, zone, local_date(instant, zone), -days_back, 0):
            if start <= instant < start + show.duration and (
                latest is None or start > latest.starts_at
            ):
                latest = ShowOnAir(playlist, start, start + show.duration)
    return latest


def next_show_start(radio: Radio, zone: ZoneInfo, instant: float) -> float | None:
    """The first start of any show strictly after `instant`, None if the radio has no show."""
    starts = [
        start
        for playlist in show_playlists(radio)
        for start in _starts(playlist.show, zone, local_date(instant, zone), 0, WEEK_DAYS + 1)
        if start > instant
    ]
    return min(starts, default=None)


def starts_between(show: Show, zone: ZoneInfo, after: float, before: float) -> list[float]:
    """The show's start instants strictly between `after` and `before`."""
    first, last = local_date(after, zone), local_date(before, zone)
    days = (last - first).days
    return [start for start in _starts(show, zone, first, -1, days + 1) if after < start < before]


def _starts(show: Show, zone: ZoneInfo, today, first: int, last: int) -> tuple[float, ...]:
    """The show's start instants on the days today+first .. today+last."""
    return _starts_on_days(tuple(show.days), show.time, zone, today, first, last)


@lru_cache(maxsize=1 << 16)
def _starts_on_days(days: tuple, wall: str, zone: ZoneInfo, today, first: int, last: int):
    """Cached: each choice asks it of every show, for the days around it, and radios
    share zones and show times."""
    at = time.fromisoformat(wall)
    return tuple(
        wall_clock_instant(day, at, zone)
        for shift in range(first, last + 1)
        if WEEKDAYS[(day := today + timedelta(days=shift)).weekday()] in days
    )


def ordered_songs(playlist: Playlist) -> list[Song]:
    """An ordered show's songs in play order: by `order` (unordered last), then id."""
    return sorted(
        playable(playlist.songs),
        key=lambda song: (song.order is None, song.order or 0, song.id),
    )
