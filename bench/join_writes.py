"""What a join costs the store, the radio masters' part, against an embedded store
server (nx-27017): `python bench/join_writes.py [--radios 10000,100000] [--rate R]
[--json PATH]`.

A join: RADIOS `play_radio` handled at RATE a second (each queues its radio's master,
fenced by its shard's epoch, marks the barrier and hurries the writer, as
streaming/stations.py and the bus do), written by the service's own store writer
(store/writer.py, write_delay 0.05 s). Each join runs twice on the same server, one
collection each, one after the other: with the masters one document a radio, as main
stores them (`OneARadio`: main's store/streams.py, its writes, its shard index), and
one document a shard (store/streams.py). Prints, for each: the documents written, the
server's CPU (a radio, and all of it), the seconds from the first `play_radio` until
every master is stored, and how long each radio's `radio_started` is held by the
barrier (p50/p99: from its `play_radio` to its master stored), and their ratio.
"""

import gevent.monkey

gevent.monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
from mongoengine.connection import get_db  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import StoreServer  # noqa: E402

from yascheduler.store import connection  # noqa: E402
from yascheduler.store.pending import Backlog, Buffered  # noqa: E402
from yascheduler.store.sharded import SHARD  # noqa: E402
from yascheduler.store.streams import StoredStreams  # noqa: E402
from yascheduler.store.writer import Writer  # noqa: E402
from yascheduler.support.metrics import Metrics  # noqa: E402
from yascheduler.support.shards import shard_of  # noqa: E402
from yascheduler.support.stats import summary  # noqa: E402

WRITE_DELAY = 0.05
TICK = 0.01  # seconds between the bursts of play_radio handled


class OneARadio(Buffered):
    """The masters as main stores them: one document a radio, replaced, fenced."""

    what = "radio %s's master"

    def collection(self):
        return get_db()["radio_streams_one_a_radio"]

    def add(self, radio_uuid: str, master: str, since: float) -> None:
        stored = {"master": master, "since": since, SHARD: shard_of(radio_uuid)}
        self._replace(radio_uuid, stored, radio=radio_uuid)


def join(store: Buffered, backlog: Backlog, radios: int, rate: float, cpu: StoreServer) -> dict:
    """RADIOS play_radio at RATE a second through the writer: what it cost the store."""
    store.epoch_of = lambda radio: 1  # the shard leased (fleet), as with several instances
    metrics = Metrics()
    writer = Writer(backlog, [store], WRITE_DELAY, lambda: None, metrics)
    held: dict[str, tuple[float, object]] = {}  # radio -> (its play_radio, its mark)
    waited: list[float] = []

    def released(radios_landed) -> None:
        now = time.monotonic()
        candidates = list(held) if radios_landed is None else radios_landed & held.keys()
        for radio in candidates:
            began, mark = held[radio]
            if writer.stored(mark):
                waited.append(now - began)
                del held[radio]

    writer.listeners.append(released)
    uuids = [f"radio-{number:06d}" for number in range(radios)]
    began_cpu, began = cpu.cpu_times(), time.monotonic()

    def handle_play_radios() -> None:
        per_tick = max(1, int(rate * TICK))
        for start in range(0, radios, per_tick):
            now = time.monotonic()
            for radio in uuids[start : start + per_tick]:
                store.add(radio, "streamer-1", time.time())
                held[radio] = (now, writer.mark(radio))
            writer.hurry()
            gevent.sleep(max(0.0, began + (start + per_tick) / rate - time.monotonic()))

    producer = gevent.spawn(handle_play_radios)
    while not (producer.dead and writer.caught_up() and not held):
        wait = writer.loop()
        backlog.arrived.wait(TICK if wait is None else min(wait, TICK))
    producer.get()
    held_ms = summary(waited, scale=1e3, digits=1)
    return {
        "documents": metrics.store_documents_written._value.get(),
        "server_cpu_s": round(cpu.cpu_times() - began_cpu, 3),
        "all_stored_s": round(time.monotonic() - began, 3),
        "held_p50_ms": held_ms["p50"],
        "held_p99_ms": held_ms["p99"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--radios", default="10000,100000")
    parser.add_argument("--rate", type=float, default=20000.0, help="play_radio a second")
    parser.add_argument("--json", type=Path, help="where to write the figures")
    args = parser.parse_args()
    results = {}
    with StoreServer() as server:
        connection.connect(server.url("join"))
        for radios in (int(count) for count in args.radios.split(",")):
            for layout, make in (("one_a_radio", OneARadio), ("a_shard", StoredStreams)):
                backlog = Backlog()
                figures = join(make(backlog), backlog, radios, args.rate, server)
                results[f"{radios}_{layout}"] = figures
                report(radios, layout, figures)
            compare(radios, results[f"{radios}_one_a_radio"], results[f"{radios}_a_shard"])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def report(radios: int, layout: str, f: dict) -> None:
    print(f"{radios} play_radio, {layout:>11}: {f['documents']:.0f} documents "
          f"({f['documents'] / radios:.4f} a radio), server {f['server_cpu_s']:.2f} s CPU "
          f"({f['server_cpu_s'] / radios * 1e6:.1f} µs a radio), all stored in "
          f"{f['all_stored_s']:.2f} s, radio_started held p50 {f['held_p50_ms']:.0f} ms "
          f"p99 {f['held_p99_ms']:.0f} ms")  # fmt: skip


def compare(radios: int, before: dict, after: dict) -> None:
    print(f"{radios} play_radio: {before['documents'] / after['documents']:.0f}x fewer "
          f"documents, {before['server_cpu_s'] / after['server_cpu_s']:.1f}x less server "
          f"CPU, p99 held {before['held_p99_ms'] / max(after['held_p99_ms'], 1e-3):.1f}x "
          "shorter")  # fmt: skip


if __name__ == "__main__":
    main()
