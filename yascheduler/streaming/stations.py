"""The stream rules: who is the master of each radio, and what starting and
stopping a stream opens, closes and reports (PROTOCOL.md, YAAPP.md).

With `master_policy` proxy, a second streamer asking for a radio a live
streamer is master of is told that master (`radio_exists`); with takeover
(what the production streamer expects), it becomes the master and the
previous one is told `radio_stopped`. Whenever sessions close because a
stream ends or changes hands, each is reported (`stop_listening`) and then
their total (`stopped`).

The programming engine's player (MasterPlayer) sends its `play` commands
to the radio's master.
"""

import logging


from . import protocol
from .sessions import Closed
from yascheduler.programming import PlayCommand
from yascheduler.support.turns import take_turns

log = logging.getLogger("yascheduler.stations")

TAKEOVER = "takeover"
STOPS_PER_TURN = 100
# the longest wait of the session expiry loop, where sessions are allowed longer than this
EXPIRY_CHECK_SECONDS = 60.0


class Stations:
    def __init__(
        self,
        clock,
        bus,
        streams,
        listeners,
        streamers,
        programmer,
        player: "MasterPlayer",
        notifier,
        users,
        master_policy: str,
        max_session_seconds: float,
    ):
        self.clock = clock
        self.bus = bus
        self.player = player
        self.streams = streams
        self.listeners = listeners
        self.streamers = streamers
        self.programmer = programmer
        self.notifier = notifier
        self.users = users
        self.takeover = master_policy == TAKEOVER
        self.max_session_seconds = max_session_seconds

    # --- radios --------------------------------------------------------------------------

    def play_radio(self, name: str, radio_uuid: str) -> None:
        if not self.programmer.is_programmed(radio_uuid):
            self.bus.publish(name, protocol.radio_unknown(radio_uuid))
            if self.takeover:
                self.bus.publish(name, protocol.radio_unkown(radio_uuid))
            return
        master = self.streams.master(radio_uuid)
        if master is not None and master != name:
            if not self.takeover and self.streamers.is_live(master):
                self.bus.publish(name, protocol.radio_exists(radio_uuid, master))
                return
            self._hand_over(radio_uuid, master, name)
        self.streams.start(radio_uuid, name)
        log.info("radio %s streamed by %s", radio_uuid, name)
        self.bus.publish(name, protocol.radio_started(radio_uuid))
        self.send_current_plays(radio_uuid)

    def _hand_over(self, radio_uuid: str, previous: str, name: str) -> None:
        """The previous master's stream of the radio ends: its sessions are closed."""
        total = self._report_closed(self.listeners.close_radio(radio_uuid, keep_streamer=name))
        self.notifier.stopped(radio_uuid, total)
        if self.streamers.is_registered(previous):
            self.bus.publish(previous, protocol.radio_stopped(radio_uuid))
        log.info(
            "radio %s taken over by %s from %s: %ds of listening closed",
            radio_uuid,
            name,
            previous,
            total,
        )

    def stop_radio(self, name: str, radio_uuid: str) -> None:
        master = self.streams.master(radio_uuid)
        if master is None and not self.programmer.is_programmed(radio_uuid):
            return  # an unknown radio: no reply
        if master == name:
            self.stop_stream(radio_uuid, f"stopped by {name}")
        self.bus.publish(name, protocol.radio_stopped(radio_uuid))

    def stop_stream(self, radio_uuid: str, why: str, tell_master: bool = False) -> None:
        """The radio is no longer streamed: its sessions are closed and reported."""
        master = self.streams.master(radio_uuid)
        if master is None:
            return
        closed = self.listeners.close_radio(radio_uuid)
        self.streams.stop(radio_uuid)
        total = self._report_closed(closed)
        self.notifier.stopped(radio_uuid, total)
        if tell_master:
            self.bus.publish(master, protocol.radio_stopped(radio_uuid))
        log.info(
            "radio %s no longer streamed (%s): %ds of listening closed", radio_uuid, why, total
        )

    def is_master_of_any(self, name: str) -> bool:
        return bool(self.streams.radios_of(name))

    def drop_streamer(self, name: str, why: str) -> None:
        """The streamer is gone: every radio it is master of stops being streamed."""
        for radio_uuid in take_turns(self.streams.radios_of(name), STOPS_PER_TURN):
            # the radio may have found another master while this loop gave others a turn
            if self.streams.master(radio_uuid) == name:
                self.stop_stream(radio_uuid, f"its master {name} {why}")
        self.streamers.unregister(name)
        log.info("streamer %s removed: %s", name, why)

    # --- bringing streamers in step --------------------------------------------------------

    def send_current_plays(self, radio_uuid: str) -> None:
        """The track on air at its offset now, and the next one if already chosen."""
        for command in self.programmer.join(radio_uuid):
            self.player.play(radio_uuid, command)

    def resync(self, name: str) -> None:
        """The streamer missed messages and hears us again: bring its radios back in step."""
        for radio_uuid in self.streams.radios_of(name):
            self.send_current_plays(radio_uuid)

    # --- listeners -------------------------------------------------------------------------

    def open_session(
        self, streamer: str | None, session_id: str, radio_uuid: str, user_id: int | None
    ) -> None:
        if self.streams.master(radio_uuid) is None:
            return  # not streamed: nobody can be listening
        if self.listeners.open(session_id, radio_uuid, user_id, streamer) is not None:
            self.notifier.start_listening(radio_uuid, self.users.identity(user_id))

    def close_session(self, streamer: str | None, session_id: str, radio_uuid: str | None) -> None:
        closed = self.listeners.close(session_id, streamer, radio_uuid)
        if closed is not None:
            self._report_closed([closed])

    def _report_closed(self, closed: list[Closed]) -> int:
        """Tell the web app of each closed session; their total whole seconds."""
        for session, duration in closed:
            identity = self.users.identity(session.user_id)
            self.notifier.stop_listening(session.radio_uuid, duration, identity)
        return sum(duration for _, duration in closed)

    def close_overdue_sessions(self) -> float:
        """Close the sessions open longer than max_session_seconds (the streamer never
        unregisters some); the seconds until the next one would be."""
        closed = self.listeners.close_overdue(self.max_session_seconds)
        self._report_closed(closed)
        for session, duration in closed:
            log.warning(
                "listener session %s of radio %s (streamer %s) closed after %ds: "
                "max_session_seconds reached",
                session.session_id,
                session.radio_uuid,
                session.streamer,
                duration,
            )
        # a session opened meanwhile is overdue this long after at the earliest
        longest = min(EXPIRY_CHECK_SECONDS, self.max_session_seconds)
        next_at = self.listeners.next_overdue_at(self.max_session_seconds)
        if next_at is None:
            return longest
        return min(longest, max(0.0, next_at - self.clock.now()))


class SessionExpiry:
    """The part closing the sessions open too long, as they fall due (support.supervisor)."""

    name = "session-expiry"

    def __init__(self, stations: Stations):
        self.stations = stations

    def loop(self) -> float:
        return self.stations.close_overdue_sessions()


class MasterPlayer:
    """The programming engine's player: plays go to the radio's master, if it has one,
    and song starts to the web app."""

    def __init__(self, bus, streams, notifier):
        self.bus = bus
        self.streams = streams
        self.notifier = notifier

    def play(self, radio_uuid: str, command: PlayCommand, due_at: float | None = None) -> None:
        master = self.streams.master(radio_uuid)
        if master is not None:
            self.bus.play(master, radio_uuid, command, due_at)

    def song_started(self, radio_uuid: str, song_id: int, started_at: float) -> None:
        self.notifier.song_started(radio_uuid, song_id, started_at)
