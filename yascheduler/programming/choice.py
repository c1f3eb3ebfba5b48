"""What plays next on a radio: a due jingle, else the show on air, else the default playlist."""

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from .catalog_view import Playlist, Radio, Song
from .interface import ProgrammingSettings
from .jingles import count_song, due_jingle, hourly_jingle, jingle_played
from .localtime import next_top_of_hour
from .rotation import playable
from .segments import cut_at, jingle_segment, natural_boundary, resume, song_segment
from .shows import ShowOnAir, on_air, ordered_songs
from .state import RadioState
from .timeline import Segment, Timeline

log = logging.getLogger("yascheduler.programming")

NOTHING_PLAYABLE = "nothing playable: no default playlist with songs and no show on air with songs"


@dataclass(frozen=True)
class Choice:
    segment: Segment
    rotation_playlist: Playlist | None = None  # whose queue to top up after the play


class Chooser:
    def __init__(self, settings: ProgrammingSettings, rng: random.Random):
        self._settings = settings
        self._rng = rng

    def next_segment(self, state: RadioState, current: Segment | None, at: float) -> Choice | None:
        """The segment that starts at `at` after `current` (None: a fresh start).

        Updates the counters and positions kept in the timeline, marking them
        unsaved; None when nothing is playable.
        """
        timeline = state.timeline
        hourly = hourly_jingle(state.radio)
        if (
            current is not None
            and current.kind == "song"
            and at < natural_boundary(current, self._crossfade)
        ):
            # the boundary is the top of the hour cutting `current`
            timeline.interrupted = cut_at(current, at)
            state.unsaved.add("interrupted")
            if hourly is not None:
                return Choice(jingle_segment(hourly, at))
        if timeline.interrupted is not None:
            segment = resume(timeline.interrupted, at)
            timeline.interrupted = None
            state.unsaved.add("interrupted")
            return Choice(segment)
        if (
            hourly is not None
            and current is not None
            and next_top_of_hour(state.zone, current.starts_at) <= at
        ):
            # the hour turned during a jingle, or exactly at the boundary: nothing to cut
            return Choice(jingle_segment(hourly, at))
        jingle = due_jingle(state.radio, timeline.jingle_counters)
        if jingle is not None:
            jingle_played(timeline.jingle_counters, jingle.id, at)
            state.unsaved.add("jingle_counters")
            return Choice(jingle_segment(jingle, at))
        choice = self._song(state, at)
        if choice is not None and count_song(state.radio, timeline.jingle_counters):
            state.unsaved.add("jingle_counters")
        return choice

    @property
    def _crossfade(self) -> float:
        return self._settings.crossfade_seconds

    def _song(self, state: RadioState, at: float) -> Choice | None:
        show = on_air(state.radio, state.zone, at)
        if show is not None:
            return self._show_song(state, show, at)
        state.show_on_air = None
        playlist = default_playlist(state.radio)
        if playlist is None:
            return None
        return self._rotation_song(state, playlist, at)

    def _show_song(self, state: RadioState, show: ShowOnAir, at: float) -> Choice:
        playlist = show.playlist
        if state.show_on_air != (playlist.id, show.starts_at):
            state.show_on_air = (playlist.id, show.starts_at)
            log.info(
                "radio %s: show %r (playlist %d) on air from %s",
                state.uuid,
                playlist.name,
                playlist.id,
                datetime.fromtimestamp(show.starts_at, UTC).isoformat(),
            )
        if playlist.show.random_play:
            return self._rotation_song(state, playlist, at)
        song = _next_in_order(state.timeline, show)
        state.unsaved.add("show_positions")
        state.history.record_song(song, at)
        return Choice(song_segment(song, playlist.id, at))

    def _rotation_song(self, state: RadioState, playlist: Playlist, at: float) -> Choice:
        song = state.rotation.next_song(playlist, state.history, at)
        state.history.record_song(song, at)
        return Choice(song_segment(song, playlist.id, at), playlist)


def default_playlist(radio: Radio) -> Playlist | None:
    """The playlist named `default`, if it is enabled and has something to play."""
    for playlist in radio.playlists:
        if playlist.name == "default" and playlist.enabled and playable(playlist.songs):
            return playlist
    return None


def _next_in_order(timeline: Timeline, show: ShowOnAir) -> Song:
    """The ordered show's next song; a show that starts anew starts from its first song."""
    key = str(show.playlist.id)
    position = timeline.show_positions.get(key) or {}
    index = position.get("next", 0) if position.get("show_start") == show.starts_at else 0
    songs = ordered_songs(show.playlist)
    song = songs[index % len(songs)]
    timeline.show_positions[key] = {
        "show_start": show.starts_at,
        "next": index % len(songs) + 1,
    }
    return song
