"""What every repository shares: driver errors turned into StoreError, and stored
records that cannot be decoded logged and skipped (APScheduler's
MongoDBJobStore._get_jobs), so that one bad document never stops a start-up.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from mongoengine.connection import ConnectionFailure
from pymongo.errors import PyMongoError

from yascheduler.support.errors import StoreError

log = logging.getLogger("yascheduler.store")

T = TypeVar("T")
# documents a round trip when a start-up reads a whole collection: fewer getMores
# (nx-27017 copies the rest of the result at each), well within a reply's 16 MiB
READ_BATCH = 5000
# what the driver raises: pymongo's errors, and MongoEngine's when no connection is set up
DRIVER_ERRORS = (PyMongoError, ConnectionFailure)


class storing:
    """`with storing("saving radio %s's master", uuid):` a driver error inside the
    block raises StoreError("saving radio r1's master failed: ...").

    A class rather than a generator-based context manager: repositories use
    it on every write, and the message is only formatted when it fails.
    """

    __slots__ = ("what", "args")

    def __init__(self, what: str, *args):
        self.what = what
        self.args = args

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> bool:
        if error is not None and isinstance(error, DRIVER_ERRORS):
            what = self.what % self.args if self.args else self.what
            raise StoreError(f"{what} failed: {type(error).__name__}: {error}") from error
        return False


def decoded(
    records: Iterable[dict], decode: Callable[[dict], T], what: str, secret: bool = False
) -> Iterator[T]:
    """decode(record) for each stored record; one that cannot be decoded is logged
    (`what` names the collection's records; by its `_id` unless that is a `secret`)
    and skipped."""
    for record in records:
        try:
            yield decode(record)
        except Exception as error:  # whatever is wrong with it, the others still load
            shown = "" if secret else f" {record.get('_id')!r}"
            log.warning(
                "stored %s%s skipped: cannot decode it (%s: %s)",
                what,
                shown,
                type(error).__name__,
                error,
            )


def keyed(records: Iterable[dict], decode: Callable[[dict], T], what: str) -> dict:
    """{record's `_id`: decode(record)} for records whose `_id` is a text (radio uuids,
    names), those that cannot be decoded logged and skipped."""

    def decode_keyed(record: dict) -> tuple:
        key = record["_id"]
        if not isinstance(key, str):
            raise TypeError(f"its _id is a {type(key).__name__}, not a text")
        return key, decode(record)

    return dict(decoded(records, decode_keyed, what))


def of_wanted(records: Iterable[dict], wanted: Callable[[str], bool] | None) -> Iterable[dict]:
    """The records whose `_id` is `wanted` (all if None), left undecoded otherwise; one
    whose `_id` is no text is kept, for the decoder to log and skip."""
    if wanted is None:
        return records
    return (r for r in records if not isinstance(r.get("_id"), str) or wanted(r["_id"]))


def drop_indexes_on(collection, fields: Iterable[str]) -> list[str]:
    """Drop the single-field indexes on `fields` that older versions made: each one costs
    the store a write for every document written, and nothing reads by them any more.
    The names of those dropped."""
    unread = [[(field, 1)] for field in fields]
    dropped = []
    with storing("dropping the indexes on %s of %s", ", ".join(fields), collection.name):
        for name, info in collection.index_information().items():
            if [tuple(key) for key in info["key"]] in unread:
                collection.drop_index(name)
                dropped.append(name)
    return dropped
