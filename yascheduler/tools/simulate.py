"""`yascheduler simulate`: simulated streamers, for operators' load tests.

Each simulated streamer speaks like the C++ streamer: it registers, asks to
play its radios, answers `ping` with `pong`, follows `play`, registers,
authenticates and unregisters listeners, sends `test`, and on the way out
stops its radios and unregisters. All simulated streamers share one
publishing connection and one PSUBSCRIBE `yastream.*` connection whose
messages are handed to the streamer named by the channel; each keeps its
own state.

What it measures:
- replies by type, and errors (a reply that answers nothing asked, an
  unexpected `radio_exists`/`radio_unknown`, an undecodable message);
- reply latency: request to reply, matched by type and radio, `test` info
  or echoed credentials;
- `play` lateness: with `--catalog` (for song durations), a `play` is due
  `--prepare-seconds` before the previous track ends (minus crossfade);
  lateness = arrival - that instant. The previous track's start is its
  play's arrival + delay, so the figure also holds the difference of the
  two plays' transit times; plays that follow a join (delay 0) are not
  timed. A gap (silence) is a track that starts
  more than 0.1 s after the previous one ended. Without a catalog only the
  intervals between plays are reported;
- plays read once the run is over, while the streamers stop every radio
  at once, are counted (`teardown_plays`) and checked for duplicates, not
  timed: building 100,000 `stop_radio` keeps the reader waiting, so their
  arrivals are late here, not at the scheduler;
- duplicate plays: a `play` for a track whose start (arrival + delay -
  offset) is within 1 s of one already played on the radio (the same slot
  sent twice: by two instances, or by a stale one).
"""

import argparse
import json
import logging
import sys

import ujson

from .sim_streamer import GAP_SECONDS
from .simulation import Simulation


def add_arguments(parser) -> None:
    parser.add_argument(
        "--redis-url", required=True, help="the scheduler's Redis URL (redis+sentinel:// too)"
    )
    parser.add_argument("--streamers", type=int, default=1, help="simulated streamers")
    parser.add_argument(
        "--radios-per-streamer", type=int, default=1, help="radios each streamer plays"
    )
    parser.add_argument(
        "--listeners-per-radio",
        type=int,
        default=0,
        help="listeners kept on each radio (each renewed every --listener-period s)",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="seconds to run")
    parser.add_argument("--catalog", help="catalog JSON: radio uuids and song durations")
    parser.add_argument(
        "--radio-format",
        default="radio-{index}",
        help="radio uuids without --catalog (default radio-{index}, from 0)",
    )
    parser.add_argument("--name-prefix", default="sim", help="streamer names: PREFIX-N")
    parser.add_argument(
        "--prepare-seconds",
        type=float,
        default=5.0,
        help="the scheduler's prepare_seconds (when a play is due)",
    )
    parser.add_argument(
        "--listener-period",
        type=float,
        default=10.0,
        help="seconds a simulated listener stays before it is replaced",
    )
    parser.add_argument(
        "--test-interval",
        type=float,
        default=1.0,
        help="seconds between two `test` of a streamer (0: none)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        help="auth token for listeners (repeatable; default: anonymous)",
    )
    parser.add_argument("--json", help="also write the summary to this JSON file")
    parser.add_argument(
        "--plays",
        help="write every play to this file, a JSON line each: "
        "[arrival, radio, lateness s, gap s, duplicate]",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines")


def main(argv: list[str]) -> int:
    """`yascheduler simulate ARGUMENTS`: run a simulation; 1 if it saw an error."""
    parser = argparse.ArgumentParser(
        prog="yascheduler simulate",
        description="simulated streamers against a scheduler, for load tests",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args) -> int:
    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    catalog = load_catalog(args.catalog) if args.catalog else None
    radios = radio_uuids(catalog, args)
    if radios is None:
        print(
            f"simulate: the catalog has fewer than {args.streamers * args.radios_per_streamer}"
            " ready radios",
            file=sys.stderr,
        )
        return 2
    simulation = Simulation(args, radios, catalog)
    summary = simulation.run()
    print(format_summary(summary))
    if args.json:
        with open(args.json, "w") as output:
            json.dump(summary, output, indent=2)
    return 0 if summary["errors"]["total"] == 0 else 1


def load_catalog(path: str) -> dict:
    """{"radios": [uuids of ready radios], "durations": {filename: seconds}}."""
    with open(path, "rb") as catalog_file:
        raw = ujson.loads(catalog_file.read())
    radios, durations = [], {}
    for radio in raw.get("radios", []):
        if radio.get("ready", True) and not radio.get("deleted", False):
            radios.append(radio["uuid"])
        for playlist in radio.get("playlists", []):
            for song in playlist.get("songs", []):
                durations[song["filename"]] = float(song["duration"])
        for jingle in radio.get("jingles", []):
            durations[jingle["filename"]] = float(jingle["duration"])
    return {"radios": radios, "durations": durations}


def radio_uuids(catalog: dict | None, args) -> list[str] | None:
    wanted = args.streamers * args.radios_per_streamer
    if catalog is None:
        return [args.radio_format.format(index=i) for i in range(wanted)]
    if len(catalog["radios"]) < wanted:
        return None
    return catalog["radios"][:wanted]


def format_summary(summary: dict) -> str:
    lines = [
        f"simulated {summary['streamers']} streamers, "
        f"{summary['radios_started']}/{summary['radios']} radios started, "
        f"for {summary['duration_s']}s",
        "",
        f"{'reply':<22}{'count':>9}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}",
    ]
    for kind, count in sorted(summary["replies"].items(), key=lambda kv: str(kv[0])):
        lat = summary["latency_ms"].get(kind) or {}
        lines.append(
            f"{kind!s:<22}{count:>9}{_cell(lat.get('p50')):>10}{_cell(lat.get('p99')):>10}"
            f"{_cell(lat.get('max')):>10}"
        )
    lines.append("")
    lateness = summary["play_lateness_ms"]
    if lateness is not None:
        lines.append(
            f"play lateness (ms): n={lateness['count']} p50={_cell(lateness['p50'])} "
            f"p99={_cell(lateness['p99'])} max={_cell(lateness['max'])}"
        )
    else:
        interval = summary["play_interval_s"]
        lines.append(
            f"play intervals (s, no --catalog): n={interval['count']} p50={_cell(interval['p50'])} "
            f"p99={_cell(interval['p99'])} max={_cell(interval['max'])}"
        )
    lines.append(f"gaps (silence > {GAP_SECONDS}s): {summary['gaps']['count']}")
    lines.append(f"duplicate plays (a slot played twice): {summary['duplicate_plays']}")
    errors = summary["errors"]
    detail = ", ".join(f"{k} {v}" for k, v in errors.items() if k != "total")
    lines.append(f"errors: {errors['total']}" + (f" ({detail})" if detail else ""))
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None else f"{value:g}"
