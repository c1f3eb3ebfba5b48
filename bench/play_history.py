"""What a track costs the store, the play history's part, against an embedded store
server (nx-27017): `python bench/play_history.py [--radios N] [--song-seconds S]
[--per-turn K] [--hours H]`.

RADIOS radios each start a track every SONG seconds for HOURS hours, written in
writer turns of PER_TURN records (at 100,000 radios with 180-300 s songs the
engine starts ~420 tracks a second and a writer turn takes about a second).
Each turn is written twice, one database each on the same server, one after the
other: as versions before stored it (one insert a record, the same fields, the
same two indexes), and as store/plays.py does (one document a bucket, through
the writer's own pending.write_taken), then gathered by radio and hour and its
turns deleted, as the history-gathering part does. Prints the documents written
and the server's CPU a track for each (the gathering counted in), their ratio,
and what reading a radio's first page costs on each.
"""

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pymongo
from bson import ObjectId

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import StoreServer  # noqa: E402

from yascheduler.programming.interface import TrackStart  # noqa: E402
from yascheduler.store import connection  # noqa: E402
from yascheduler.store.packed_plays import BUCKETS  # noqa: E402
from yascheduler.store.pending import Backlog, write_taken  # noqa: E402
from yascheduler.store.plays import StoredPlays  # noqa: E402

# the top of an hour, two before now: nx-27017 expires by its own clock what is older
# than the TTL index's 30 days when it reads
T0 = time.time() // 3600 * 3600 - 7200


def tracks(radios: int, song: float, hours: float) -> list[TrackStart]:
    """Every radio's tracks, in the order they start (the radios' starts spread)."""
    started = []
    for number in range(radios):
        at = T0 + song * number / radios
        while at < T0 + hours * 3600:
            file = f"pop/{number % 500}.mp3"
            started.append(
                TrackStart(
                    f"radio-{number:06d}",
                    "song",
                    number % 500,
                    file,
                    "An Artist",
                    "A Title",
                    None,
                    at,
                    0.004,
                )  # fmt: skip
            )
            at += song
    return sorted(started, key=lambda track: track.starts_at)


def old_record(track: TrackStart) -> dict:
    """A record as versions before this one stored it (store/plays.py's `stored`)."""
    return {
        "_id": ObjectId(), "radio_uuid": track.radio_uuid, "kind": track.kind,
        "song_id": track.song_id, "file": track.file, "artist": track.artist,
        "title": track.title, "show": track.show, "started_at": track.starts_at,
        "started": datetime.fromtimestamp(track.starts_at, UTC),
        "lateness_ms": round(track.lateness * 1000.0, 3), "listeners": 2,
    }  # fmt: skip


def write_old(database, turns: list[list[TrackStart]], cpu: StoreServer) -> tuple[int, float]:
    collection = database.plays
    collection.create_index([("radio_uuid", 1), ("started_at", -1)])
    collection.create_index("started", expireAfterSeconds=30 * 86400)
    began, documents = cpu.cpu_times(), 0
    for turn in turns:
        collection.bulk_write([pymongo.InsertOne(old_record(t)) for t in turn], ordered=False)
        documents += len(turn)
    return documents, cpu.cpu_times() - began


def write_new(turns: list[list[TrackStart]], cpu: StoreServer, radio: str) -> dict:
    plays = StoredPlays(Backlog())
    plays.keep_for(30)
    began, documents = cpu.cpu_times(), 0
    for turn in turns:
        for track in turn:
            plays.add(track, 2)
        taken = plays.take()
        write_taken(plays, taken)
        documents += len(taken)
    ungathered = read_cost(lambda: plays.page(radio, None, None, 0, 101), cpu)
    written = cpu.cpu_times()
    hours = 0
    for bucket in range(BUCKETS):
        plays.gather(bucket)
        taken = plays.take()
        write_taken(plays, taken)
        hours += len(taken)
    deleted = plays.delete_gathered()
    return {
        "turns": (documents, written - began),
        "gathering": (hours, deleted, cpu.cpu_times() - written),
        "plays": plays,
        "ungathered": ungathered,
    }


def read_cost(read, cpu: StoreServer) -> tuple[float, float, int]:
    """The second read's (nx-27017 deletes what expired when a collection is first read)."""
    read()
    began_cpu, began = cpu.cpu_times(), time.perf_counter()
    rows = read()
    return time.perf_counter() - began, cpu.cpu_times() - began_cpu, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--radios", type=int, default=2000)
    parser.add_argument("--song-seconds", type=float, default=240.0)
    parser.add_argument("--per-turn", type=int, default=420)
    parser.add_argument("--hours", type=float, default=1.0)
    args = parser.parse_args()
    started = tracks(args.radios, args.song_seconds, args.hours)
    turns = [started[i : i + args.per_turn] for i in range(0, len(started), args.per_turn)]
    print(f"{len(started)} tracks of {args.radios} radios, {len(turns)} turns of {args.per_turn}")
    with StoreServer() as server:
        client = pymongo.MongoClient(server.url("old"))
        old_documents, old_cpu = write_old(client.old, turns, server)
        connection.connect(server.url("new"))
        radio = started[len(started) // 2].radio_uuid
        new = write_new(turns, server, radio)
        report(len(started), old_documents, old_cpu, new)
        query = {"radio_uuid": radio}
        old_read = read_cost(
            lambda: list(client.old.plays.find(query).sort("started_at", -1).limit(101)), server
        )
        new_read = read_cost(lambda: new["plays"].page(radio, None, None, 0, 101), server)
        reads = (
            ("old layout", old_read),
            ("turns not gathered", new["ungathered"]),
            ("gathered", new_read),
        )
        for name, (wall, server_cpu, rows) in reads:
            print(f"first page of a radio, {name}: {wall * 1e3:.1f} ms, "
                  f"server {server_cpu * 1e3:.1f} ms CPU, {rows} rows")  # fmt: skip


def report(count: int, old_documents: int, old_cpu: float, new: dict) -> None:
    turn_documents, turn_cpu = new["turns"]
    hours, deleted, gather_cpu = new["gathering"]
    new_documents, new_cpu = turn_documents + hours, turn_cpu + gather_cpu
    print(f"old layout: {old_documents / count:.3f} documents a track, "
          f"server {old_cpu / count * 1e6:.1f} µs CPU a track")  # fmt: skip
    print(f"turns:      {turn_documents / count:.4f} documents a track, "
          f"server {turn_cpu / count * 1e6:.1f} µs CPU a track")  # fmt: skip
    print(f"gathering:  {hours} hours written, {deleted} turns deleted: {hours / count:.4f} "
          f"documents a track, server {gather_cpu / count * 1e6:.1f} µs")  # fmt: skip
    print(f"new layout: {new_documents / count:.4f} documents a track "
          f"({old_documents / new_documents:.1f}x fewer), server {new_cpu / count * 1e6:.1f} µs "
          f"CPU a track ({old_cpu / max(new_cpu, 1e-9):.1f}x less)")  # fmt: skip


if __name__ == "__main__":
    main()
