"""What plays next on a radio: a due jingle, else the show on air, else the default playlist."""

import logging
import random
from dataclasses import dataclass
from datetime import UTC, datetime

from .catalog_view import Playlist, Radio, Song
from .interface import ProgrammingSettings, ScheduleObserver
from .jingles import count_song, due_jingle, hourly_jingle, jingle_played
from .localtime import next_top_of_hour
from .rotation import REPEAT_WINDOW, dropped_rule, has_playable
from .segments import cut_at, jingle_segment, natural_boundary, resume, song_segment
from .show_starts import HARD, begun, taking_over, timed_shows
from .shows import ShowOnAir, on_air, ordered_songs
from .state import RadioState
from .timeline import Segment, Timeline
from .radio_memo import remember_last_radio
from .requests import take_request

log = logging.getLogger("yascheduler.programming")

NOTHING_PLAYABLE = "nothing playable: no default playlist with songs and no show on air with songs"


@dataclass(frozen=True)
class Choice:
    segment: Segment
    rotation_playlist: Playlist | None = None  # whose queue to top up after the play


class Chooser:
    def __init__(
        self, settings: ProgrammingSettings, rng: random.Random, observer: ScheduleObserver
    ):
        self._settings = settings
        self._rng = rng
        self._observer = observer

    def next_segment(self, state: RadioState, current: Segment | None, at: float) -> Choice | None:
        """The segment that starts at `at` after `current` (None: a fresh start).

        Updates the counters and positions kept in the timeline, marking them
        unsaved; None when nothing is playable.
        """
        timeline = state.timeline
        takeover = self._show_taking_over(state, at)
        if takeover is not None:
            return self._show_takes_over(state, current, at, *takeover)
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
            jingle_played(timeline.writable("jingle_counters"), jingle.id, at)
            state.unsaved.add("jingle_counters")
            return Choice(jingle_segment(jingle, at))
        return self._counted(state, self._song(state, current, at))

    @property
    def _crossfade(self) -> float:
        return self._settings.crossfade_seconds

    def _counted(self, state: RadioState, choice: Choice | None) -> Choice | None:
        """A song chosen counts for the between_songs jingles."""
        if choice is not None and count_song(state.radio, state.timeline):
            state.unsaved.add("jingle_counters")
        return choice

    def _show_taking_over(self, state: RadioState, at: float) -> tuple[ShowOnAir, str] | None:
        """(the show, why) when a show that does not wait must begin at `at`."""
        if not timed_shows(state.radio):
            return None
        show = on_air(state.radio, state.zone, at)
        why = None if show is None else taking_over(show, state.history, at)
        return None if why is None else (show, why)

    def _show_takes_over(
        self, state: RadioState, current: Segment | None, at: float, show: ShowOnAir, why: str
    ) -> Choice:
        """The show's first song at `at`: a due jingle waits for the next boundary, the
        hourly jingle of this hour is not played, the song cut for the show does not resume."""
        timeline = state.timeline
        if timeline.interrupted is not None:
            timeline.interrupted = None
            state.unsaved.add("interrupted")
        cut = current is not None and at < natural_boundary(current, self._crossfade)
        if cut:
            log.info(
                "radio %s: show %r cuts what plays at %s (%s)",
                state.uuid,
                show.playlist.name,
                datetime.fromtimestamp(at, UTC).isoformat(),
                "its hard start" if why == HARD else "its max wait",
            )
        choice = self._show_song(state, show, at, current, why if cut else None)
        return self._counted(state, choice)

    def _song(self, state: RadioState, current: Segment | None, at: float) -> Choice | None:
        if state.requests:
            requested = self._requested(state, at)
            if requested is not None:
                return requested
        show = on_air(state.radio, state.zone, at)
        if show is not None:
            return self._show_song(state, show, at, current)
        state.show_on_air = None
        playlist = default_playlist(state.radio)
        if playlist is None:
            return None
        return self._rotation_song(state, playlist, at)

    def _show_song(
        self,
        state: RadioState,
        show: ShowOnAir,
        at: float,
        current: Segment | None,
        cut: str | None = None,
    ) -> Choice:
        playlist = show.playlist
        # measured when the radio was on air before the show, or starts with it
        if (current is not None or at == show.starts_at) and not begun(
            state.history, playlist, show.starts_at, at
        ):
            self._observer.show_started(state.uuid, playlist.id, show.starts_at, at, cut)
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
        self._record(state, song, at)
        return Choice(song_segment(song, playlist.id, at))

    def _requested(self, state: RadioState, at: float) -> Choice | None:
        """A listener's request that may play at `at`; the rotation chooses afresh after it
        (a queued choice may be the song requested)."""
        taken = take_request(state, at, self._settings)
        if taken is None:
            return None
        _, playlist, song = taken
        state.rotation.clear()
        self._record(state, song, at)
        return Choice(song_segment(song, playlist.id, at))

    def _rotation_song(self, state: RadioState, playlist: Playlist, at: float) -> Choice:
        song = state.rotation.next_song(playlist, state.history, at)
        rule = dropped_rule(song, state.history, at, self._settings)
        if rule is not None:
            self._observer.rule_broken(state.uuid, song.id, at, rule)
        self._record(state, song, at)
        return Choice(song_segment(song, playlist.id, at), playlist)

    def _record(self, state: RadioState, song: Song, at: float) -> None:
        """The song counts as played from `at`; a repeat within the window is told."""
        previous = state.history.song_time(song)
        if previous is not None and 0 <= at - previous < REPEAT_WINDOW:
            self._observer.repeated(state.uuid, song.id, at, at - previous)
        state.history.record_song(song, at)


@remember_last_radio
def default_playlist(radio: Radio) -> Playlist | None:
    """The playlist named `default`, if it is enabled and has something to play."""
    for playlist in radio.playlists:
        if playlist.name == "default" and playlist.enabled and has_playable(playlist.songs):
            return playlist
    return None


def _next_in_order(timeline: Timeline, show: ShowOnAir) -> Song:
    """The ordered show's next song; a show that starts anew starts from its first song."""
    key = str(show.playlist.id)
    position = timeline.show_positions.get(key) or {}
    index = position.get("next", 0) if position.get("show_start") == show.starts_at else 0
    songs = ordered_songs(show.playlist)
    song = songs[index % len(songs)]
    timeline.writable("show_positions")[key] = {
        "show_start": show.starts_at,
        "next": index % len(songs) + 1,
    }
    return song
