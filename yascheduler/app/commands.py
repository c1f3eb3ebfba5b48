"""Operator commands: `config check`, `status`, `preview`, `flush`, `catalog import`.

Imported by the console entry point (cli.py), after the gevent patch.
"""

import argparse
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from yascheduler.catalog import importer as catalog
from yascheduler.store import connection as store
from yascheduler.store.catalog import StoredCatalog
from yascheduler.support import config

from .repositories import Repositories
from yascheduler.support.errors import CatalogError, ConfigError, YaschedulerError
from yascheduler.support.redact import redact

from .runner import is_in_memory, store_of
from .service_client import admin_token_missing, call

# An in-memory store of our own, to validate a catalog without writing anywhere.
CHECK_STORE_URL = "mongomock://localhost/configcheck"
FLUSH_WORD = "flush"


# --- config check ------------------------------------------------------------------


def config_check(args: argparse.Namespace) -> int:
    settings, problems = config.check_config_file(args.file)
    catalog_summary = None
    if settings is not None and settings.catalog is not None:
        catalog_summary, problem = check_catalog(settings.catalog)
        if problem:
            problems.append(problem)
    if problems:
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        print(f"{args.file}: {count}", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    print(f"{args.file}: ok")
    print(table(config.describe(settings), indent="  "))
    if catalog_summary:
        print(catalog_summary)
    return 0


def check_catalog(path: Path) -> tuple[str | None, str | None]:
    """(summary, None) if the catalog file would load, else (None, the problem)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return None, f"catalog: cannot read {path}: {error.strerror}"
    # The whole import runs, into a private in-memory store: the rules that
    # need the stored state (users, playlists) are checked too, nothing is written.
    logging.disable(logging.WARNING)  # the in-memory store announces itself
    try:
        store.connect(CHECK_STORE_URL)
        change = catalog.import_catalog(data, StoredCatalog())
    except CatalogError as error:
        return None, f"catalog: {path}: {error}"
    finally:
        store.disconnect()
        logging.disable(logging.NOTSET)
    ready = sum(1 for radio in change.stored_radios if radio.get("ready", True))
    return f"catalog {path}: ok ({ready} radios ready, {change.users} users)", None


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


def table(values: dict, indent: str = "") -> str:
    """Two columns, names then values; a nested object's keys as name.key."""
    rows = list(_rows(values, ""))
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{indent}{name.ljust(width)}  {shown}" for name, shown in rows)


def _rows(values: dict, prefix: str):
    for name, value in values.items():
        if isinstance(value, dict) and value:
            yield from _rows(value, f"{prefix}{name}.")
        else:
            yield prefix + str(name), _shown(value)


def _shown(value) -> str:
    if value is None or value == {}:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(_shown(item) for item in value) or "-"
    return str(value)


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


# --- flush ------------------------------------------------------------------------------


def flush(args: argparse.Namespace) -> int:
    try:
        settings = config.resolve(args)
    except ConfigError as error:
        print(f"yascheduler: {error}", file=sys.stderr)
        return 2
    if is_in_memory(settings.mongo_url):
        print(
            f"yascheduler: the store is in memory ({redact(settings.mongo_url)}): its state "
            "lives in the running scheduler and goes when it stops; there is nothing to flush",
            file=sys.stderr,
        )
        return 2
    shown_url = (
        redact(settings.mongo_url)
        if settings.mongo_url
        else f"the embedded store of {settings.data_dir.expanduser().resolve()}"
    )
    if not args.yes and not confirmed(shown_url):
        return 1
    try:
        with store_of(settings):  # the data directory's, if no URL
            deleted = Repositories().clear_state()
    except YaschedulerError as error:
        print(f"yascheduler: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # the driver's own: server unreachable, auth...
        print(f"yascheduler: {shown_url}: {error}", file=sys.stderr)
        return 1
    counts = ", ".join(f"{count} {name}" for name, count in deleted.items())
    print(f"flushed {shown_url}: {counts}; users and radios kept, and the play history")
    return 0


def confirmed(shown_url: str) -> bool:
    if not sys.stdin.isatty():
        print(
            "yascheduler: not flushing: confirmation needs a terminal; pass --yes",
            file=sys.stderr,
        )
        return False
    print(
        f"This deletes the scheduler state stored in {shown_url}: streamers, radio streams, "
        "listener sessions, radio timelines, counters, the web app's token answers and the web app "
        "outbox (undelivered notifications are lost) and pending song requests. Users, radios and "
        "the play history are kept.\n"
        "Stop the scheduler first: a running one writes its state back."
    )
    try:
        answer = input(f"Type {FLUSH_WORD!r} to confirm: ")
    except EOFError:
        answer = ""
    if answer.strip() != FLUSH_WORD:
        print("not confirmed: nothing deleted", file=sys.stderr)
        return False
    return True


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
