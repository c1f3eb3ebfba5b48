"""`yascheduler outbox list|retry|discard`: parked web app notifications of a running
scheduler, through its HTTP API."""

import argparse
from datetime import UTC, datetime

from .service_client import admin_token_missing, call

ANSWER_SHOWN = 60  # characters of the web app's answer on a listed line


def list_parked(args: argparse.Namespace) -> int:
    params = {"page": args.page, "per_page": args.per_page}
    if args.radio:
        params["radio"] = args.radio
    answer = call(args.url, "GET", "/api/outbox/parked", params=params)
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
    if admin_token_missing(args.admin_token):
        return 2
    if args.seq:
        selection = {"seqs": args.seq}
    elif args.radio:
        selection = {"radio": args.radio}
    else:
        selection = {"all": True}
    answer = call(
        args.url,
        "POST",
        f"/api/outbox/parked/{args.action}",
        admin_token=args.admin_token,
        json=selection,
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
