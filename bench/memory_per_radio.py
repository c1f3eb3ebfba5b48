"""Where a programmed radio's memory goes: `python bench/memory_per_radio.py [RADIOS]`.

Imports a catalog of RADIOS ready radios (bench/common.py's shape: 8 songs
each) into an nx-27017 server of its own, builds the engine's views of them,
programs them for ten simulated minutes (an injected clock, a player and a
timeline store that keep nothing), and prints the bytes each radio holds,
traced by tracemalloc from before the stored radios are read, by stage and
by the module that allocated them. The
store server's memory is not counted: it runs in a process of its own, as
with `yascheduler run`.

With --resident it traces nothing (tracemalloc's own tables would be
resident too) and prints instead the resident bytes a radio at each stage
(/proc/self/status), the C allocator's free pages handed back
(support/freed_memory.py) and what pymalloc's arenas hold unused.
"""

import gc
import random
import re
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "heap_probe"))
from common import ROOT, StoreServer, catalog_document  # noqa: E402
from pymalloc_stats import pymalloc_stats  # noqa: E402

sys.path.insert(0, str(ROOT))
from yascheduler.catalog.importer import import_catalog  # noqa: E402
from yascheduler.programming import Programmer, ProgrammingSettings  # noqa: E402
from yascheduler.catalog.forms import forget_shared, radio_from_json  # noqa: E402
from yascheduler.programming.catalog_view import radio_from_stored  # noqa: E402
from yascheduler.store import connection  # noqa: E402
from yascheduler.store.catalog import StoredCatalog  # noqa: E402
from yascheduler.store.radios import StoredRadios  # noqa: E402
from yascheduler.support.clock import FakeClock  # noqa: E402
from yascheduler.support.freed_memory import give_back  # noqa: E402

MINUTES = 10


class KeepsNothing:
    """The player and the timeline store: what they are told is dropped."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def resident() -> int:
    """This process's resident bytes, the C allocator's free pages handed back first (as
    the service does after its start-up)."""
    gc.collect()
    give_back()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def arenas_unused() -> tuple[int, int]:
    """(bytes pymalloc's arenas hold, bytes of them in no block in use): a freed object's
    block stays in its arena, resident, until every block of the arena is free."""
    text = pymalloc_stats()
    figures = {
        name: int(value.replace(",", ""))
        for name, value in re.findall(r"^# bytes in (.+?) +=\s+([\d,]+)", text, re.M)
    }
    held = int(re.search(r"^Total += +([\d,]+)", text, re.M).group(1).replace(",", ""))
    return held, held - figures["allocated blocks"]


def main() -> None:
    in_rss = "--resident" in sys.argv
    args = [arg for arg in sys.argv[1:] if arg != "--resident"]
    radios = int(args[0]) if args else 10_000
    measure = resident if in_rss else traced
    server = StoreServer()
    try:
        connection.connect(server.url("memory"))
        import_catalog(catalog_document(radios), StoredCatalog())
        if not in_rss:
            tracemalloc.start()
        before = measure()
        first = None if in_rss else tracemalloc.take_snapshot()
        # read, as the service's start-up reads them (each radio's text decoded straight
        # into its view): the views keep the strings, ints and floats the read decoded,
        # which a trace started after it would not count
        views = list(StoredRadios().ready(radio_from_stored, decode_text=radio_from_json))
        forget_shared()  # as the service does once a load's radios are decoded
        viewed = measure()
        clock = FakeClock(1_780_000_000.0)
        engine = Programmer(
            clock, KeepsNothing(), ProgrammingSettings(), KeepsNothing(), random.Random(1)
        )
        engine.load(views, {})
        programmed = measure()
        end = clock.now() + MINUTES * 60
        while clock.now() < end:
            clock.advance(min(engine.run_due() or 1.0, 1.0))
        after = measure()
        what = (
            "resident, the allocator's free pages handed back" if in_rss else "Python heap, traced"
        )
        report(radios, what, (before, viewed, programmed, after))
        if in_rss:
            held, unused = arenas_unused()
            print(
                f"pymalloc arenas: {held / radios:8.0f} a radio,"
                f" {unused / radios:8.0f} of it unused"
            )
        else:
            by_module(radios, first, tracemalloc.take_snapshot())
    finally:
        server.stop()


def report(radios, what, stages) -> None:
    before, viewed, programmed, after = stages
    print(f"{radios:,} radios, bytes a radio ({what}):")
    print(f"  catalog views          {(viewed - before) / radios:8.0f}")
    print(f"  programmed             {(programmed - viewed) / radios:8.0f}")
    print(f"  after {MINUTES} minutes played  {(after - programmed) / radios:8.0f}")
    print(f"  total                  {(after - before) / radios:8.0f}")


def by_module(radios, first, last) -> None:
    by_module = defaultdict(int)
    for stat in last.compare_to(first, "filename"):
        by_module[stat.traceback[0].filename.split("/yascheduler/")[-1]] += stat.size_diff
    print("by module that allocated it:")
    for module, size in sorted(by_module.items(), key=lambda item: -item[1])[:12]:
        print(f"  {size / radios:8.0f}  {module}")


if __name__ == "__main__":
    main()
