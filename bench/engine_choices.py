"""The engine's CPU a track, in-process: `python bench/engine_choices.py [RADIOS] [MINUTES]`.

Programs RADIOS ready radios (bench/common.py's shape: 8 songs of 20-40 s
each) for MINUTES simulated minutes on an injected clock, with a player and
a timeline store that keep nothing, so that only the engine is measured:
no store, no Redis, no gevent turns. Prints the plays sent, the CPU
seconds they took, and plays (tracks) a CPU second. The service's own cost
of a track (its writes, its messages) comes on top: bench/run.py measures
the whole.
"""

import random
import sys
import time
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


def main() -> None:
    radios = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    views = radio_views(radios)
    clock, player = FakeClock(1_780_000_000.0), CountingPlayer()
    engine = Programmer(clock, player, ProgrammingSettings(), KeepsNothing(), random.Random(1))
    started = time.process_time()
    engine.load(views, {})
    loaded, first_plays = time.process_time(), player.plays
    end = clock.now() + minutes * 60
    while clock.now() < end:
        clock.advance(min(engine.run_due() or 1.0, 1.0))
    ran = time.process_time() - loaded
    plays = player.plays - first_plays
    print(f"{radios:,} radios, {minutes:g} simulated minutes")
    print(f"  start-up (load)     {loaded - started:8.2f} CPU s ({first_plays:,} plays)")
    print(f"  then                {ran:8.2f} CPU s for {plays:,} plays")
    print(f"  plays a CPU second  {plays / ran:8.0f}")
    print(f"  CPU a play          {ran / plays * 1e6:8.1f} us")


if __name__ == "__main__":
    main()
