"""The `yascheduler` command: its parser, and which function each subcommand runs.

gevent must patch the standard library before anything imports socket,
ssl or threading, so the patch is the first statement of the entry point.

A subcommand's module is imported only when that subcommand runs (see
`_runs`): importing the service, the store and the HTTP client took more than a
second of CPU, which `--help`, `config check` and each process the tests start
paid for nothing. So this module imports nothing but the settings' flags.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import importlib  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from yascheduler.support import config  # noqa: E402

URL_HELP = "the scheduler's HTTP address, http://HOST:PORT"
DEFAULT_URL = "http://127.0.0.1:9000"  # the `http` setting's default
TOKEN_HELP = "the scheduler's admin token (default: $YASCHEDULER_ADMIN_TOKEN)"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["simulate"]:  # it parses its own options (argparse's REMAINDER would not)
        return simulate(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        return _command(args.command)(args)
    except BrokenPipeError:  # `yascheduler status | head`: the reader had enough
        # what is still buffered goes nowhere, not into a second error at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="yascheduler", description="Radio programming scheduler")
    subcommands = parser.add_subparsers(metavar="COMMAND")
    run_parser = subcommands.add_parser("run", help="run the scheduler service")
    config.add_arguments(run_parser)
    _runs(run_parser, "runner.run")
    _catalog_commands(subcommands)
    # listed for --help; main() hands its arguments to the simulator
    subcommands.add_parser(
        "simulate",
        help="simulated streamers against a scheduler, for load tests (--help: its options)",
    )
    _operator_commands(subcommands)
    _outbox_commands(subcommands)
    _history_commands(subcommands)
    return parser


def _runs(parser: argparse.ArgumentParser, command: str) -> None:
    """`command`, "module.function" in yascheduler.app, runs when this parser's
    subcommand is given; its module is imported then, not to build the parser."""
    parser.set_defaults(command=command)


def _command(command: str):
    module, function = command.rsplit(".", 1)
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def simulate(arguments: list[str]) -> int:
    """The load simulator is loaded only when asked for."""
    from yascheduler.tools import simulate as simulator

    return simulator.main(arguments)


def _catalog_commands(subcommands) -> None:
    catalog_parser = subcommands.add_parser("catalog", help="catalog tools")
    actions = catalog_parser.add_subparsers(metavar="ACTION", required=True)
    import_parser = actions.add_parser(
        "import", help="send a catalog file to a running scheduler (POST /api/catalog)"
    )
    import_parser.add_argument("file", help="catalog JSON file")
    import_parser.add_argument("--url", required=True, help=URL_HELP)
    _admin_token(import_parser)
    _runs(import_parser, "api_commands.import_catalog")


def _operator_commands(subcommands) -> None:
    config_parser = subcommands.add_parser("config", help="configuration tools")
    actions = config_parser.add_subparsers(metavar="ACTION", required=True)
    check_parser = actions.add_parser(
        "check",
        help="validate a config file, and the catalog it names, as the service would read them "
        "(without flags or environment variables); exit status 2 if anything is wrong",
    )
    check_parser.add_argument("file", type=Path, help="TOML config file")
    _runs(check_parser, "config_commands.config_check")

    status_parser = subcommands.add_parser(
        "status", help="show a running scheduler's status (GET /api/status) as a table"
    )
    status_parser.add_argument("--url", required=True, help=URL_HELP)
    _runs(status_parser, "api_commands.status")

    preview_parser = subcommands.add_parser(
        "preview",
        help="what a radio will play, from a dry run of the engine on a copy of the radio "
        "(GET /api/radios/<uuid>/schedule); random choices are a prediction",
    )
    preview_parser.add_argument("--radio", required=True, help="the radio's uuid")
    preview_parser.add_argument(
        "--hours", type=int, default=24, help="hours to preview, 1 to 168 (default 24)"
    )
    preview_parser.add_argument(
        "--from",
        dest="start",
        metavar="ISO",
        help="from this ISO 8601 time (without an offset: the radio's local time; default now)",
    )
    preview_parser.add_argument(
        "--url", default=DEFAULT_URL, help=f"{URL_HELP} (default {DEFAULT_URL})"
    )
    _runs(preview_parser, "api_commands.preview")

    flush_parser = subcommands.add_parser(
        "flush",
        help="delete the scheduler's stored state (streamers, streams, listener sessions, "
        "radio timelines, web app outbox, pending song requests); users, radios and the play "
        "history are kept",
    )
    flush_parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    config.add_arguments(flush_parser, only=("config", "mongo_url", "data_dir"))
    _runs(flush_parser, "flush_command.flush")


def _outbox_commands(subcommands) -> None:
    outbox_parser = subcommands.add_parser(
        "outbox", help="parked web app notifications of a running scheduler"
    )
    actions = outbox_parser.add_subparsers(metavar="ACTION", required=True)
    list_parser = actions.add_parser(
        "list", help="list the parked notifications, oldest first (GET /api/outbox/parked)"
    )
    list_parser.add_argument("--url", required=True, help=URL_HELP)
    list_parser.add_argument("--radio", help="only those of this radio uuid")
    list_parser.add_argument("--page", type=int, default=1, help="page, from 1 (default 1)")
    list_parser.add_argument(
        "--per-page", type=int, default=50, help="notifications a page, 1 to 500 (default 50)"
    )
    _runs(list_parser, "outbox_commands.list_parked")
    for action, doc in (
        ("retry", "send parked notifications again, in seq order with those waiting"),
        ("discard", "delete parked notifications for good"),
    ):
        action_parser = actions.add_parser(action, help=f"{doc} (POST /api/outbox/parked/{action})")
        action_parser.add_argument("--url", required=True, help=URL_HELP)
        _admin_token(action_parser)
        which = action_parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--seq", type=int, action="append", help="the notification's seq (repeatable)"
        )
        which.add_argument("--radio", help="every parked notification of this radio uuid")
        which.add_argument("--all", action="store_true", help="every parked notification")
        action_parser.set_defaults(action=action)
        _runs(action_parser, "outbox_commands.act_on_parked")


def _history_commands(subcommands) -> None:
    history_parser = subcommands.add_parser("history", help="the play history")
    actions = history_parser.add_subparsers(metavar="ACTION", required=True)
    export_parser = actions.add_parser(
        "export",
        help="a radio's tracks started, oldest first, as CSV (started_at_utc, "
        "started_at_local, kind, song_id, artist, title, file, show, listeners), read from "
        "the store: the service may be stopped",
    )
    export_parser.add_argument("--radio", required=True, help="the radio's uuid")
    for name in ("since", "until"):
        export_parser.add_argument(
            f"--{name}",
            required=True,
            metavar="ISO",
            help=f"{name} this ISO 8601 time (without an offset: the radio's local time)",
        )
    export_parser.add_argument("--output", metavar="FILE", help="the CSV file (default: stdout)")
    config.add_arguments(export_parser, only=("config", "mongo_url", "data_dir", "timezone"))
    _runs(export_parser, "history_commands.export")


def _admin_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-token", default=os.environ.get("YASCHEDULER_ADMIN_TOKEN"), help=TOKEN_HELP
    )


if __name__ == "__main__":
    sys.exit(main())
