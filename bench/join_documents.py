"""What a join writes, the whole service's part: `python bench/join_documents.py
[--radios N]`.

`yascheduler run` (the embedded store) programs RADIOS radios of real songs (180-300
s), has written its start-up, and writes what its tracks change at their pace; then
`yascheduler simulate` sends a `play_radio` for every radio. Prints the documents the
service wrote for the join (those written from the first `play_radio` until
everything is stored, less what the same span writes without a join, measured just
before), a `play_radio`, and the simulator's `radio_started` latency (p50/p99).
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Redis, launch_service, launch_simulator, make_catalog, status  # noqa: E402
from scenario_programming import documents_written, programmed, scrape  # noqa: E402

QUIET = 20.0  # seconds of the writes without a join, the baseline
SIMULATED = 90.0  # seconds the simulator streams (its summary once it ends)


def all_stored(port: int, timeout: float = 600.0) -> None:
    began = time.time()
    while status(port)["store"]["pending"]:
        if time.time() - began > timeout:
            raise RuntimeError(f"writes still pending after {timeout} s")
        time.sleep(0.1)


def measure(radios: int, workdir: Path) -> dict:
    catalog = make_catalog(
        workdir / f"catalog-{radios}.json", radios, min_duration=180.0, max_duration=300.0
    )
    server = Redis()
    process, port = launch_service(server.url, workdir, catalog, name=f"service-{radios}")
    try:
        programmed(process, port, radios, 300)
        all_stored(port)
        quiet_from, quiet_written = time.time(), documents_written(scrape(port))
        time.sleep(QUIET)
        joined_from, before = time.time(), documents_written(scrape(port))
        baseline = (before - quiet_written) / (joined_from - quiet_from)
        sim, summary_path = launch_simulator(
            server.url, catalog, radios, SIMULATED, workdir, f"simulate-{radios}"
        )
        while status(port)["streaming_radios"] < radios:
            if not sim.alive():
                raise RuntimeError(f"the simulator exited: see {sim.log_path}")
            time.sleep(0.1)
        all_stored(port)
        joined_until, after = time.time(), documents_written(scrape(port))
        sim.popen.wait(timeout=SIMULATED + 120)
        started = json.loads(summary_path.read_text())["latency_ms"].get("radio_started", {})
    finally:
        process.stop()
        server.stop()
    join_documents = after - before - baseline * (joined_until - joined_from)
    return {
        "radios": radios,
        "baseline_documents_per_s": round(baseline, 1),
        "join_seconds": round(joined_until - joined_from, 2),
        "join_documents": round(join_documents),
        "documents_per_play_radio": round(join_documents / radios, 4),
        "radio_started_ms": started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--radios", type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        print(json.dumps(measure(args.radios, Path(workdir)), indent=2))


if __name__ == "__main__":
    main()
