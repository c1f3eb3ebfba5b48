"""`yascheduler simulate`: simulated streamers, for operators' load tests.

Each simulated streamer speaks like the C++ streamer: it registers, asks to
play its radios, answers `ping` with `pong`, follows `play`, registers,
authenticates and unregisters listeners, sends `test`, and on the way out
stops its radios and unregisters. All simulated streamers share one
publishing connection and one PSUBSCRIBE `yastream.*` connection whose
messages are handed to the streamer named by the channel; each keeps its
own state.

What it measures:
- replies by type, and errors (a reply that answers nothing asked, an
  unexpected `radio_exists`/`radio_unknown`, an undecodable message);
- reply latency: request to reply, matched by type and radio, `test` info
  or echoed credentials;
- `play` lateness: with `--catalog` (for song durations), a `play` is due
  `--prepare-seconds` before the previous track ends (minus crossfade);
  lateness = arrival - that instant. The previous track's start is its
  play's arrival + delay, so the figure also holds the difference of the
  two plays' transit times; plays that follow a join (delay 0) are not
  timed. A gap (silence) is a track that starts
  more than 0.1 s after the previous one ended. Without a catalog only the
  intervals between plays are reported.
"""

import argparse
import itertools
import json
import logging
import random
import sys
import time
from collections import Counter, defaultdict

import gevent
import gevent.event
import redis
import ujson

from yascheduler.support.stats import summary as quantiles

log = logging.getLogger("yascheduler.simulate")

INBOX = "yascheduler"
PREFIX = "yastream."
GAP_SECONDS = 0.1
JOIN_WINDOW = 1.0  # plays this soon after radio_started answer the join, not a prepare
MAX_SAMPLES = 200_000
MS = 1000.0  # seconds to milliseconds


def add_arguments(parser) -> None:
    parser.add_argument("--redis-url", required=True, help="the scheduler's Redis URL")
    parser.add_argument("--streamers", type=int, default=1, help="simulated streamers")
    parser.add_argument(
        "--radios-per-streamer", type=int, default=1, help="radios each streamer plays"
    )
    parser.add_argument(
        "--listeners-per-radio",
        type=int,
        default=0,
        help="listeners kept on each radio (each renewed every --listener-period s)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds to run")
    parser.add_argument("--catalog", help="catalog JSON: radio uuids and song durations")
    parser.add_argument(
        "--radio-format",
        default="radio-{index}",
        help="radio uuids without --catalog (default radio-{index}, from 0)",
    )
    parser.add_argument("--name-prefix", default="sim", help="streamer names: PREFIX-N")
    parser.add_argument(
        "--prepare-seconds",
        type=float,
        default=5.0,
        help="the scheduler's prepare_seconds (when a play is due)",
    )
    parser.add_argument(
        "--listener-period",
        type=float,
        default=10.0,
        help="seconds a simulated listener stays before it is replaced",
    )
    parser.add_argument(
        "--test-interval",
        type=float,
        default=1.0,
        help="seconds between two `test` of a streamer (0: none)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        help="auth token for listeners (repeatable; default: anonymous)",
    )
    parser.add_argument("--json", help="also write the summary to this JSON file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def main(argv: list[str]) -> int:
    """`yascheduler simulate ARGUMENTS`: run a simulation; 1 if it saw an error."""
    parser = argparse.ArgumentParser(
        prog="yascheduler simulate",
        description="simulated streamers against a scheduler, for load tests",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args) -> int:
    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    catalog = load_catalog(args.catalog) if args.catalog else None
    radios = radio_uuids(catalog, args)
    if radios is None:
        print(
            f"simulate: the catalog has fewer than {args.streamers * args.radios_per_streamer}"
            " ready radios",
            file=sys.stderr,
        )
        return 2
    simulation = Simulation(args, radios, catalog)
    summary = simulation.run()
    print(format_summary(summary))
    if args.json:
        with open(args.json, "w") as output:
            json.dump(summary, output, indent=2)
    return 0 if summary["errors"]["total"] == 0 else 1


def load_catalog(path: str) -> dict:
    """{"radios": [uuids of ready radios], "durations": {filename: seconds}}."""
    with open(path, "rb") as catalog_file:
        raw = ujson.loads(catalog_file.read())
    radios, durations = [], {}
    for radio in raw.get("radios", []):
        if radio.get("ready", True) and not radio.get("deleted", False):
            radios.append(radio["uuid"])
        for playlist in radio.get("playlists", []):
            for song in playlist.get("songs", []):
                durations[song["filename"]] = float(song["duration"])
        for jingle in radio.get("jingles", []):
            durations[jingle["filename"]] = float(jingle["duration"])
    return {"radios": radios, "durations": durations}


def radio_uuids(catalog: dict | None, args) -> list[str] | None:
    wanted = args.streamers * args.radios_per_streamer
    if catalog is None:
        return [args.radio_format.format(index=i) for i in range(wanted)]
    if len(catalog["radios"]) < wanted:
        return None
    return catalog["radios"][:wanted]


class Stats:
    def __init__(self):
        self.sent = Counter()
        self.replies = Counter()
        self.errors = Counter()
        self.latency = defaultdict(list)  # reply type -> seconds
        self.lateness: list[float] = []
        self.intervals: list[float] = []
        self.gaps: list[float] = []
        self.plays = 0
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
    def __init__(self, sim: "Simulation", name: str, radios: list[str]):
        self.sim = sim
        self.name = name
        self.radios = radios
        self.started: dict[str, float] = {}  # radio -> when radio_started came
        self.tracks: dict[str, Track] = {}
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
        duration = self.sim.durations.get(message["filename"]) if self.sim.durations else None
        end = start + duration - offset if duration is not None else None
        previous = self.tracks.get(radio)
        joined = arrival - self.started.get(radio, 0.0) < JOIN_WINDOW
        if previous is not None:
            stats.sample(stats.intervals, start - previous.start)
            if previous.end is not None:
                expected = previous.end - crossfade
                if not joined and previous.timed:
                    stats.sample(stats.lateness, arrival - (expected - self.sim.prepare_seconds))
                gap = start - previous.end
                if gap > GAP_SECONDS:
                    stats.gaps.append(gap)
        self.tracks[radio] = Track(message["filename"], start, end, arrival, delay > 0)
        if end is not None:
            self.sim.watch_silence(self, radio, end)


class Simulation:
    def __init__(self, args, radios: list[str], catalog: dict | None):
        self.args = args
        self.prepare_seconds = args.prepare_seconds
        self.durations = catalog["durations"] if catalog else None
        self.tokens = args.token
        self.stats = Stats()
        self.client = redis.Redis.from_url(args.redis_url)
        self.outgoing: list[str] = []
        self.flushed = gevent.event.Event()
        per = args.radios_per_streamer
        self.streamers = {}
        for i in range(args.streamers):
            name = f"{args.name_prefix}-{i}"
            self.streamers[name] = SimStreamer(self, name, radios[i * per : (i + 1) * per])
        self.silent: dict[tuple, float] = {}  # (streamer, radio) -> end of its last track
        self.running = True

    def publish(self, payload: str) -> None:
        """Queue a message; the writer greenlet sends queued ones in pipelines."""
        self.outgoing.append(payload)
        self.flushed.set()

    def _writer(self) -> None:
        while self.running or self.outgoing:
            self.flushed.wait(0.5)
            self.flushed.clear()
            while self.outgoing:
                batch, self.outgoing = self.outgoing[:2000], self.outgoing[2000:]
                pipe = self.client.pipeline(transaction=False)
                for payload in batch:
                    pipe.publish(INBOX, payload)
                pipe.execute()

    def _reader(self, pubsub) -> None:
        streamers = self.streamers
        for item in pubsub.listen():
            if item["type"] != "pmessage":
                continue
            arrival = time.time()
            streamer = streamers.get(item["channel"][len(PREFIX) :].decode())
            if streamer is None:
                continue
            try:
                message = ujson.loads(item["data"])
            except ValueError:
                self.stats.errors["undecodable"] += 1
                continue
            streamer.receive(message, arrival)

    def on_radio_started(self, streamer: SimStreamer, radio: str) -> None:
        if self.args.listeners_per_radio and radio not in streamer.sessions:
            for _ in range(self.args.listeners_per_radio):
                streamer.listener_joins(radio)

    def watch_silence(self, streamer: SimStreamer, radio: str, end: float) -> None:
        self.silent[(streamer.name, radio)] = end

    def _churn(self) -> None:
        """Listeners come and go; each streamer sends `test` now and then."""
        period = self.args.listener_period
        interval = self.args.test_interval
        next_test = time.time()
        while self.running:
            gevent.sleep(0.1)
            now = time.time()
            if interval and now >= next_test:
                next_test = now + interval
                for streamer in self.streamers.values():
                    streamer.test()
            if self.args.listeners_per_radio and period > 0:
                # renew 0.1/period of the listeners each tick
                for streamer in self.streamers.values():
                    for radio in list(streamer.started):
                        for _ in range(self._renewals(period)):
                            streamer.listener_leaves(radio)
                            streamer.listener_joins(radio)

    def _renewals(self, period: float) -> int:
        expected = self.args.listeners_per_radio * 0.1 / period
        return int(expected) + (random.random() < expected - int(expected))

    def _silence_check(self) -> int:
        """Radios whose last track ended with nothing after it (beyond the gap margin)."""
        now = time.time()
        return sum(1 for end in self.silent.values() if end + GAP_SECONDS < now)

    def _progress(self, began: float) -> None:
        last = dict(self.stats.replies)
        while self.running:
            gevent.sleep(1.0)
            replies = self.stats.replies
            rate = sum(replies.values()) - sum(last.values())
            last = dict(replies)
            lat = quantiles(self.stats.lateness[-2000:], scale=MS)
            if not self.args.quiet:
                print(
                    f"[{time.time() - began:5.0f}s] replies/s {rate:6d} "
                    f"started {sum(len(s.started) for s in self.streamers.values())} "
                    f"plays {self.stats.plays} lateness p99 {lat['p99']} ms "
                    f"gaps {len(self.stats.gaps)} silent now {self._silence_check()} "
                    f"errors {sum(self.stats.errors.values())}",
                    file=sys.stderr,
                    flush=True,
                )

    def run(self) -> dict:
        pubsub = self.client.pubsub()
        pubsub.psubscribe(PREFIX + "*")
        while pubsub.get_message(timeout=5) is None:
            pass
        began = time.time()
        greenlets = [gevent.spawn(self._writer), gevent.spawn(self._reader, pubsub)]
        for streamer in self.streamers.values():
            streamer.start()
        helpers = [gevent.spawn(self._churn), gevent.spawn(self._progress, began)]
        gevent.sleep(self.args.duration)
        silent_at_end = self._silence_check()
        self.running = False
        gevent.killall(helpers)
        for streamer in self.streamers.values():
            streamer.stop()
        # replies to the last requests
        deadline = time.time() + 5
        while time.time() < deadline and any(
            key[0] == "radio_stopped" for s in self.streamers.values() for key in s.pending
        ):
            gevent.sleep(0.1)
        self.flushed.set()
        greenlets[0].join(timeout=5)
        gevent.killall(greenlets)
        pubsub.close()
        self.client.close()
        return self.summary(time.time() - began, silent_at_end)

    def summary(self, elapsed: float, silent_at_end: int) -> dict:
        stats = self.stats
        unanswered = Counter(key[0] for s in self.streamers.values() for key in s.pending)
        errors = dict(stats.errors)
        for kind, count in unanswered.items():
            errors["unanswered_" + kind] = count
        radios = sum(len(s.radios) for s in self.streamers.values())
        started = sum(len(s.started) for s in self.streamers.values())
        if started < radios:
            errors["radios_not_started"] = radios - started
        if stats.gaps:
            errors["gaps"] = len(stats.gaps)
        if silent_at_end:
            errors["silent_at_end"] = silent_at_end
        return {
            "duration_s": round(elapsed, 3),
            "streamers": len(self.streamers),
            "radios": radios,
            "radios_started": started,
            "sent": dict(stats.sent),
            "replies": dict(stats.replies),
            "latency_ms": {
                kind: quantiles(samples, scale=MS) for kind, samples in stats.latency.items()
            },
            "plays": stats.plays,
            "play_lateness_ms": quantiles(stats.lateness, scale=MS) if self.durations else None,
            "play_interval_s": quantiles(stats.intervals),
            "gaps": {
                "count": len(stats.gaps),
                "max_s": round(max(stats.gaps), 3) if stats.gaps else None,
            },
            "errors": {"total": sum(errors.values()), **errors},
        }


def format_summary(summary: dict) -> str:
    lines = [
        f"simulated {summary['streamers']} streamers, "
        f"{summary['radios_started']}/{summary['radios']} radios started, "
        f"for {summary['duration_s']}s",
        "",
        f"{'reply':<22}{'count':>9}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for kind, count in sorted(summary["replies"].items(), key=lambda kv: str(kv[0])):
        lat = summary["latency_ms"].get(kind) or {}
        lines.append(
            f"{kind!s:<22}{count:>9}{_cell(lat.get('p50')):>10}{_cell(lat.get('p99')):>10}"
            f"{_cell(lat.get('max')):>10}"
        )
    lines.append("")
    lateness = summary["play_lateness_ms"]
    if lateness is not None:
        lines.append(
            f"play lateness (ms): n={lateness['count']} p50={_cell(lateness['p50'])} "
            f"p99={_cell(lateness['p99'])} max={_cell(lateness['max'])}"
        )
    else:
        interval = summary["play_interval_s"]
        lines.append(
            f"play intervals (s, no --catalog): n={interval['count']} p50={_cell(interval['p50'])} "
            f"p99={_cell(interval['p99'])} max={_cell(interval['max'])}"
        )
    lines.append(f"gaps (silence > {GAP_SECONDS}s): {summary['gaps']['count']}")
    errors = summary["errors"]
    detail = ", ".join(f"{k} {v}" for k, v in errors.items() if k != "total")
    lines.append(f"errors: {errors['total']}" + (f" ({detail})" if detail else ""))
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}"
