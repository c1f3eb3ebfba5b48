"""Start-up at scale: `python bench/startup.py [RADIOS] [--spy]`.

Launches `yascheduler run` on an empty data directory with a catalog of
RADIOS ready radios (the first import), stops it, launches it again on the
same directory (the stored start-up), and prints the seconds from launch
until /api/status counts every radio, the CPU seconds the service and its
store server used by then (the figures that other load on the machine
changes least), and the service's resident memory.
With --spy, py-spy profiles the service and its store server (nx-27017)
during each start-up; their top frames are printed.
"""

import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Process, Redis, launch_service, make_catalog  # noqa: E402
from profiling import PROFILES, finish_profile, profile  # noqa: E402
from scenario_programming import programmed, stored  # noqa: E402

TIMEOUT = 600


class StoreServer(Process):
    """The service's store server child, to profile it."""

    def __init__(self, service: Process):
        children = service.ps.children()
        while not children:  # started by the service at once
            time.sleep(0.05)
            children = service.ps.children()
        self.ps = children[0]
        self.popen = None

    @property
    def pid(self) -> int:
        return self.ps.pid


def start_up(name: str, redis: Redis, workdir: Path, catalog: Path, radios: int, spy: bool):
    process, port = launch_service(redis.url, workdir, catalog, name="service")
    spies = []
    if spy:
        spies = [
            profile(process, 60, f"{name}: service", workdir),
            profile(StoreServer(process), 60, f"{name}: store server", workdir),
        ]
    try:
        seconds = programmed(process, port, radios, TIMEOUT)
        store = StoreServer(process)
        print(
            f"{name}: {seconds:.1f} s; CPU: service {process.cpu_times():.1f} s, store server "
            f"{store.cpu_times():.1f} s; service rss {process.rss() / 2**20:.0f} MiB",
            flush=True,
        )
        print(f"{name}: {stored(process, port)}", flush=True)
    finally:
        for each in filter(None, spies):  # None: no py-spy installed
            each.send_signal(signal.SIGINT)  # py-spy writes its profile when interrupted
            finish_profile(each, top=15)
        process.stop(timeout=60)


def main() -> None:
    radios = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 10_000
    spy = "--spy" in sys.argv
    workdir = Path(tempfile.mkdtemp(prefix="yasstartup-"))
    catalog = make_catalog(workdir / "catalog.json", radios)
    redis = Redis()
    try:
        print(f"{radios:,} radios, work files in {workdir}", flush=True)
        start_up("first import", redis, workdir, catalog, radios, spy)
        start_up("stored start-up", redis, workdir, catalog, radios, spy)
    finally:
        redis.stop()
    for name, text in PROFILES.items():
        print(f"## {name}\n{text}\n")


if __name__ == "__main__":
    main()
