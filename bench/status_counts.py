"""What a status read's programming counts cost: `python bench/status_counts.py [RADIOS]`.

/api/status and /metrics read Programmer.counts() (the benchmark's poller five
times a second). Programs RADIOS ready radios (bench/common.py's shape, every
tenth with nothing playable) on an injected clock, then times counts() against
the walk of every radio it replaced, measured in the same run.
"""

import logging
import random
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import StoreServer, catalog_document  # noqa: E402

from yascheduler.catalog.importer import import_catalog  # noqa: E402
from yascheduler.programming import Programmer, ProgrammingSettings  # noqa: E402
from yascheduler.programming.catalog_view import radio_from_stored  # noqa: E402
from yascheduler.store import connection  # noqa: E402
from yascheduler.store.catalog import StoredCatalog  # noqa: E402
from yascheduler.store.radios import StoredRadios  # noqa: E402
from yascheduler.support.clock import FakeClock  # noqa: E402

BROKEN_EVERY = 10


class KeepsNothing:
    """The player and the timeline store: what they are told is dropped."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def programmed(radios: int) -> Programmer:
    document = catalog_document(radios)
    for radio in document["radios"][::BROKEN_EVERY]:  # nothing playable: broken
        for song in radio["playlists"][0]["songs"]:
            song["enabled"] = False
    import_catalog(document, StoredCatalog())
    engine = Programmer(
        FakeClock(1_780_000_000.0),
        KeepsNothing(),
        ProgrammingSettings(),
        KeepsNothing(),
        random.Random(1),
    )
    engine.load(StoredRadios().ready(radio_from_stored), {})
    return engine


def walked(engine: Programmer) -> dict:
    """counts() as it was: every radio walked for the broken ones."""
    broken = sum(1 for state in engine._radios.values() if state.timeline.broken)
    return {**engine.sizes(), "broken_radios": broken}


def main() -> None:
    radios = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    logging.disable(logging.WARNING)  # a line for each broken radio
    with StoreServer() as server:
        connection.connect(server.url("status"))
        engine = programmed(radios)
    assert engine.counts() == walked(engine), (engine.counts(), walked(engine))
    print(f"{radios:,} radios, {engine.counts()['broken_radios']:,} broken:")
    for name, read in (("walk (main)", walked), ("counts()", Programmer.counts)):
        loops, seconds = timeit.Timer(lambda read=read: read(engine)).autorange()
        print(f"  {name:12s} {seconds / loops * 1e6:10.2f} µs a read")


if __name__ == "__main__":
    main()
