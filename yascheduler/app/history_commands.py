"""`yascheduler history export`: a radio's play history as CSV, the report a station
sends its rights societies. It reads the store itself (the embedded store of data_dir
when no mongo_url is set, as `yascheduler flush` does), so the service may be stopped.

Imported by the console entry point (cli.py) when the command runs, after the gevent patch.
"""

import argparse
import sys
from contextlib import nullcontext
from datetime import datetime

from yascheduler.store.plays import StoredPlays
from yascheduler.store.radios import StoredRadios
from yascheduler.support import config
from yascheduler.support.errors import ConfigError, ParameterError
from yascheduler.support.redact import redact

from .play_history import PlayHistoryReader
from .runner import store_failed, store_of


def export(args: argparse.Namespace) -> int:
    try:
        settings = config.resolve(args)
        since, until = _time(args.since, "since"), _time(args.until, "until")
    except (ConfigError, ParameterError) as error:
        print(f"yascheduler: {error}", file=sys.stderr)
        return 2
    try:
        with store_of(settings), _output(args.output) as out:
            reader = PlayHistoryReader(StoredPlays(), StoredRadios(), settings.timezone)
            count = reader.export(args.radio, since, until, out)
    except ParameterError as error:
        print(f"yascheduler: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"yascheduler: cannot write {args.output}: {error.strerror}", file=sys.stderr)
        return 1
    except Exception as error:  # ours, or the driver's own
        return store_failed(error, redact(settings.mongo_url or ""))
    if count is None:
        print(f"yascheduler: unknown radio {args.radio}", file=sys.stderr)
        return 1
    if args.output:
        print(f"{count} tracks of radio {args.radio} written to {args.output}", file=sys.stderr)
    return 0


def _time(text: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ParameterError(name, f"not an ISO 8601 time: {text!r}") from None


def _output(path: str | None):
    if not path:
        return nullcontext(sys.stdout)
    return open(path, "w", encoding="utf-8", newline="")
