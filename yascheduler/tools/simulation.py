"""The simulation of `yascheduler simulate`: every simulated streamer on one publishing
and one PSUBSCRIBE connection, listeners coming and going, progress each second."""

import gc
import random
import sys
import time
from collections import Counter

import gevent
import gevent.event
import ujson

from yascheduler.support.redis_client import redis_client
from yascheduler.support.stats import summary as quantiles

from .sim_streamer import GAP_SECONDS, SimStreamer, Stats

INBOX = "yascheduler"
PREFIX = "yastream."
MS = 1000.0  # seconds to milliseconds
# what lives longer than this is kept out of the collector's full collections: one over
# 100,000 radios' state paused the reader 130-270 ms (nine in the join's first 15 s),
# and each play read after it was timed late by the pause (bench/README.md)
FREEZE_EVERY = 2.0  # seconds


class Simulation:
    def __init__(self, args, radios: list[str], catalog: dict | None):
        self.args = args
        self.prepare_seconds = args.prepare_seconds
        self.durations = catalog["durations"] if catalog else None
        self.tokens = args.token
        self.stats = Stats()
        self.client = redis_client(args.redis_url)
        self.outgoing: list[str] = []
        self.flushed = gevent.event.Event()
        per = args.radios_per_streamer
        self.streamers = {}
        for i in range(args.streamers):
            name = f"{args.name_prefix}-{i}"
            self.streamers[name] = SimStreamer(self, name, radios[i * per : (i + 1) * per])
        self.silent: dict[tuple, float] = {}  # (streamer, radio) -> end of its last track
        # every play as a JSON line [arrival, radio, lateness, gap, duplicate], for figures
        # over a part of the run (before and after an instance dies, say)
        self.plays_file = open(args.plays, "w") if args.plays else None  # noqa: SIM115
        self.running = True
        self.stopping_at: float | None = None  # when the streamers began stopping

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

    def record_play(self, radio, arrival, lateness, gap, duplicate: bool) -> None:
        if self.plays_file is not None:
            self.plays_file.write(ujson.dumps([arrival, radio, lateness, gap, duplicate]) + "\n")

    def watch_silence(self, streamer: SimStreamer, radio: str, end: float) -> None:
        self.silent[(streamer.name, radio)] = end

    def _spare_from_the_collector(self) -> None:
        """Every FREEZE_EVERY, what exists is moved out of the collector's generations (a
        cycle among it is never collected: the simulation makes few, and lives a run)."""
        while self.running:
            gc.freeze()
            gevent.sleep(FREEZE_EVERY)

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
        helpers = [
            gevent.spawn(self._churn),
            gevent.spawn(self._progress, began),
            gevent.spawn(self._spare_from_the_collector),
        ]
        gevent.sleep(self.args.duration)
        silent_at_end = self._silence_check()
        self.running = False
        gevent.killall(helpers)
        self.stopping_at = time.time()
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
        if self.plays_file is not None:
            self.plays_file.close()
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
        if stats.duplicates:
            errors["duplicate_plays"] = stats.duplicates
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
            "duplicate_plays": stats.duplicates,
            "teardown_plays": stats.teardown_plays,
            "play_lateness_ms": quantiles(stats.lateness, scale=MS) if self.durations else None,
            "play_interval_s": quantiles(stats.intervals),
            "gaps": {
                "count": len(stats.gaps),
                "max_s": round(max(stats.gaps), 3) if stats.gaps else None,
                "after_join": stats.gaps_after_join,
            },
            "errors": {"total": sum(errors.values()), **errors},
        }
