"""Where a programmed radio's memory goes: `python bench/memory_per_radio.py [RADIOS]`.

Imports a catalog of RADIOS ready radios (bench/common.py's shape: 8 songs
each) into an nx-27017 server of its own, builds the engine's views of them,
programs them for ten simulated minutes (an injected clock, a player and a
timeline store that keep nothing), and prints the bytes each radio holds,
traced by tracemalloc, by stage and by the module that allocated them. The
store server's memory is not counted: it runs in a process of its own, as
with `yascheduler run`.
"""

import gc
import random
import sys
import tempfile
import tracemalloc
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, catalog_document  # noqa: E402

sys.path.insert(0, str(ROOT))
from yascheduler.catalog.importer import import_catalog  # noqa: E402
from yascheduler.programming import Programmer, ProgrammingSettings  # noqa: E402
from yascheduler.programming.catalog_view import radio_from_stored  # noqa: E402
from yascheduler.store import connection  # noqa: E402
from yascheduler.store.catalog import StoredCatalog  # noqa: E402
from yascheduler.store.embedded import store_child  # noqa: E402
from yascheduler.store.radios import StoredRadios  # noqa: E402
from yascheduler.support.clock import FakeClock  # noqa: E402
from yascheduler.support.ports import free_port  # noqa: E402

MINUTES = 10


class KeepsNothing:
    """The player and the timeline store: what they are told is dropped."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def main() -> None:
    radios = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    port = free_port()
    server = store_child(Path(tempfile.mkdtemp(prefix="yasmem-")), "127.0.0.1", port)
    server.start(30)
    try:
        connection.connect(f"mongodb://127.0.0.1:{port}/memory")
        import_catalog(catalog_document(radios), StoredCatalog())
        documents = list(StoredRadios().ready(lambda document: document))
        tracemalloc.start()
        before, first = traced(), tracemalloc.take_snapshot()
        views = [radio_from_stored(document) for document in documents]
        del documents
        viewed = traced()
        clock = FakeClock(1_780_000_000.0)
        engine = Programmer(
            clock, KeepsNothing(), ProgrammingSettings(), KeepsNothing(), random.Random(1)
        )
        engine.load(views, {})
        programmed = traced()
        end = clock.now() + MINUTES * 60
        while clock.now() < end:
            clock.advance(min(engine.run_due() or 1.0, 1.0))
        after = traced()
        report(radios, before, viewed, programmed, after, first, tracemalloc.take_snapshot())
    finally:
        server.stop()


def report(radios, before, viewed, programmed, after, first, last) -> None:
    print(f"{radios:,} radios, bytes a radio (Python heap, traced):")
    print(f"  catalog views          {(viewed - before) / radios:8.0f}")
    print(f"  programmed             {(programmed - viewed) / radios:8.0f}")
    print(f"  after {MINUTES} minutes played  {(after - programmed) / radios:8.0f}")
    print(f"  total                  {(after - before) / radios:8.0f}")
    by_module = defaultdict(int)
    for stat in last.compare_to(first, "filename"):
        by_module[stat.traceback[0].filename.split("/yascheduler/")[-1]] += stat.size_diff
    print("by module that allocated it:")
    for module, size in sorted(by_module.items(), key=lambda item: -item[1])[:12]:
        print(f"  {size / radios:8.0f}  {module}")


if __name__ == "__main__":
    main()
