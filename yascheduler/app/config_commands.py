"""`yascheduler config check`: a config file, and the catalog it names, validated as
the service would read them.

The catalog's check runs the whole import into an in-memory store; its modules
(the importer, MongoEngine) are imported only when a config names a catalog, so
that checking a config without one starts as fast as `--help`.
"""

import argparse
import logging
import sys
from pathlib import Path

from yascheduler.support import config
from yascheduler.support.errors import CatalogError

from .table import table

# An in-memory store of our own, to validate a catalog without writing anywhere.
CHECK_STORE_URL = "mongomock://localhost/configcheck"


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
    # deferred: the importer and the store cost more to import than all the rest
    # of the command, and a config without a catalog does not need them
    from yascheduler.catalog import importer as catalog
    from yascheduler.store import connection as store
    from yascheduler.store.catalog import StoredCatalog

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
