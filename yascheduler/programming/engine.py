"""The scheduler loop: one heap of timed events for every programmed radio.

Each radio has one pending event. `prepare` comes `prepare_seconds` before
the boundary where the next segment starts: it chooses that segment and
tells the player. `start` comes at the boundary: the chosen segment becomes
the current one. `retry` brings back a broken radio (at the next show start)
or one whose event failed. The heap holds (at, seq, uuid); an entry whose seq
is not its radio's current one is stale and skipped (lazy invalidation).
Memory is the source for the loop; the store is only read back at start-up.
Each event ends with one write of what it changed (persistence.save).
"""

import heapq
import itertools
import logging
import random
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime

import gevent.event
import gevent.lock

from yascheduler.support.turns import take_turns
from . import persistence
from .catalog_view import Radio, Song, radio_from_document
from .choice import NOTHING_PLAYABLE, Choice, Chooser
from .history import PlayHistory
from .interface import PlayCommand, Player, ProgrammingSettings
from .jingles import hourly_jingle
from .lateness import LatenessMeter
from .localtime import radio_zone
from .rotation import Rotation
from .segments import boundary, ends_at, offset_at, play_command
from .shows import next_show_start, on_air
from .state import RadioState
from .timeline import TIMELINE_FIELDS, Segment, Timeline

log = logging.getLogger("yascheduler.programming")

PREPARE, START, RETRY = "prepare", "start", "retry"
# what a segment start changes
START_FIELDS = ("current", "next", "boundary")
# after an event failed: long enough not to flood the log, short enough to come back soon
ERROR_RETRY_SECONDS = 60.0
HEARTBEAT = 1.0
EVENTS_PER_TURN = 20  # processed in a row before the other greenlets get a turn
TOP_UP_TURN = 0.2  # seconds: short next to the health check's patience with the loop


class Programmer:
    def __init__(
        self,
        clock,
        player: Player,
        settings: ProgrammingSettings,
        rng: random.Random | None = None,
        observe_lateness: Callable[[float], None] | None = None,
    ):
        self._clock = clock
        self._player = player
        self._settings = settings
        self._rng = rng or random.Random()
        self._chooser = Chooser(settings, self._rng)
        self._lateness = LatenessMeter(observe=observe_lateness, clock=clock)
        self._radios: dict[str, RadioState] = {}
        # for the dashboard: the broken radios, and a listing cached until a radio changes
        self._broken: set[str] = set()
        self._listing: tuple[list[str], dict[str, str]] | None = None
        self._heap: list[tuple[float, int, str]] = []
        # radio uuid -> (state, playlist, when its next song could start): queues to top up,
        # oldest first (an OrderedDict: a dict's first key is found by scanning the
        # slots its deletions left)
        self._top_ups: OrderedDict[str, tuple] = OrderedDict()
        self._seq = itertools.count(1)
        # set_radio and the loop may interleave wherever the store yields
        self._lock = gevent.lock.RLock()
        self._running = False
        self._sleeping_until: float | None = None
        self.wakeup = gevent.event.Event()
        self.last_loop_at = clock.now()

    # --- the service's calls -------------------------------------------------------

    def load(self, imported: list[dict] = ()) -> None:
        """Program every ready radio, resuming stored timelines and their events.

        `imported`: radios just imported, as stored, which need not be read back.
        """
        with self._lock:
            stored = persistence.stored_timelines()
            radios = {radio.uuid: radio for radio in persistence.stored_ready_radios(imported)}
            for uuid in stored.keys() - radios.keys():
                persistence.delete(uuid)
            now = self._clock.now()
            fresh = [
                state
                for uuid, radio in radios.items()
                if (state := self._resume(radio, stored.get(uuid), now)) is not None
            ]
            persistence.insert(fresh)
            log.info("programming %d radios", len(self._radios))

    def _resume(self, radio: Radio, stored: dict | None, now: float) -> RadioState | None:
        """Resume the radio's stored timeline; its state if it had none and starts afresh."""
        history = PlayHistory.restored(radio, persistence.song_starts_of(stored))
        state = self._add_state(radio, persistence.timeline_of(stored, radio), history)
        if stored is None:
            self._start_fresh(state, now)
            return state
        elif stored.get("event_kind") is not None and not state.timeline.broken:
            self._push(state, stored["event_at"], stored["event_kind"])
        else:
            # broken while we were down: the catalog may have changed since
            self._push(state, now, RETRY)
        return None

    def set_radio(self, radio: Radio) -> None:
        """A radio created or changed by a catalog import."""
        self.set_radios([radio])

    def set_radios(self, radios: list[Radio]) -> None:
        """Radios created or changed by a catalog import."""
        with self._lock:
            for radio in radios:
                self._set_radio(radio_from_document(radio))

    def _set_radio(self, radio: Radio) -> None:
        if not radio.ready:
            self.remove_radio(radio.uuid)
            return
        now = self._clock.now()
        state = self._radios.get(radio.uuid)
        if state is None:
            state = self._add_state(radio, Timeline(), PlayHistory())
            self._start_fresh(state, now)
        else:
            state.radio = radio
            self._listing = None
            state.zone = radio_zone(radio.timezone, self._settings.default_timezone)
            state.rotation.clear()
            if state.timeline.broken or state.event_kind is None:
                self._recover(state, now)
        persistence.save(state)

    def remove_radio(self, uuid: str) -> None:
        with self._lock:
            if self._radios.pop(uuid, None) is not None:
                self._listing = None
                self._broken.discard(uuid)
                log.info("radio %s: no longer programmed", uuid)
            persistence.delete(uuid)

    def is_programmed(self, uuid: str) -> bool:
        return uuid in self._radios

    def run_due(self) -> float | None:
        """Process every due event in time order; the seconds until the next one, None if none."""
        with self._lock:
            self._running = True
            try:
                # between turns, the plays queued so far leave and streamers are answered
                for due in take_turns(iter(self._pop_due, None), EVENTS_PER_TURN):
                    self._process(*due)
                self._top_up_until_due()
                # queues left to top up: come back at once, after the loop's heartbeat
                wait = 0.0 if self._top_ups else self._wait()
            finally:
                self._running = False
            self._sleeping_until = None if wait is None else self._clock.now() + wait
            return wait

    def _top_up_until_due(self) -> None:
        """Top up rotation queues while no event is due, for TOP_UP_TURN seconds at most.

        Choosing ahead makes a choice at play time a pop; under load, a
        queue left empty costs one choice at play time instead of several
        now, so events always come first.
        """
        until = self._clock.now() + TOP_UP_TURN
        for _ in take_turns(itertools.count(), EVENTS_PER_TURN):
            if not self._top_ups or self._due() or self._clock.now() > until:
                return
            uuid, (state, playlist, at) = self._top_ups.popitem(last=False)
            # the radio may have changed since: a playlist it no longer has is let go
            if self._radios.get(uuid) is state and playlist in state.radio.playlists:
                state.rotation.refill(playlist, state.history, at)

    def run_forever(self) -> None:
        """The loop greenlet: sleep until the next event, or until an earlier one is added.

        It also wakes every HEARTBEAT seconds with nothing to do, so that
        last_loop_at proves to the health check that the loop is alive.
        """
        while True:
            self.wakeup.clear()
            wait = self.run_due()
            self.last_loop_at = self._clock.now()
            self.wakeup.wait(HEARTBEAT if wait is None else min(wait, HEARTBEAT))

    def join(self, uuid: str) -> list[PlayCommand]:
        """Plays for a streamer that just became the radio's master."""
        state = self._radios.get(uuid)
        if state is None or state.timeline.broken:
            return []
        now = self._clock.now()
        playing, following = self._playing(state.timeline, now)
        plays = []
        if playing is not None:
            plays.append(play_command(playing, now, 0.0))
        if following is not None:
            crossfade = self._settings.crossfade_seconds if plays else 0.0
            plays.append(play_command(following, now, crossfade))
        return [play for play in plays if play is not None]

    def radio_view(self, uuid: str) -> dict | None:
        state = self._radios.get(uuid)
        if state is None:
            return None
        now = self._clock.now()
        playing, following = self._playing(state.timeline, now)
        show = on_air(state.radio, state.zone, now)
        view = {
            "filename": None,
            "kind": None,
            "song_id": None,
            "offset": None,
            "duration": None,
            "started_at": None,
            "ends_at": None,
            "next": None,
            "show": None
            if show is None
            else {"playlist_id": show.playlist.id, "name": show.playlist.name},
            "broken": state.timeline.broken,
        }
        if playing is not None:
            view.update(
                filename=playing.filename,
                kind=playing.kind,
                song_id=playing.song_id,
                offset=offset_at(playing, now),
                duration=playing.duration,
                started_at=playing.starts_at,
                ends_at=ends_at(playing),
            )
        if following is not None:
            view["next"] = {
                "filename": following.filename,
                "kind": following.kind,
                "starts_at": following.starts_at,
            }
        return view

    def counts(self) -> dict:
        return {
            "radios": len(self._radios),
            "broken_radios": sum(1 for state in self._radios.values() if state.timeline.broken),
            "events": sum(1 for state in self._radios.values() if state.event_kind is not None),
        }

    def lateness(self) -> dict:
        return self._lateness.summary()

    # --- cheap reads for the dashboard (views.py) ------------------------------------

    def recent_lateness(self, seconds: float | None = None) -> dict:
        """lateness() over the plays sent in the last minute (or fewer `seconds`)."""
        return self._lateness.recent(seconds)

    def radio_uuids(self) -> list[str]:
        """Every programmed radio's uuid, sorted (do not change the list: it is cached)."""
        return self._radio_listing()[0]

    def search_keys(self) -> dict[str, str]:
        """uuid -> "<uuid> <name>" in lower case, to filter radios by text (cached too)."""
        return self._radio_listing()[1]

    def _radio_listing(self) -> tuple[list[str], dict[str, str]]:
        if self._listing is None:
            keys = {
                uuid: f"{uuid} {state.radio.name or ''}".lower()
                for uuid, state in self._radios.items()
            }
            self._listing = (sorted(keys), keys)
        return self._listing

    def broken_uuids(self) -> set[str]:
        """The radios with nothing playable (kept up to date, not computed: do not change it)."""
        return self._broken

    def radio_name(self, uuid: str) -> str | None:
        state = self._radios.get(uuid)
        return None if state is None else state.radio.name

    def pending_count(self) -> int:
        return sum(1 for state in self._radios.values() if state.event_kind is not None)

    def pending_events(self, limit: int) -> list[tuple[float, str, str]]:
        """The `limit` soonest pending events, as (at, radio uuid, kind).

        Walks the heap in order from its root, skipping stale entries: about
        limit * log(limit) steps, whatever the number of radios.
        """
        heap, found = self._heap, []
        frontier = [(heap[0], 0)] if heap else []
        while frontier and len(found) < limit:
            (at, seq, uuid), index = heapq.heappop(frontier)
            state = self._radios.get(uuid)
            if state is not None and state.event_kind is not None and state.event_seq == seq:
                found.append((at, uuid, state.event_kind))
            for child in (2 * index + 1, 2 * index + 2):
                if child < len(heap):
                    heapq.heappush(frontier, (heap[child], child))
        return found

    # --- events --------------------------------------------------------------------

    def _process(self, state: RadioState, kind: str, at: float) -> None:
        replayed_after_restart = False
        try:
            if kind == PREPARE:
                self._prepare(state, at)
            elif kind == START:
                replayed_after_restart = self._start(state, at)
            else:
                self._recover(state, at)
        except Exception:
            log.exception("radio %s: %s event at %s failed", state.uuid, kind, _iso(at))
            self._push(state, max(at, self._clock.now()) + ERROR_RETRY_SECONDS, RETRY)
        if not replayed_after_restart:
            persistence.save(state)

    def _prepare(self, state: RadioState, at: float) -> None:
        """Choose what follows the current segment and tell the player, ahead of the boundary."""
        timeline = state.timeline
        starts_at = timeline.boundary
        choice = self._chooser.next_segment(state, timeline.current, starts_at)
        if choice is None:
            self._break(state, starts_at, NOTHING_PLAYABLE)
            return
        self._mend(state)
        timeline.next = choice.segment
        state.unsaved.add("next")
        self._schedule(state, starts_at, START)
        self._send(state, choice, self._settings.crossfade_seconds, planned_at=at)

    def _start(self, state: RadioState, at: float) -> bool:
        """The prepared segment starts. True when a restart would do the same.

        The stored timeline still holds the prepared segment and the start
        event, so a restart replays this start (at most reporting the song
        start to the web app again); its changes are written with the next
        prepare's, for one write per track.
        """
        timeline = state.timeline
        if timeline.next is None:
            self._recover(state, at)
            return False
        timeline.current, timeline.next = timeline.next, None
        self._begin(state, at)
        return True

    def _recover(self, state: RadioState, at: float) -> None:
        """Program again from `at`: keep what is still playing, else start afresh."""
        timeline = state.timeline
        if timeline.next is not None and ends_at(timeline.next) > at:
            self._schedule(state, max(at, timeline.next.starts_at), START)
        elif (
            timeline.current is not None
            and timeline.boundary is not None
            and timeline.boundary > at
        ):
            timeline.next = None
            state.unsaved.add("next")
            self._schedule(
                state,
                max(at, timeline.boundary - self._settings.prepare_seconds),
                PREPARE,
            )
        else:
            self._start_fresh(state, at)

    def _start_fresh(self, state: RadioState, at: float) -> None:
        """A first segment from offset 0 at `at`, with nothing before it."""
        timeline = state.timeline
        timeline.current = timeline.next = timeline.interrupted = None
        state.unsaved.update(("current", "next", "interrupted"))
        choice = self._chooser.next_segment(state, None, at)
        if choice is None:
            self._break(state, at, NOTHING_PLAYABLE)
            return
        self._mend(state)
        timeline.current = choice.segment
        self._send(state, choice, 0.0)
        self._begin(state, at)

    def _begin(self, state: RadioState, at: float) -> None:
        """The current segment starts: record it and plan the next prepare."""
        timeline = state.timeline
        segment = timeline.current
        hourly = hourly_jingle(state.radio) is not None
        timeline.boundary = boundary(segment, state.zone, hourly, self._settings.crossfade_seconds)
        state.unsaved.update(START_FIELDS)
        if segment.kind == "song" and not segment.resumed:
            self._record_song_start(state, segment)
        # a segment shorter than prepare_seconds: prepare at once
        self._schedule(state, max(at, timeline.boundary - self._settings.prepare_seconds), PREPARE)

    def _record_song_start(self, state: RadioState, segment: Segment) -> None:
        song = _catalog_song(state.radio, segment)
        artist, title = (song.artist, song.title) if song is not None else (None, None)
        state.history.record(segment.song_id, artist, title, segment.starts_at)
        state.unsaved_song_starts[segment.song_id] = segment.starts_at
        # a song that ended while we were catching up was never heard
        if self._clock.now() < ends_at(segment):
            self._player.song_started(state.uuid, segment.song_id, segment.starts_at)

    def _send(
        self,
        state: RadioState,
        choice: Choice,
        crossfade: float,
        planned_at: float | None = None,
    ) -> None:
        """Tell the player; then top up the rotation queue, off the critical path."""
        now = self._clock.now()
        command = play_command(choice.segment, now, crossfade)
        if command is not None:
            if planned_at is not None:
                self._lateness.add(now - planned_at)
            self._player.play(state.uuid, command)
        if choice.rotation_playlist is not None:
            self._top_ups[state.uuid] = (state, choice.rotation_playlist, choice.segment.starts_at)

    def _break(self, state: RadioState, at: float, reason: str) -> None:
        """Nothing to play: wait for the next show start, or for the catalog to change."""
        timeline = state.timeline
        if timeline.broken != reason:
            log.warning("radio %s broken: %s", state.uuid, reason)
        timeline.broken = reason
        self._broken.add(state.uuid)
        timeline.next = None
        state.unsaved.update(TIMELINE_FIELDS)
        retry_at = next_show_start(state.radio, state.zone, at)
        if retry_at is None:
            self._unschedule(state)
        else:
            self._schedule(state, retry_at, RETRY)

    def _mend(self, state: RadioState) -> None:
        if state.timeline.broken:
            log.info("radio %s recovered", state.uuid)
            state.timeline.broken = None
            state.unsaved.add("broken")
            self._broken.discard(state.uuid)

    # --- the heap ------------------------------------------------------------------

    def _schedule(self, state: RadioState, at: float, kind: str) -> None:
        self._push(state, at, kind)
        state.unsaved.add(persistence.EVENT)

    def _push(self, state: RadioState, at: float, kind: str) -> None:
        state.event_kind, state.event_at, state.event_seq = kind, at, next(self._seq)
        heapq.heappush(self._heap, (at, state.event_seq, state.uuid))
        # the loop recomputes its wait after run_due; outside it, wake it if this comes first
        if not self._running and (self._sleeping_until is None or at < self._sleeping_until):
            self.wakeup.set()

    def _unschedule(self, state: RadioState) -> None:
        state.event_kind = None
        state.unsaved.add(persistence.EVENT)

    def _due(self) -> bool:
        self._drop_stale()
        return bool(self._heap) and self._heap[0][0] <= self._clock.now()

    def _pop_due(self) -> tuple[RadioState, str, float] | None:
        if not self._due():
            return None
        at, _, uuid = heapq.heappop(self._heap)
        state = self._radios[uuid]
        kind, state.event_kind = state.event_kind, None
        return state, kind, at

    def _wait(self) -> float | None:
        self._drop_stale()
        if not self._heap:
            return None
        return max(0.0, self._heap[0][0] - self._clock.now())

    def _drop_stale(self) -> None:
        while self._heap:
            _, seq, uuid = self._heap[0]
            state = self._radios.get(uuid)
            if state is not None and state.event_kind is not None and state.event_seq == seq:
                return
            heapq.heappop(self._heap)

    # --- helpers -------------------------------------------------------------------

    def _add_state(self, radio: Radio, timeline: Timeline, history: PlayHistory) -> RadioState:
        if timeline.next is not None and timeline.next.kind == "song" and not timeline.next.resumed:
            # chosen, not started yet: it counts as played for the next choices
            history.record(timeline.next.song_id, None, None, timeline.next.starts_at)
        state = RadioState(
            radio=radio,
            zone=radio_zone(radio.timezone, self._settings.default_timezone),
            timeline=timeline,
            history=history,
            rotation=Rotation(self._settings, self._rng),
        )
        self._radios[radio.uuid] = state
        self._listing = None
        if timeline.broken:
            self._broken.add(radio.uuid)
        return state

    def _playing(self, timeline: Timeline, now: float):
        """(segment playing at `now`, segment chosen to follow it), either may be None."""
        playing, following = timeline.current, timeline.next
        if following is not None and now >= following.starts_at:
            playing, following = following, None
        if playing is not None and now >= ends_at(playing):
            playing = None
        return playing, following


def _catalog_song(radio: Radio, segment: Segment) -> Song | None:
    for playlist in radio.playlists:
        if playlist.id == segment.playlist_id:
            for song in playlist.songs:
                if song.id == segment.song_id:
                    return song
    return None


def _iso(instant: float) -> str:
    return datetime.fromtimestamp(instant, UTC).isoformat()
