"""The scheduler loop: every programmed radio's one pending event, the soonest first.

What each event does is in transitions.py; the queue of pending events in
events.py. Memory is the source for the loop; the store is only read back
at start-up (the service reads it and hands it to `load`). Each event ends
with one write of what it changed, through the TimelineStore the engine is
given.
"""

import itertools
import logging
import random
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import gevent
import gevent.event
import gevent.lock

from yascheduler.support.turns import take_turns
from . import now_playing, persistence
from .adherence import AdherenceMeter
from .catalog_view import Radio, radio_from_document
from .events import EventQueue
from .history import PlayHistory
from .interface import PlayCommand, Player, ProgrammingSettings, RequestStore, ScheduleObserver
from .interface import TimelineStore, TrackLog
from .lateness import LatenessMeter
from .localtime import radio_zone
from .persistence import StoredTimeline
from .requests import RequestDesk
from .rotation import Rotation
from .segments import play_command
from .state import RadioCopy, RadioState
from .timeline import Timeline
from .transitions import RETRY, SEND, Transitions

log = logging.getLogger("yascheduler.programming")

HEARTBEAT = 1.0
EVENTS_PER_TURN = 20  # processed in a row before the other greenlets get a turn
TOP_UP_TURN = 0.2  # seconds: short next to the health check's patience with the loop


class Programmer:
    def __init__(
        self,
        clock,
        player: Player,
        settings: ProgrammingSettings,
        timelines: TimelineStore,
        rng: random.Random | None = None,
        observe_lateness: Callable[[float], None] | None = None,
        observer: ScheduleObserver | None = None,
        tracks: TrackLog | None = None,
        requests: RequestStore | None = None,
    ):
        self._clock = clock
        self._settings = settings
        self._timelines = timelines
        self._rng = rng or random.Random()
        self._lateness = LatenessMeter(observe=observe_lateness, clock=clock)
        # told how the radios keep to their schedule: by default what adherence() reads
        self._observer = observer or AdherenceMeter(clock)
        self._events = EventQueue()
        self._transitions = Transitions(
            clock,
            player,
            settings,
            self._rng,
            self._events,
            self._lateness,
            self._scheduled,
            self._observer,
            tracks,
        )
        self._radios: dict[str, RadioState] = {}
        # for the dashboard: a listing cached until a radio changes
        self._listing: tuple[tuple[str, ...], Mapping[str, str]] | None = None
        # set_radio and the loop may interleave wherever the store yields
        self._lock = gevent.lock.RLock()
        self.requests = RequestDesk(clock, settings, self._radios, self._lock, requests)
        self._running = False
        self._sleeping_until: float | None = None
        self.wakeup = gevent.event.Event()
        self.last_loop_at = clock.now()

    # --- the service's calls -------------------------------------------------------

    def load(self, radios: Iterable[Radio], timelines: Mapping[str, StoredTimeline]) -> None:
        """Program every ready radio, resuming its stored timeline and event, if any.

        `radios`: the ready radios; `timelines`: radio uuid -> its stored timeline
        (persistence.timeline_from_stored); those of radios not given are deleted.
        """
        with self._lock:
            ready = {radio.uuid: radio for radio in radios}
            for uuid in timelines.keys() - ready.keys():
                self._timelines.delete(uuid)
            now = self._clock.now()
            fresh = [
                state
                for uuid, radio in ready.items()
                if (state := self._resume(radio, timelines.get(uuid), now)) is not None
            ]
            self._timelines.insert(
                {state.uuid: persistence.whole(state, self._event(state)) for state in fresh}
            )
            log.info("programming %d radios", len(self._radios))

    def _resume(self, radio: Radio, stored: StoredTimeline | None, now: float) -> RadioState | None:
        """Resume the radio's stored timeline; its state if it had none and starts afresh."""
        if stored is None:
            state = self._add_state(radio, Timeline(), PlayHistory())
            self._transitions.start_fresh(state, now)
            return state
        history = PlayHistory.restored(radio, stored.song_starts)
        state = self._add_state(radio, stored.resumed_timeline(radio), history)
        if stored.event is not None and not state.timeline.broken:
            at, kind = stored.event
            self._transitions.push(state, at, kind)
        else:
            # broken while we were down: the catalog may have changed since
            self._transitions.push(state, now, RETRY)
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
            self._transitions.start_fresh(state, now)
        else:
            state.radio = radio
            self._listing = None
            state.zone = radio_zone(radio.timezone, self._settings.default_timezone)
            state.rotation.clear()
            if state.timeline.broken or self._event(state) is None:
                self._transitions.recover(state, now)
            else:  # a show that does not wait may now cut what plays
                self._transitions.replan(state, now)
        self._save(state)

    def remove_radio(self, uuid: str, forget_stored: bool = True) -> None:
        """No longer program the radio; `forget_stored` False: another instance now does."""
        with self._lock:
            if (state := self._radios.pop(uuid, None)) is not None:
                self.requests.radio_gone(state, forget_stored)
                self._listing = None
                self._transitions.broken.discard(uuid)
                self._observer.radio_mended(uuid, self._clock.now())
                self._events.cancel(uuid)
                (log.info if forget_stored else log.debug)("radio %s: no longer programmed", uuid)
            if forget_stored:
                self._timelines.delete(uuid)

    def is_programmed(self, uuid: str) -> bool:
        return uuid in self._radios

    def run_due(self) -> float | None:
        """Process every due event in time order; the seconds until the next one, None if none."""
        self._running = True
        try:
            # between turns, the plays queued so far leave and streamers are answered
            while self._due_turn():
                gevent.idle()
            with self._lock:
                self._top_up_until_due()
                # queues left to top up: come back at once, after the loop's heartbeat
                top_ups = self._transitions.top_ups
                wait = 0.0 if top_ups else self._events.wait(self._clock.now())
        finally:
            self._running = False
        self._sleeping_until = None if wait is None else self._clock.now() + wait
        return wait

    def _due_turn(self) -> bool:
        """Up to EVENTS_PER_TURN due events; whether more may be due. The lock held a turn
        at a time: a radio let go (remove_radio) waited for 100,000 first choices."""
        with self._lock:
            for _ in range(EVENTS_PER_TURN):
                due = self._pop_due()
                if due is None:
                    return False
                self._process(*due)
        return True

    def _top_up_until_due(self) -> None:
        """Top up rotation queues while no event is due, for TOP_UP_TURN seconds at most.

        Choosing ahead makes a choice at play time a pop; under load, a
        queue left empty costs one choice at play time instead of several
        now, so events always come first.
        """
        top_ups, until = self._transitions.top_ups, self._clock.now() + TOP_UP_TURN
        for _ in take_turns(itertools.count(), EVENTS_PER_TURN):
            now = self._clock.now()
            if not top_ups or self._events.is_due(now) or now > until:
                return
            uuid, (state, playlist, at) = top_ups.popitem(last=False)
            # the radio may have changed since: a playlist it no longer has is let go
            if self._radios.get(uuid) is state and playlist in state.radio.playlists:
                state.rotation.refill(playlist, state.history, at)

    name = "scheduler-loop"  # as a part of the service (support.supervisor)

    def loop(self) -> float:
        """One turn of the loop: what is due; then the wait until the next event (an
        earlier one added sets `wakeup`).

        It also wakes every HEARTBEAT seconds with nothing to do, so that
        last_loop_at proves to the health check that the loop is alive.
        """
        self.wakeup.clear()
        wait = self.run_due()
        self.last_loop_at = self._clock.now()
        return HEARTBEAT if wait is None else min(wait, HEARTBEAT)

    def join(self, uuid: str) -> list[PlayCommand]:
        """Plays for a streamer that just became the radio's master."""
        state = self._radios.get(uuid)
        if state is None or state.timeline.broken:
            return []
        now = self._clock.now()
        playing, following = now_playing.playing(state.timeline, now)
        pending = self._events.pending(uuid)
        if pending is not None and pending[1] == SEND:
            # chosen ahead, not sent yet (even if due: a late loop): it goes with its `send`
            playing, following = (None if playing is state.timeline.next else playing), None
        plays = []
        if playing is not None:
            plays.append(play_command(playing, now, 0.0))
        if following is not None:
            crossfade = self._settings.crossfade_seconds if plays else 0.0
            plays.append(play_command(following, now, crossfade))
        return [play for play in plays if play is not None]

    def radio_view(self, uuid: str) -> dict | None:
        """The radio now (now_playing.radio_view); None if not programmed."""
        state = self._radios.get(uuid)
        return None if state is None else now_playing.radio_view(state, self._clock.now())

    def sizes(self) -> dict:
        """The radios programmed and the events pending (a fleet beat tells them every
        second)."""
        return {"radios": len(self._radios), "events": len(self._events)}

    def counts(self) -> dict:
        """sizes() and the broken radios: O(1), the broken set kept as radios break, mend
        and go (/api/status and /metrics read it several times a second, and a walk of
        100,000 radios took milliseconds each time)."""
        return {**self.sizes(), "broken_radios": len(self._transitions.broken)}

    def lateness(self) -> dict:
        return self._lateness.summary()

    def adherence(self) -> AdherenceMeter:
        """How the radios keep to their schedule (the default observer)."""
        return self._observer

    # --- dry runs (preview.py) -------------------------------------------------------

    def copy_of_radio(self, uuid: str) -> RadioCopy | None:
        """The radio's state and pending event copied now, a random generator where this
        engine's is (read, not advanced), the settings; None if the radio is not programmed."""
        with self._lock:
            state = self._radios.get(uuid)
            if state is None:
                return None
            (rng := random.Random()).setstate(self._rng.getstate())
            now = self._clock.now()
            return RadioCopy(state.copy(rng), self._event(state), rng, now, self._settings)

    def adopt(self, copy: RadioCopy) -> RadioState:
        """Program a copied radio from where it was (a dry run's own engine)."""
        with self._lock:
            state = copy.state
            self._radios[state.uuid] = state
            self._listing = None
            self._keep_broken(state)
            if copy.event is not None:
                self._transitions.push(state, *copy.event)
            return state

    # --- cheap reads for the dashboard (views.py) ------------------------------------

    def recent_lateness(self, seconds: float | None = None) -> dict:
        """lateness() over the plays sent in the last minute (or fewer `seconds`)."""
        return self._lateness.recent(seconds)

    def lateness_after(self, instant: float) -> dict:
        """lateness() over the plays sent after `instant`, within the last minute."""
        return self._lateness.after(instant)

    def radio_uuids(self) -> tuple[str, ...]:
        """Every programmed radio's uuid, sorted (a tuple kept until a radio changes)."""
        return self._radio_listing()[0]

    def search_keys(self) -> Mapping[str, str]:
        """uuid -> "<uuid> <name>" in lower case, to filter radios by text (read-only;
        a new one is built when a radio changes, this one is never changed)."""
        return self._radio_listing()[1]

    def _radio_listing(self) -> tuple[tuple[str, ...], Mapping[str, str]]:
        if self._listing is None:
            keys = {
                uuid: f"{uuid} {state.radio.name or ''}".lower()
                for uuid, state in self._radios.items()
            }
            self._listing = (tuple(sorted(keys)), MappingProxyType(keys))
        return self._listing

    def broken_uuids(self) -> frozenset[str]:
        """The radios with nothing playable, now."""
        return frozenset(self._transitions.broken)

    def radio_name(self, uuid: str) -> str | None:
        state = self._radios.get(uuid)
        return None if state is None else state.radio.name

    def next_event(self, uuid: str) -> tuple[float, str] | None:
        """The radio's pending event, (at, kind), None if it has none."""
        return self._events.pending(uuid)

    def pending_count(self) -> int:
        return len(self._events)

    def pending_events(self, limit: int) -> list[tuple[float, str, str]]:
        """The `limit` soonest pending events, as (at, radio uuid, kind)."""
        return self._events.pending_events(limit)

    # --- events --------------------------------------------------------------------

    def _pop_due(self) -> tuple[RadioState, str, float] | None:
        due = self._events.pop_due(self._clock.now())
        if due is None:
            return None
        uuid, kind, at = due
        return self._radios[uuid], kind, at

    def _process(self, state: RadioState, kind: str, at: float) -> None:
        if not self._transitions.process(state, kind, at):
            self._save(state)

    def _scheduled(self, at: float) -> None:
        """An event was pushed: the loop recomputes its wait after run_due; outside it,
        wake it if this one comes first."""
        if not self._running and (self._sleeping_until is None or at < self._sleeping_until):
            self.wakeup.set()

    def _event(self, state: RadioState) -> persistence.Event:
        return self._events.pending(state.uuid)

    def _save(self, state: RadioState) -> None:
        """Write what changed in the radio's state since the last save, if anything."""
        self.requests.taken(state)
        if state.unsaved or state.unsaved_song_starts:
            self._timelines.save(state.uuid, persistence.changes(state, self._event(state)))

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
        if self._keep_broken(state):
            self._observer.radio_broke(radio.uuid, self._clock.now())
        return state

    def _keep_broken(self, state: RadioState) -> bool:
        """The broken set told of a state put in place (it may replace one of the other
        kind, and counts() trusts the set); whether it is broken."""
        if state.timeline.broken:
            self._transitions.broken.add(state.uuid)
            return True
        self._transitions.broken.discard(state.uuid)
        return False
