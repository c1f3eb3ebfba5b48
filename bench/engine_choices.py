"""The engine's CPU a track, in-process: `python bench/engine_choices.py [RADIOS] [MINUTES]`.

With --memory it prints instead the bytes a radio the engine holds beside
the catalog views (traced by tracemalloc, which slows the run).

Programs RADIOS ready radios (bench/common.py's shape: 8 songs of 20-40 s
each) for MINUTES simulated minutes on an injected clock, with a player and
a timeline store that keep nothing, so that only the engine is measured:
no store, no Redis, no gevent turns. Prints the plays sent, the CPU
seconds they took, and plays (tracks) a CPU second. The service's own cost
of a track (its writes, its messages) comes on top: bench/run.py measures
the whole.
"""

import gc
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, catalog_document  # noqa: E402

sys.path.insert(0, str(ROOT))
from yascheduler.programming import Programmer, ProgrammingSettings  # noqa: E402
from yascheduler.programming.catalog_view import radio_from_stored  # noqa: E402
from yascheduler.support.clock import FakeClock  # noqa: E402


class KeepsNothing:
    """The timeline store: what it is told is dropped."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class CountingPlayer(KeepsNothing):
    """The player: counts the plays, keeps nothing else."""

    def __init__(self):
        self.plays = 0

    def play(self, radio_uuid, command) -> None:
        self.plays += 1


def radio_views(radios: int, songs_per_radio: int = 8) -> list:
    """The engine's views of the bench catalog's radios, built as the store gives them."""
    views = []
    for radio in catalog_document(radios, songs_per_radio)["radios"]:
        stored = {key: value for key, value in radio.items() if key != "uuid"}
        views.append(radio_from_stored({"_id": radio["uuid"], **stored}))
    return views


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def main() -> None:
    memory = "--memory" in sys.argv
    args = [arg for arg in sys.argv[1:] if arg != "--memory"]
    radios = int(args[0]) if args else 10_000
    minutes = float(args[1]) if len(args) > 1 else 10.0
    views = radio_views(radios)
    if memory:
        tracemalloc.start()
    before = traced() if memory else 0
    clock, player = FakeClock(1_780_000_000.0), CountingPlayer()
    engine = Programmer(clock, player, ProgrammingSettings(), KeepsNothing(), random.Random(1))
    started = time.process_time()
    engine.load(views, {})
    loaded, first_plays = time.process_time(), player.plays
    end = clock.now() + minutes * 60
    while clock.now() < end:
        clock.advance(min(engine.run_due() or 1.0, 1.0))
    ran = time.process_time() - loaded
    if memory:
        print(
            f"{radios:,} radios: the engine holds {(traced() - before) / radios:.0f} bytes a radio"
        )
        return
    plays = player.plays - first_plays
    print(f"{radios:,} radios, {minutes:g} simulated minutes")
    print(f"  start-up (load)     {loaded - started:8.2f} CPU s ({first_plays:,} plays)")
    print(f"  then                {ran:8.2f} CPU s for {plays:,} plays")
    print(f"  plays a CPU second  {plays / ran:8.0f}")
    print(f"  CPU a play          {ran / plays * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
