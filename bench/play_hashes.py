"""Whether a change to the engine changes its choices: `python bench/play_hashes.py`.

Programs 100 radios for three simulated hours in four catalog shapes (the
bench's 8 songs; 400 songs with the default separations; 400 with short
ones; 400 with mixed frequencies and some catalog last plays), then starts
them again four hours later from their stored song starts (every stored
timeline stale: each radio chooses afresh with an old history) for half an
hour, and prints a hash of every play sent and every song start told, per
shape. The same hashes before and after a change: the same choices.
"""

import hashlib
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, catalog_document  # noqa: E402

sys.path.insert(0, str(ROOT))
from yascheduler.programming import Programmer, ProgrammingSettings  # noqa: E402
from yascheduler.programming.catalog_view import radio_from_stored  # noqa: E402
from yascheduler.programming.persistence import StoredTimeline  # noqa: E402
from yascheduler.programming.timeline import Timeline  # noqa: E402
from yascheduler.support.clock import FakeClock  # noqa: E402

RADIOS, HOURS, RESTART_AFTER_HOURS, RESTARTED_MINUTES = 100, 3, 4, 30
START = 1_780_000_000.0
SHORT = ProgrammingSettings(title_separation=600.0, artist_separation=120.0)


class KeepsNothing:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class HashingPlayer:
    """Hashes every play and song start it is told; keeps each radio's song starts."""

    def __init__(self):
        self.digest = hashlib.sha256()
        self.plays = 0
        self.song_starts: dict[str, dict[int, float]] = {}

    def play(self, radio_uuid, command) -> None:
        self.plays += 1
        self.digest.update(repr((radio_uuid, command)).encode())

    def song_started(self, radio_uuid, song_id, at) -> None:
        self.digest.update(repr(("started", radio_uuid, song_id, at)).encode())
        self.song_starts.setdefault(radio_uuid, {})[song_id] = at


def mixed(document: dict) -> dict:
    """Frequencies from 0 to 1 and a catalog last play for one song in five."""
    rng = random.Random(7)
    for radio in document["radios"]:
        for song in radio["playlists"][0]["songs"]:
            song["frequency"] = rng.choice((0.0, 0.1, 0.3, 0.5, 0.7, 1.0))
            if rng.random() < 0.2:
                song["last_play_time"] = START - rng.uniform(0, 6 * 3600)
    return document


def views(document: dict) -> list:
    return [
        radio_from_stored({"_id": radio["uuid"], **{k: v for k, v in radio.items() if k != "uuid"}})
        for radio in document["radios"]
    ]


def run(engine: Programmer, clock: FakeClock, seconds: float) -> None:
    end = clock.now() + seconds
    while clock.now() < end:
        clock.advance(min(engine.run_due() or 1.0, 1.0))


def play_hash(radios: list, settings: ProgrammingSettings) -> tuple[str, int]:
    clock, player = FakeClock(START), HashingPlayer()
    engine = Programmer(clock, player, settings, KeepsNothing(), random.Random(1))
    engine.load(radios, {})
    run(engine, clock, HOURS * 3600)
    clock.advance(RESTART_AFTER_HOURS * 3600)
    stale = {
        uuid: StoredTimeline(Timeline(), starts, (clock.now() - 60, "retry"))
        for uuid, starts in player.song_starts.items()
    }
    restarted = Programmer(clock, player, settings, KeepsNothing(), random.Random(2))
    restarted.load(radios, stale)
    run(restarted, clock, RESTARTED_MINUTES * 60)
    return player.digest.hexdigest()[:16], player.plays


def main() -> None:
    shapes = {
        "8 songs": (catalog_document(RADIOS, 8), ProgrammingSettings()),
        "400 songs": (catalog_document(RADIOS, 400), ProgrammingSettings()),
        "400 songs, short separations": (catalog_document(RADIOS, 400), SHORT),
        "400 songs, mixed frequencies": (mixed(catalog_document(RADIOS, 400)), SHORT),
    }
    for name, (document, settings) in shapes.items():
        digest, plays = play_hash(views(document), settings)
        print(f"{name:30} {plays:7,} plays  {digest}", flush=True)


if __name__ == "__main__":
    main()
