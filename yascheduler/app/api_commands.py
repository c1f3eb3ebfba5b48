"""Operator commands through a running scheduler's HTTP API: `status`, `preview`,
`catalog import` (the outbox's are in outbox_commands.py)."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from .service_client import admin_token_missing, call
from .table import table


# --- status -----------------------------------------------------------------------------


def status(args: argparse.Namespace) -> int:
    body = call(args.url, "GET", "/api/status")
    if body is None:
        return 1
    print(table(body if isinstance(body, dict) else {"status": body}))
    fleet = call(args.url, "GET", "/api/instances")
    if fleet is None:
        return 1
    print(f"\ninstances ({len(fleet['instances'])})")
    for instance in fleet["instances"]:
        print(instance_line(instance))
    return 0


def instance_line(instance: dict) -> str:
    """One instance of the fleet: id, alive, last heartbeat, what it holds, its load."""
    state = "alive" if instance["alive"] else "dead"
    if instance.get("this"):
        state += " (this one)"
    beat = datetime.fromtimestamp(instance["last_heartbeat_at"], UTC).strftime("%H:%M:%S")
    held = ", ".join(
        f"{instance.get(name, '-')} {name.replace('_', ' ')}"
        for name in ("shards", "radios", "streaming_radios", "listeners", "streamers")
    )
    http = instance.get("http") or "-"
    return f"  {instance['id']}  {state}, heartbeat {beat} UTC, http {http}: {held}"


# --- preview ----------------------------------------------------------------------------


def preview(args: argparse.Namespace) -> int:
    """What a radio will play (GET /api/radios/<uuid>/schedule), as a table."""
    params = {"hours": args.hours}
    if args.start:
        params["from"] = args.start
    answer = call(
        args.url, "GET", f"/api/radios/{quote(args.radio, safe='')}/schedule", params=params
    )
    if answer is None:
        return 1
    print(
        f"radio {answer['radio']} ({answer['name'] or 'no name'}), {answer['timezone']}: "
        f"{_when(answer['from_local'])} to {_when(answer['until_local'])}"
    )
    print(f"note: {answer['prediction']}")
    rows = [("time", "kind", "show", "what")]
    marks = []
    for item in answer["items"]:
        rows.append(_preview_row(item))
        marks.append([mark["text"] for mark in item["marks"]])
    widths = [max(len(row[n]) for row in rows) for n in range(3)]
    print("  ".join(cell.ljust(width) for cell, width in zip(rows[0], widths)), rows[0][3])
    for row, texts in zip(rows[1:], marks):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)), row[3])
        for text in texts:
            print(" " * (sum(widths) + 6), f"! {text}")
    for change in answer["clock_changes"]:
        print(f"clock change {_when(change['at_local'])}: {change['text']}")
    return 0


def _preview_row(item: dict) -> tuple[str, str, str, str]:
    show = item["show"]["name"] if item["show"] else "-"
    if item["kind"] == "dead air":
        what = "(silence)"
    else:
        named = " - ".join(part for part in (item["artist"], item["title"]) if part)
        what = f"{named} ({item['file']})" if named else item["file"]
    return _when(item["start_local"]), item["kind"], show, what


def _when(local_iso: str) -> str:
    """A local time to the second, with its UTC offset."""
    return f"{datetime.fromisoformat(local_iso):%Y-%m-%d %H:%M:%S %z}"


# --- catalog import -----------------------------------------------------------------------


def import_catalog(args: argparse.Namespace) -> int:
    """Send a catalog file to a running scheduler (POST /api/catalog)."""
    if admin_token_missing(args.admin_token):
        return 2
    try:
        body = Path(args.file).read_bytes()
    except OSError as error:
        print(f"yascheduler: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    result = call(
        args.url,
        "POST",
        "/api/catalog",
        admin_token=args.admin_token,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    if result is None:
        return 1
    print(
        f"imported: {len(result['radios'])} radios created or changed, "
        f"{len(result['deleted'])} deleted, {result['users']} users"
    )
    return 0
