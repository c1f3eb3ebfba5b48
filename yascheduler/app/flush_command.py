"""`yascheduler flush`: delete the scheduler's stored state, users, radios and the
play history kept. It opens the store itself (as `history export` does)."""

import argparse
import sys

from yascheduler.support.redact import redact

from .repositories import Repositories
from .runner import is_in_memory, settings_of, store_failed, store_of

FLUSH_WORD = "flush"


def flush(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    if settings is None:
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
    except Exception as error:  # ours, or the driver's own
        return store_failed(error, shown_url)
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
