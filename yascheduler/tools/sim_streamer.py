"""A simulated streamer of `yascheduler simulate`: what it sends, and what it makes of
what it receives (reply latency, play lateness, gaps); and the figures it keeps."""

import itertools
import random
import time
from collections import Counter, defaultdict, deque

import ujson

GAP_SECONDS = 0.1
JOIN_WINDOW = 1.0  # plays this soon after radio_started answer the join, not a prepare
MAX_SAMPLES = 200_000
# two plays whose tracks start (arrival + delay - offset) this close are one slot played twice
SAME_SLOT_SECONDS = 1.0


class Stats:
    def __init__(self):
        self.sent = Counter()
        self.replies = Counter()
        self.errors = Counter()
        self.latency = defaultdict(list)  # reply type -> seconds
        self.lateness: list[float] = []
        self.intervals: list[float] = []
        self.gaps: list[float] = []
        # gaps after a track joined midway (a play_radio's, a resync's): its play
        # came at once, delay 0, and the one after it late
        self.gaps_after_join = 0
        self.plays = 0
        self.duplicates = 0  # plays of a slot already played (two senders, a stale one)
        self.teardown_plays = 0  # plays read once the streamers began stopping: not timed
        self._offered = Counter()  # id(sample list) -> values offered to it

    def sample(self, samples: list, value: float) -> None:
        """Keep `value` in `samples`, a uniform sample of at most MAX_SAMPLES of all offered."""
        self._offered[id(samples)] += 1
        if len(samples) < MAX_SAMPLES:
            samples.append(value)
        else:  # reservoir: keeps percentiles honest over long runs
            slot = random.randrange(self._offered[id(samples)])
            if slot < MAX_SAMPLES:
                samples[slot] = value


class Track:
    """What a radio's streamer is playing: when it started, when it ends."""

    __slots__ = ("filename", "start", "end", "arrival", "timed")

    def __init__(self, filename, start, end, arrival, timed):
        self.filename, self.start, self.end, self.arrival = filename, start, end, arrival
        # a play with a delay says when its track starts; one with delay 0 (a join) says it
        # started when the scheduler sent it, which the streamer only knows to within the
        # transit time: the next play is not timed against it
        self.timed = timed


class SimStreamer:
    def __init__(self, sim, name: str, radios: list[str]):
        self.sim = sim
        self.name = name
        self.radios = radios
        self.started: dict[str, float] = {}  # radio -> when radio_started came
        self.tracks: dict[str, Track] = {}
        self.slots: dict[str, deque] = {}  # radio -> when its last tracks started
        self.pending: dict[tuple, float] = {}  # (reply type, key) -> sent at
        self.sessions: dict[str, list[str]] = defaultdict(list)
        self.counter = itertools.count()

    # --- sending ------------------------------------------------------------------------

    def send(self, kind: str, expect: tuple | None = None, **fields) -> None:
        fields["type"] = kind
        fields["streamer"] = self.name
        now = time.time()
        if expect is not None:
            self.pending[expect] = now
        self.sim.stats.sent[kind] += 1
        self.sim.publish(ujson.dumps(fields))

    def start(self) -> None:
        self.send("register_streamer")
        for radio in self.radios:
            self.send("play_radio", ("radio_started", radio), radio_uuid=radio)

    def test(self) -> None:
        info = f"{self.name}:{next(self.counter)}"
        self.send("test", ("test", info), info=info)

    def listener_joins(self, radio: str) -> None:
        session = f"{self.name}:{radio}:{next(self.counter)}"
        tokens = self.sim.tokens
        if tokens:
            token = tokens[next(self.counter) % len(tokens)] + "#" + session
            # the streamer asks first, then registers the listener under the answer's user
            self.send(
                "user_authentication",
                ("user_authentication", token),
                auth_token=token,
                radio_uuid=radio,
            )
        else:
            self.send(
                "user_authentication",
                ("user_authentication", session),
                username=session,
                api_key="sim",
                radio_uuid=radio,
            )
        self.send("register_listener", radio_uuid=radio, session_id=session, user_id=None)
        self.sessions[radio].append(session)

    def listener_leaves(self, radio: str) -> None:
        if self.sessions[radio]:
            session = self.sessions[radio].pop(0)
            self.send("unregister_listener", session_id=session, radio_uuid=radio)

    def stop(self) -> None:
        for radio, sessions in self.sessions.items():
            for session in sessions:
                self.send("unregister_listener", session_id=session, radio_uuid=radio)
        self.sessions.clear()
        for radio in self.started:
            self.send("stop_radio", ("radio_stopped", radio), radio_uuid=radio)
        self.send("unregister_streamer")

    # --- receiving ----------------------------------------------------------------------

    def receive(self, message: dict, arrival: float) -> None:
        kind = message.get("type")
        stats = self.sim.stats
        stats.replies[kind] += 1
        if kind == "ping":
            self.send("pong")
            return
        key = self._match_key(kind, message)
        if key is not None:
            sent = self.pending.pop(key, None)
            if sent is not None:
                stats.sample(stats.latency[kind], arrival - sent)
            elif kind != "radio_started":  # a master is told again after a reconnection
                stats.errors["unmatched_" + kind] += 1
        if kind == "radio_started":
            self.started[message["radio_uuid"]] = arrival
            self.sim.on_radio_started(self, message["radio_uuid"])
        elif kind == "play":
            self.on_play(message, arrival)
        elif kind in ("radio_exists", "radio_unknown"):
            stats.errors[kind] += 1
            self.pending.pop(("radio_started", message.get("radio_uuid")), None)

    @staticmethod
    def _match_key(kind: str, message: dict) -> tuple | None:
        if kind == "test":
            return ("test", message.get("info"))
        if kind == "user_authentication":
            return ("user_authentication", message.get("auth_token") or message.get("username"))
        if kind in ("radio_started", "radio_stopped"):
            return (kind, message.get("radio_uuid"))
        return None

    def on_play(self, message: dict, arrival: float) -> None:
        stats = self.sim.stats
        stats.plays += 1
        radio = message["radio_uuid"]
        delay, offset = float(message["delay"]), float(message["offset"])
        crossfade = float(message.get("crossfade_duration") or 0.0)
        start = arrival + delay
        if self._played_already(radio, start - offset):
            stats.duplicates += 1
            self.sim.record_play(radio, arrival, None, None, duplicate=True)
            return
        duration = self.sim.durations.get(message["filename"]) if self.sim.durations else None
        end = start + duration - offset if duration is not None else None
        previous = self.tracks.get(radio)
        joined = arrival - self.started.get(radio, 0.0) < JOIN_WINDOW
        lateness = gap = None
        if self.sim.stopping_at is not None:
            # the streamers stop every radio at once (100,000 stop_radio built in one go,
            # the reader waiting meanwhile): what is read from then on is late here, not
            # at the scheduler, so it is counted, checked for duplicates, and not timed
            stats.teardown_plays += 1
            previous = None
        if previous is not None:
            stats.sample(stats.intervals, start - previous.start)
            if previous.end is not None:
                expected = previous.end - crossfade
                if not joined and previous.timed:
                    lateness = arrival - (expected - self.sim.prepare_seconds)
                    stats.sample(stats.lateness, lateness)
                gap = start - previous.end
                if gap > GAP_SECONDS:
                    stats.gaps.append(gap)
                    stats.gaps_after_join += not previous.timed
        self.tracks[radio] = Track(message["filename"], start, end, arrival, delay > 0)
        self.sim.record_play(radio, arrival, lateness, gap, duplicate=False)
        if end is not None:
            self.sim.watch_silence(self, radio, end)

    def _played_already(self, radio: str, slot: float) -> bool:
        """Whether a play for the track starting at `slot` came already (else remember it)."""
        recent = self.slots.setdefault(radio, deque(maxlen=3))
        if any(abs(slot - seen) < SAME_SLOT_SECONDS for seen in recent):
            return True
        recent.append(slot)
        return False
