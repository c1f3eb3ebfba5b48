"""The `yascheduler` command.

gevent must patch the standard library before anything imports socket,
ssl or threading, so the patch is the first statement of the entry point.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402

from yascheduler.support import logs  # noqa: E402
from . import commands as ops  # noqa: E402
from . import outbox_commands  # noqa: E402
from . import runner  # noqa: E402
from yascheduler.support import config  # noqa: E402
from yascheduler.tools import simulate  # noqa: E402
from yascheduler.support.errors import CatalogError, ConfigError, YaschedulerError  # noqa: E402

log = logging.getLogger("yascheduler")


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    return args.command(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yascheduler", description="Radio programming scheduler")
    commands = parser.add_subparsers(metavar="COMMAND")
    run_parser = commands.add_parser("run", help="run the scheduler service")
    config.add_arguments(run_parser)
    run_parser.set_defaults(command=run)
    catalog_parser = commands.add_parser("catalog", help="catalog tools")
    catalog_commands = catalog_parser.add_subparsers(metavar="ACTION", required=True)
    import_parser = catalog_commands.add_parser(
        "import", help="send a catalog file to a running scheduler (POST /api/catalog)"
    )
    import_parser.add_argument("file", help="catalog JSON file")
    import_parser.add_argument(
        "--url", required=True, help="the scheduler's HTTP address, http://HOST:PORT"
    )
    import_parser.add_argument(
        "--admin-token",
        default=os.environ.get("YASCHEDULER_ADMIN_TOKEN"),
        help="the scheduler's admin token (default: $YASCHEDULER_ADMIN_TOKEN)",
    )
    import_parser.set_defaults(command=import_catalog)
    simulate_parser = commands.add_parser(
        "simulate", help="simulated streamers against a scheduler, for load tests"
    )
    simulate.add_arguments(simulate_parser)
    simulate_parser.set_defaults(command=simulate.command)
    ops.add_commands(commands)
    outbox_commands.add_commands(commands)
    return parser


def run(args) -> int:
    """The start-up shared with gunicorn's worker is `runner`'s (see wsgi.py)."""
    try:
        settings = runner.resolve_settings(args)
    except ConfigError as error:
        print(f"yascheduler: {error}", file=sys.stderr)
        return 2
    runner.configure_logging(settings)
    try:
        running = runner.start(settings)
    except CatalogError as error:
        log.error("the catalog is broken: %s", error)
        return 2
    except YaschedulerError as error:
        log.error("%s", error)
        return 2
    try:
        install_signal_handlers(running.service)
        running.service.stopped.wait()
    finally:
        running.stop()
    return 1 if running.service.failure else 0


def configure_logging(level: str, log_format: str = "text") -> None:
    logs.configure(level, log_format)


def install_signal_handlers(service) -> None:
    """First SIGTERM/SIGINT: stop cleanly. A second one: exit at once."""
    signals_seen = []

    def on_signal(signum):
        signals_seen.append(signum)
        if len(signals_seen) > 1:
            os._exit(128 + signum)
        log.info("%s received: stopping", signal.Signals(signum).name)
        service.request_stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, on_signal, signum)


def import_catalog(args) -> int:
    import requests

    if not args.admin_token:
        print("yascheduler: --admin-token or YASCHEDULER_ADMIN_TOKEN is required", file=sys.stderr)
        return 2
    try:
        with open(args.file, "rb") as catalog_file:
            body = catalog_file.read()
    except OSError as error:
        print(f"yascheduler: cannot read {args.file}: {error.strerror}", file=sys.stderr)
        return 2
    try:
        response = requests.post(
            args.url.rstrip("/") + "/api/catalog",
            data=body,
            timeout=60,
            headers={
                "Authorization": "Bearer " + args.admin_token,
                "Content-Type": "application/json",
            },
        )
    except requests.RequestException as error:
        print(f"yascheduler: {args.url} unreachable: {error}", file=sys.stderr)
        return 1
    if response.status_code != 200:
        print(
            f"yascheduler: import rejected ({response.status_code}): {error_text(response)}",
            file=sys.stderr,
        )
        return 1
    result = response.json()
    print(
        f"imported: {len(result['radios'])} radios created or changed, "
        f"{len(result['deleted'])} deleted, {result['users']} users"
    )
    return 0


def error_text(response) -> str:
    try:
        return response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return response.text[:500]


if __name__ == "__main__":
    sys.exit(main())
