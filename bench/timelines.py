"""What a track costs the store, the timelines' part, against an embedded store server
(nx-27017): `python bench/timelines.py [--radios N] [--song-starts K] [--tracks T]
[--per-turn P] [--rounds R]`.

RADIOS timelines are stored, each with SONG_STARTS song starts (a radio that has
played that many songs), and TRACKS tracks start on radios drawn at random, each
costing the two fenced writes the engine makes of it: its prepare (the next
segment, the event) and its start (the segments moved on, the boundary, the
event, the song start), merged per radio in writer turns of PER_TURN tracks and
written through the writer's own pending.write_taken. Two layouts, each on a
database of its own on the same server, one after the other, ROUNDS times:
main's (the song starts a sub-document, each start `$set` alone as
`song_starts.<id>`) and this version's (the song starts one JSON text, written
whole). Prints the documents written and the server's CPU a track for each, the
service's CPU a track (the process running this), their ratio, and what reading
every timeline back as a start-up does costs (seconds, the server's CPU).
"""

import argparse
import random
import sys
import time
from pathlib import Path

import pymongo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import StoreServer  # noqa: E402

from yascheduler.programming.persistence import timeline_from_stored  # noqa: E402
from yascheduler.store import connection  # noqa: E402
from yascheduler.store.packed_timelines import packed  # noqa: E402
from yascheduler.store.pending import Backlog, write_taken  # noqa: E402
from yascheduler.store.timelines import StoredTimelines  # noqa: E402
from yascheduler.support.shards import shard_of  # noqa: E402

T0 = 1.8e9
MAIN, PACKED = "main (song starts a sub-document)", "this version (song starts one text)"


def segment(song_id: int, at: float) -> dict:
    return {"kind": "song", "song_id": song_id, "playlist_id": 7, "duration": 240.0,
            "filename": f"pop/an artist - a title {song_id}.mp3", "starts_at": at}  # fmt: skip


def timeline(number: int, starts: dict[int, float]) -> dict:
    """A stored timeline as the engine writes it whole, its song starts as given."""
    return {"current": segment(1, T0), "next": None, "interrupted": None, "boundary": T0 + 238,
            "jingle_counters": [{"jingle_id": "j1", "songs": number % 4}], "show_positions": {},
            "broken": None, "event_at": T0 + 233, "event_kind": "prepare", "song_starts": starts,
            "epoch": 1}  # fmt: skip


def seed(database, radios: int, song_starts: int, layout: str) -> None:
    starts = {str(song): T0 - 240.0 * song for song in range(song_starts)}
    collection = database.radio_timelines
    for first in range(0, radios, 1000):
        documents = []
        for number in range(first, min(first + 1000, radios)):
            fields = timeline(number, starts)
            if layout == PACKED:
                fields = packed(fields)
            else:  # main packed the other fields alike
                fields = {**packed({**fields, "song_starts": None}), "song_starts": starts}
            uuid = f"radio-{number:06d}"
            documents.append({**fields, "_id": uuid, "shard": shard_of(uuid)})
        collection.insert_many(documents)
    collection.create_index("shard")


def track_changes(layout: str, song: int, at: float, starts: dict[int, float]) -> list[dict]:
    """The engine's two writes for a track: its prepare, then its start."""
    prepare = {"next": segment(song, at), "event_at": at - 2.0, "event_kind": "start"}
    start = {"current": segment(song, at), "next": None, "boundary": at + 238.0,
             "event_at": at + 233.0, "event_kind": "prepare"}  # fmt: skip
    starts[song] = at
    if layout == PACKED:
        start["song_starts"] = starts
    else:
        start[f"song_starts.{song}"] = at
    return [prepare, start]


def run(database_url: str, layout: str, args, cpu: StoreServer) -> dict:
    connection.connect(database_url)
    database = pymongo.MongoClient(database_url).get_default_database()
    seed(database, args.radios, args.song_starts, layout)
    timelines = StoredTimelines(Backlog())
    timelines.epoch_of = lambda radio: 1
    draw = random.Random(7)
    histories: dict[str, dict[int, float]] = {}
    documents = 0
    began_server, began_service = cpu.cpu_times(), time.process_time()
    for turn in range(0, args.tracks, args.per_turn):
        for number in range(turn, min(turn + args.per_turn, args.tracks)):
            radio = f"radio-{draw.randrange(args.radios):06d}"
            if radio not in histories:  # as seeded (built once: it is not a write's cost)
                histories[radio] = {song: T0 - 240.0 * song for song in range(args.song_starts)}
            starts = histories[radio]
            song = draw.randrange(args.song_starts)
            for changes in track_changes(layout, song, T0 + number, starts):
                timelines.save(radio, changes)
        taken = timelines.take()
        outcome = write_taken(timelines, taken)
        if outcome.refused or outcome.retry:
            raise SystemExit(f"{layout}: writes failed: {outcome.refused or outcome.error}")
        documents += len(taken)
    server = cpu.cpu_times() - began_server
    service = time.process_time() - began_service
    read = read_back(histories, cpu)
    return {"documents": documents, "server": server, "service": service, "read": read}


def read_back(histories: dict, cpu: StoreServer) -> tuple[float, float]:
    """Every timeline read and decoded as a start-up does: (seconds, the server's CPU
    seconds); each radio's song starts found as the engine holds them (the bench
    measured writes that landed)."""
    began, began_server = time.perf_counter(), cpu.cpu_times()
    stored = StoredTimelines().load_all(timeline_from_stored)
    seconds, server = time.perf_counter() - began, cpu.cpu_times() - began_server
    for radio, starts in histories.items():
        if stored[radio].song_starts != starts:
            raise SystemExit(f"{radio}'s song starts were not stored as written")
    return seconds, server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--radios", type=int, default=10_000)
    parser.add_argument("--song-starts", type=int, default=200)
    parser.add_argument("--tracks", type=int, default=6_000)
    parser.add_argument("--per-turn", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    print(f"{args.radios} timelines of {args.song_starts} song starts, {args.tracks} tracks, "
          f"turns of {args.per_turn}")  # fmt: skip
    with StoreServer() as server:
        results: dict[str, list[dict]] = {MAIN: [], PACKED: []}
        for round_ in range(args.rounds):
            for layout in (MAIN, PACKED):
                url = server.url(f"r{round_}{'main' if layout == MAIN else 'new'}")
                results[layout].append(run(url, layout, args, server))
        report(results, args.tracks)


def report(results: dict[str, list[dict]], tracks: int) -> None:
    per_track = {}
    for layout, runs in results.items():
        server = [run["server"] / tracks * 1e6 for run in runs]
        service = [run["service"] / tracks * 1e6 for run in runs]
        documents = runs[0]["documents"] / tracks
        per_track[layout] = min(server)
        print(f"{layout}: {documents:.3f} documents a track, nx-27017 "
              f"{' / '.join(f'{value:.1f}' for value in server)} µs CPU a track, service "
              f"{' / '.join(f'{value:.1f}' for value in service)} µs")  # fmt: skip
        reads = " / ".join(f"{wall:.1f} s ({cpu:.1f} s)" for wall, cpu in (r["read"] for r in runs))
        print(f"{layout}: every timeline read back and decoded in {reads} nx-27017 CPU")
    print(f"nx-27017 CPU a track, this version against main: "
          f"{per_track[PACKED] / per_track[MAIN]:.2f} (best of each)")  # fmt: skip


if __name__ == "__main__":
    main()
