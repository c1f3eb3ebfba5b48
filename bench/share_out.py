"""The start-up share-out alone: `python bench/share_out.py RADIOS [INSTANCES]`.

INSTANCES `yascheduler run` processes on one nx-27017 and one Redis, started as the
fleet scenarios start them (fleet.launch_fleet: the first imports, the others join),
no streamer; then 10 s more. Prints the time until the radios were shared out, the
leases lost (`shards lost` in the instances' logs) and every line of a log that says
a shard was lost, not transferred or no longer handed (bench/README.md, "Several
instances, the loose ends")."""

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Redis, StoreServer, make_catalog  # noqa: E402
from fleet import launch_fleet, leases_lost, stop_fleet  # noqa: E402

AFTER = 10.0  # s watched once shared out
TROUBLE = ("shards lost", "not transferred", "no longer handed")


def main(radios: int, count: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="yasshareout-"))
    store, server = StoreServer(workdir), Redis()
    catalog = make_catalog(workdir / f"catalog-{radios}.json", radios)
    instances = []
    try:
        instances, startup = launch_fleet(
            server.url, store.url("shareout"), workdir, catalog, radios, count, "share",
            ("--log-level", "info"),
        )  # fmt: skip
        print(f"{radios} radios shared out over {count} instances in {startup:.1f} s")
        time.sleep(AFTER)
        print(f"leases lost: {leases_lost(instances)} (logs in {workdir})")
        for instance in instances:
            for line in instance.process.log_path.read_text(errors="replace").splitlines():
                if any(text in line for text in TROUBLE):
                    print(f"{instance.name} | {line[:200]}")
    finally:
        stop_fleet(instances)
        server.stop()
        store.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3)
