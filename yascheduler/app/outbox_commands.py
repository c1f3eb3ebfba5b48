"""`yascheduler outbox list|retry|discard`: parked web app notifications of a running
scheduler, through its HTTP API.

Imported by the console entry point (cli.py), after the gevent patch.
"""

import argparse
import os
import sys
from datetime import UTC, datetime

TIMEOUT = 30
ANSWER_SHOWN = 60  # characters of the web app's answer on a listed line


def add_commands(commands) -> None:
    outbox_parser = commands.add_parser(
        "outbox", help="parked web app notifications of a running scheduler"
    )
    actions = outbox_parser.add_subparsers(metavar="ACTION", required=True)
    list_parser = actions.add_parser(
        "list", help="list the parked notifications, oldest first (GET /api/outbox/parked)"
    )
    _add_url(list_parser)
    list_parser.add_argument("--radio", help="only those of this radio uuid")
    list_parser.add_argument("--page", type=int, default=1, help="page, from 1 (default 1)")
    list_parser.add_argument(
        "--per-page", type=int, default=50, help="notifications a page, 1 to 500 (default 50)"
    )
    list_parser.set_defaults(command=list_parked)
    for action, doc in (
        ("retry", "send parked notifications again, in seq order with those waiting"),
        ("discard", "delete parked notifications for good"),
    ):
        action_parser = actions.add_parser(action, help=f"{doc} (POST /api/outbox/parked/{action})")
        _add_url(action_parser)
        action_parser.add_argument(
            "--admin-token",
            default=os.environ.get("YASCHEDULER_ADMIN_TOKEN"),
            help="the scheduler's admin token (default: $YASCHEDULER_ADMIN_TOKEN)",
        )
        which = action_parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--seq", type=int, action="append", help="the notification's seq (repeatable)"
        )
        which.add_argument("--radio", help="every parked notification of this radio uuid")
        which.add_argument("--all", action="store_true", help="every parked notification")
        action_parser.set_defaults(command=act_on_parked, action=action)


def _add_url(parser) -> None:
    parser.add_argument(
        "--url", required=True, help="the scheduler's HTTP address, http://HOST:PORT"
    )


def list_parked(args: argparse.Namespace) -> int:
    params = {"page": args.page, "per_page": args.per_page}
    if args.radio:
        params["radio"] = args.radio
    answer = _request(args.url, "GET", "/api/outbox/parked", params=params)
    if answer is None:
        return 1
    if not answer["total"]:
        print("no parked notification" + (f" of radio {args.radio}" if args.radio else ""))
        return 0
    pages = -(-answer["total"] // answer["per_page"])
    print(f"{answer['total']} parked, page {answer['page']} of {pages}")
    rows = [("seq", "kind", "radio", "status", "parked at (UTC)", "attempts", "answer")]
    rows += [_row(item) for item in answer["items"]]
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)), row[-1])
    return 0


def _row(item: dict) -> tuple[str, ...]:
    parked_at = datetime.fromtimestamp(item["parked_at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
    answer = " ".join(str(item["answer"] or "").split())[:ANSWER_SHOWN]
    return (
        str(item["seq"]),
        item["kind"],
        item["radio_uuid"],
        str(item["status"]),
        parked_at,
        str(item["attempts"]),
        answer,
    )


def act_on_parked(args: argparse.Namespace) -> int:
    if not args.admin_token:
        print("yascheduler: --admin-token or YASCHEDULER_ADMIN_TOKEN is required", file=sys.stderr)
        return 2
    if args.seq:
        selection = {"seqs": args.seq}
    elif args.radio:
        selection = {"radio": args.radio}
    else:
        selection = {"all": True}
    answer = _request(
        args.url,
        "POST",
        f"/api/outbox/parked/{args.action}",
        json=selection,
        headers={"Authorization": "Bearer " + args.admin_token},
    )
    if answer is None:
        return 1
    done = "retried" if args.action == "retry" else "discarded"
    seqs = answer[done]
    if not seqs:
        print(f"no parked notification matched: nothing {done}")
    else:
        shown = ", ".join(map(str, seqs))
        print(f"{done} {len(seqs)} parked notifications: seqs {shown}")
    print(f"{answer['outbox_parked']} still parked")
    return 0


def _request(url: str, method: str, path: str, **kwargs) -> dict | None:
    """The scheduler's JSON answer; None (the reason printed) if it gave none or refused."""
    import requests

    from .cli import error_text

    try:
        response = requests.request(method, url.rstrip("/") + path, timeout=TIMEOUT, **kwargs)
    except requests.RequestException as error:
        print(f"yascheduler: {url} unreachable: {error}", file=sys.stderr)
        return None
    if response.status_code != 200:
        print(
            f"yascheduler: {path} refused ({response.status_code}): {error_text(response)}",
            file=sys.stderr,
        )
        return None
    try:
        return response.json()
    except ValueError:
        print(f"yascheduler: {path} did not answer JSON: {response.text[:200]!r}", file=sys.stderr)
        return None
