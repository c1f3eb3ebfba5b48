"""Run the benchmarks: `python bench/run.py [--quick] --json FILE`.

Each scenario runs the service as a real process (`yascheduler run`)
against a redis-server of its own, with the load from other processes.
Figures go to FILE as {scenario: {figure: {"value": v, "unit": u}}}, the
chart to bench/results/chart.png, the top of each py-spy profile to
the file named like FILE with .profiles.txt, and a markdown table to stdout.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    RESULTS,
    ROOT,
    figure,
    log,
)

from capacity import scenario_capacity  # noqa: E402
from profiling import PROFILES  # noqa: E402
from report import chart, markdown  # noqa: E402
from scenario_failover import scenario_failover  # noqa: E402
from scenario_instances import scenario_instances  # noqa: E402
from scenario_listeners import scenario_listeners  # noqa: E402
from scenario_messages import scenario_messages  # noqa: E402
from scenario_programming import scenario_programming  # noqa: E402


def song_seconds(text: str) -> tuple[float, float]:
    shortest, longest = (float(value) for value in text.split(","))
    if not 0 < shortest <= longest:
        raise argparse.ArgumentTypeError(
            f"{text}: want SHORTEST,LONGEST with 0 < SHORTEST <= LONGEST"
        )
    return shortest, longest


def sized_options(args) -> dict:
    """The programming and instances scenarios' options: their sizes, their songs."""
    options = {"sizes": args.radios} if args.radios else {}
    if args.song_seconds:
        options["song_seconds"] = args.song_seconds
    return options


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and short steps (< 2 min)"
    )
    parser.add_argument("--json", required=True, help="where to write the figures")
    parser.add_argument(
        "--only",
        action="append",
        choices=["messages", "listeners", "programming", "failover", "instances", "capacity"],
        help="run only this scenario (repeatable)",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other scenarios' figures already in the JSON file",
    )
    parser.add_argument(
        "--radios",
        type=lambda text: [int(size) for size in text.split(",")],
        help="programming, instances: only these sizes, e.g. 1000,20000 (in programming, "
        "another than 1000, 10000 or 100000 runs as long as 100000)",
    )
    parser.add_argument(
        "--song-seconds",
        type=song_seconds,
        help="programming, instances: the songs' shortest and longest durations, e.g. 180,300 "
        "(a real catalog's; default 20,40: tracks 6-8 times as often)",
    )
    parser.add_argument("--chart", default=str(RESULTS / "chart.png"))
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="yasbench-"))
    log(f"work files in {workdir}")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    previous = (
        json.loads(Path(args.json).read_text()) if args.merge and Path(args.json).exists() else {}
    )
    results = {
        **previous,
        "machine": {
            "cpus": figure(os.cpu_count(), "cores"),
            "python": figure(platform.python_version(), ""),
            "commit": figure(commit + "+dirty", ""),
            "date": figure(time.strftime("%Y-%m-%dT%H:%M:%S"), "local time"),
        },
    }
    scenarios = {
        "messages": scenario_messages,
        "listeners": scenario_listeners,
        "programming": scenario_programming,
        "failover": scenario_failover,
        "instances": scenario_instances,
        "capacity": scenario_capacity,
    }
    for name, run in scenarios.items():
        if args.only and name not in args.only:
            continue
        began = time.time()
        try:
            options = sized_options(args) if name in ("programming", "instances") else {}
            results[name] = run(args.quick, workdir, **options)
        except Exception as error:  # one broken scenario must not lose the others' figures
            log(f"{name} failed: {error!r}")
            results[name] = {"failed": figure(repr(error), "")}
        results[name]["scenario_time"] = figure(time.time() - began, "s")
        Path(args.json).write_text(json.dumps(results, indent=1))
    chart(results, Path(args.chart))
    profiles = "\n\n".join(f"## {name}\n{text}" for name, text in PROFILES.items())
    profile_path = Path(args.json).with_suffix(".profiles.txt")
    if args.merge and profile_path.exists():
        profiles = profile_path.read_text().rstrip("\n") + "\n\n" + profiles
    profile_path.write_text(profiles + "\n")
    print(markdown(results))
    print()
    print(profiles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
