"""What each timed event does to a radio: choose, tell the player, plan the next event.

`prepare` comes `prepare_seconds` before the boundary where the next
segment starts: it chooses that segment and tells the player. With
`decide_ahead` (the setting decide_ahead_seconds), it comes that much earlier and
only chooses; `send` tells the player at the prepare time: the choice is
stored meanwhile, so the play waits for no write (a `play` goes once the
state it names is stored, streaming/bus.py). `start` comes at the boundary:
the chosen segment becomes the current one.
`retry` brings back a broken radio (at the next show start) or one whose
event failed. Each changes the radio's state in memory and marks what
changed (state.unsaved); the engine writes it.
"""

import logging
import random
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

from .choice import NOTHING_PLAYABLE, Choice, Chooser
from .events import EventQueue
from .interface import Player, ProgrammingSettings, ScheduleObserver, TrackLog
from .jingles import hourly_jingle
from .lateness import LatenessMeter
from .persistence import EVENT
from .segments import boundary, ends_at, play_command
from .show_starts import show_cut
from .shows import next_show_start
from .state import RadioState
from .timeline import TIMELINE_FIELDS, Segment
from .tracks import catalog_song, track_start

log = logging.getLogger("yascheduler.programming")

PREPARE, SEND, START, RETRY = "prepare", "send", "start", "retry"
# what a segment start changes
START_FIELDS = ("current", "next", "boundary")
# after an event failed: long enough not to flood the log, short enough to come back soon
ERROR_RETRY_SECONDS = 60.0


class Transitions:
    def __init__(
        self,
        clock,
        player: Player,
        settings: ProgrammingSettings,
        rng: random.Random,
        events: EventQueue,
        lateness: LatenessMeter,
        on_scheduled: Callable[[float], None],
        observer: ScheduleObserver,
        tracks: TrackLog | None = None,
    ):
        self._clock = clock
        self._tracks = tracks  # told of every track started: the play history
        self._player = player
        self._settings = settings
        self._chooser = Chooser(settings, rng, observer)
        self._observer = observer
        self._events = events
        self._lateness = lateness
        self._on_scheduled = on_scheduled  # told when each event is pushed
        # the radios with nothing playable, kept up to date for the dashboard
        self.broken: set[str] = set()
        # radio uuid -> (state, playlist, when its next song could start): queues to top
        # up, oldest first (an OrderedDict: a dict's first key is found by scanning the
        # slots its deletions left)
        self.top_ups: OrderedDict[str, tuple] = OrderedDict()

    def process(self, state: RadioState, kind: str, at: float) -> bool:
        """Do a due event. True when its changes may wait for the next write: a restart
        would replay it the same."""
        replayed_after_restart = False
        try:
            if kind == PREPARE:
                self._prepare(state, at)
            elif kind == SEND:
                replayed_after_restart = self._send_prepared(state, at)
            elif kind == START:
                replayed_after_restart = self._start(state, at)
            else:
                self.recover(state, at)
        except Exception:
            log.exception("radio %s: %s event at %s failed", state.uuid, kind, _iso(at))
            self.push(state, max(at, self._clock.now()) + ERROR_RETRY_SECONDS, RETRY)
        return replayed_after_restart

    def _prepare(self, state: RadioState, at: float) -> None:
        """Choose what follows the current segment and tell the player, ahead of the boundary."""
        timeline = state.timeline
        starts_at = timeline.boundary
        choice = self._chooser.next_segment(state, timeline.current, starts_at)
        if choice is None:
            self._break(state, starts_at, NOTHING_PLAYABLE)
            return
        self._mend(state, starts_at)
        timeline.next = choice.segment
        state.unsaved.add("next")
        self._top_up(state, choice)
        if self._settings.decide_ahead:  # sent at the prepare time, once stored
            self._schedule(state, max(at, starts_at - self._settings.prepare_seconds), SEND)
            return
        self._schedule(state, starts_at, START)
        self._send(state, choice.segment, self._settings.crossfade_seconds, planned_at=at)

    def _send_prepared(self, state: RadioState, at: float) -> bool:
        """Tell the player of the segment chosen ahead (stored since), then wait for its
        start. True when a restart would do the same: its changes (the play sent, the
        start to wait for) are written with the next prepare's; a restart tells it was
        sent from the send mark of the instance (store/send_marks.py)."""
        timeline = state.timeline
        if timeline.next is None:  # not expected: programmed again from what there is
            self.recover(state, at)
            return False
        state.unsaved.add("next")  # sent now
        self._schedule(state, timeline.boundary, START)
        crossfade = self._settings.crossfade_seconds
        self._send(state, timeline.next, crossfade, planned_at=at, due_at=at)
        return True

    def _start(self, state: RadioState, at: float) -> bool:
        """The prepared segment starts. True when a restart would do the same.

        The stored timeline still holds the prepared segment and the start
        event, so a restart replays this start (at most reporting the song
        start to the web app again); its changes are written with the next
        prepare's, for one write per track.
        """
        timeline = state.timeline
        if timeline.next is None:
            self.recover(state, at)
            return False
        timeline.current, timeline.next = timeline.next, None
        self._begin(state, at)
        return True

    def recover(self, state: RadioState, at: float) -> None:
        """Program again from `at`: keep what is still playing, else start afresh."""
        timeline = state.timeline
        if timeline.next is not None and ends_at(timeline.next) > at:
            if timeline.next.sent or not self._settings.decide_ahead:
                self._schedule(state, max(at, timeline.next.starts_at), START)
            else:  # chosen ahead, not sent yet
                self._schedule(state, max(at, self._send_at(timeline.next.starts_at)), SEND)
        elif (
            timeline.current is not None
            and timeline.boundary is not None
            and timeline.boundary > at
        ):
            timeline.next = None
            state.unsaved.add("next")
            self._schedule(state, max(at, self._prepare_at(timeline.boundary)), PREPARE)
        else:
            self.start_fresh(state, at)

    def replan(self, state: RadioState, at: float) -> None:
        """The radio's catalog changed: where the segment playing ends, again, unless
        what follows it is chosen already."""
        timeline = state.timeline
        if timeline.current is None or timeline.next is not None:
            return
        boundary = self._boundary(state, timeline.current)
        if boundary != timeline.boundary:
            timeline.boundary = boundary
            state.unsaved.add("boundary")
            self._schedule(state, max(at, self._prepare_at(boundary)), PREPARE)

    def start_fresh(self, state: RadioState, at: float) -> None:
        """A first segment from offset 0 at `at`, with nothing before it."""
        timeline = state.timeline
        timeline.current = timeline.next = timeline.interrupted = None
        state.unsaved.update(("current", "next", "interrupted"))
        choice = self._chooser.next_segment(state, None, at)
        if choice is None:
            self._break(state, at, NOTHING_PLAYABLE)
            return
        self._mend(state, at)
        timeline.current = choice.segment
        self._send(state, choice.segment, 0.0)
        self._top_up(state, choice)
        self._begin(state, at)

    def _begin(self, state: RadioState, at: float) -> None:
        """The current segment starts: record it and plan the next prepare."""
        timeline = state.timeline
        segment = timeline.current
        timeline.boundary = self._boundary(state, segment)
        state.unsaved.update(START_FIELDS)
        self._observer.started(state.uuid, segment)
        # sent, or still playing: not one that ended while we caught up, never sent
        heard = segment.sent or self._clock.now() < ends_at(segment)
        if self._tracks is not None and heard and not segment.resumed:
            self._tracks.track_started(track_start(state, segment, state.sent_lateness))
        if segment.kind == "song" and not segment.resumed:
            self._record_song_start(state, segment, heard)
        # a segment shorter than prepare_seconds: prepare at once
        self._schedule(state, max(at, self._prepare_at(timeline.boundary)), PREPARE)

    def _send_at(self, boundary: float) -> float:
        """When the play of the segment starting at `boundary` is due."""
        return boundary - self._settings.prepare_seconds

    def _prepare_at(self, boundary: float) -> float:
        """When the segment starting at `boundary` is chosen."""
        return self._send_at(boundary) - self._settings.decide_ahead

    def _boundary(self, state: RadioState, segment: Segment) -> float:
        """Where the next segment takes over: the segment's end less the crossfade, or
        the top of the hour cutting a song, or a show that does not wait cutting it."""
        hourly = hourly_jingle(state.radio) is not None
        until = boundary(segment, state.zone, hourly, self._settings.crossfade_seconds)
        cut = show_cut(state.radio, state.zone, state.history, segment, until)
        return until if cut is None else cut

    def _record_song_start(self, state: RadioState, segment: Segment, heard: bool) -> None:
        _, song = catalog_song(state.radio, segment)
        artist, title = (song.artist, song.title) if song is not None else (None, None)
        state.history.record(segment.song_id, artist, title, segment.starts_at)
        state.unsaved_song_starts += ((segment.song_id, segment.starts_at),)
        if heard:
            self._player.song_started(state.uuid, segment.song_id, segment.starts_at)

    def _send(
        self,
        state: RadioState,
        segment: Segment,
        crossfade: float,
        planned_at: float | None = None,
        due_at: float | None = None,
    ) -> None:
        """Tell the player (`due_at`: a play decided ahead, due then: the segment's choice
        is queued for the store already, the play waits for nothing queued after it)."""
        now = self._clock.now()
        command = play_command(segment, now, crossfade)
        # a fresh start's play is due when its segment starts
        state.sent_lateness = now - (segment.starts_at if planned_at is None else planned_at)
        if command is not None:
            segment.sent = True
            if planned_at is not None:
                self._lateness.add(state.sent_lateness)
            if due_at is not None:
                self._player.play(state.uuid, command, due_at=due_at)
            else:
                self._player.play(state.uuid, command)

    def _top_up(self, state: RadioState, choice: Choice) -> None:
        """The rotation queue the choice drew from is topped up later, off the critical path."""
        if choice.rotation_playlist is not None:
            self.top_ups[state.uuid] = (state, choice.rotation_playlist, choice.segment.starts_at)

    def _break(self, state: RadioState, at: float, reason: str) -> None:
        """Nothing to play: wait for the next show start, or for the catalog to change."""
        timeline = state.timeline
        if timeline.broken is None:  # silent once what plays has ended
            playing = timeline.current
            silent_from = at if playing is None else max(at, ends_at(playing))
            self._observer.radio_broke(state.uuid, silent_from)
        if timeline.broken != reason:
            log.warning("radio %s broken: %s", state.uuid, reason)
        timeline.broken = reason
        self.broken.add(state.uuid)
        timeline.next = None
        state.unsaved.update(TIMELINE_FIELDS)
        retry_at = next_show_start(state.radio, state.zone, at)
        if retry_at is None:
            self._events.cancel(state.uuid)
            state.unsaved.add(EVENT)
        else:
            self._schedule(state, retry_at, RETRY)

    def _mend(self, state: RadioState, at: float) -> None:
        if state.timeline.broken:
            log.info("radio %s recovered", state.uuid)
            self._observer.radio_mended(state.uuid, at)
            state.timeline.broken = None
            state.unsaved.add("broken")
            self.broken.discard(state.uuid)

    def _schedule(self, state: RadioState, at: float, kind: str) -> None:
        """The radio's next event, to be written with its other changes."""
        self.push(state, at, kind)
        state.unsaved.add(EVENT)

    def push(self, state: RadioState, at: float, kind: str) -> None:
        """The radio's next event, in memory only (it is stored already, or need not be)."""
        self._events.push(state.uuid, at, kind)
        self._on_scheduled(at)


def _iso(instant: float) -> str:
    return datetime.fromtimestamp(instant, UTC).isoformat()
