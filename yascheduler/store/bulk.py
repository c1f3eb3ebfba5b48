"""Writing a repository's changes in bulk, and what became of each.

`write` sends them `CHUNK` at a time (`bulk_write`, unordered unless the
repository needs its order kept) and sorts the outcome: written, to retry
(the store did not answer, or answered that it cannot write now: the
outcome of a chunk is then unknown, and writing it again is harmless, every
operation being idempotent), or refused for good (the store will never take
it: logged by the writer, with what it was, and dropped).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from bson.errors import BSONError
from mongoengine.connection import ConnectionFailure as NotConnected
from pymongo.errors import BulkWriteError, ConnectionFailure, OperationFailure, PyMongoError

from .changes import DELETE, Change, operation

CHUNK = 1000
# Server answers that mean "not now": no primary (an election), shutting down,
# interrupted, a network error on the server's side. pymongo's AutoReconnect,
# NotPrimaryError, NetworkTimeout and ServerSelectionTimeoutError are all
# ConnectionFailure; MongoEngine's own ConnectionFailure means no connection is set up.
RETRYABLE_CODES = frozenset({6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436})


def retryable(error: BaseException) -> bool:
    """True for an error after which the same write may well succeed."""
    if isinstance(error, ConnectionFailure | NotConnected):
        return True
    return isinstance(error, OperationFailure) and error.code in RETRYABLE_CODES


def is_store_error(error: BaseException) -> bool:
    """True for what the driver raises (anything else is a bug of ours)."""
    return isinstance(error, PyMongoError | BSONError | NotConnected)


@dataclass
class Outcome:
    written: dict = field(default_factory=dict)
    retry: dict = field(default_factory=dict)
    refused: list[tuple[object, str]] = field(default_factory=list)  # (key, why)
    error: BaseException | None = None  # what made the writes to retry fail


def write(repository, changes: dict, chunk: int = CHUNK, landed=None, first=None) -> Outcome:
    """Write `changes` ({_id: Change}) to the repository's collection; `landed(part)` is
    told, each time the store answered a chunk, of its changes written or refused for
    good ({_id: Change}), if given. `first()`, if given and the repository's order does
    not matter, gives a set of keys to write before the others (emptied as they are),
    asked before each chunk."""
    outcome = Outcome()
    items = sorted(changes.items()) if repository.ordered else list(changes.items())
    chunks = Chunks(items, chunk, None if repository.ordered else first)
    for part in chunks:
        try:
            _write_chunk(repository, part, outcome)
        except Exception as error:
            if not is_store_error(error):
                raise
            if retryable(error):
                outcome.error = error
                for key, _ in part:  # its deletes may have gone: all of it again
                    outcome.written.pop(key, None)
                outcome.retry.update(part)
                outcome.retry.update(chunks.rest())
                break
            _write_one_by_one(repository, part, outcome)
        if landed is not None:
            landed({key: change for key, change in part if key not in outcome.retry})
    return outcome


class Chunks:
    """The changes `size` at a time, in their order, those `first()` names ahead of the
    rest (a set, emptied as they are given): a chunk is made when it is asked for."""

    def __init__(self, items: list, size: int, first=None):
        self._waiting = dict(items)
        self._order = iter(items)
        self._size = size
        self._first = first

    def __iter__(self):
        while self._waiting:
            yield self._next()

    def _next(self) -> list:
        part = []
        first = self._first() if self._first is not None else set()
        for key in list(first):
            first.discard(key)  # given now, or given already
            if key in self._waiting:
                part.append((key, self._waiting.pop(key)))
                if len(part) == self._size:
                    return part
        for key, _ in self._order:  # the order's keys given first are skipped
            if key in self._waiting:
                part.append((key, self._waiting.pop(key)))
                if len(part) == self._size:
                    break
        return part

    def rest(self) -> dict:
        """What was not given yet; given no more."""
        rest, self._waiting = self._waiting, {}
        return rest


def _write_chunk(repository, part: list[tuple[object, Change]], outcome: Outcome) -> None:
    """The chunk's plain deletes in one `delete_many` (a quarter of the cost of as many
    DeleteOne on nx-27017: the outbox deletes an item per notification delivered), the
    rest in one `bulk_write`. Each key has one change: their order does not matter."""
    deletes, others = [], []
    for key, change in part:
        plain_delete = change.kind == DELETE and change.epoch is None
        (deletes if plain_delete else others).append((key, change))
    if deletes:
        repository.collection().delete_many({"_id": {"$in": [key for key, _ in deletes]}})
        outcome.written.update(deletes)
    if not others:
        return
    operations = [operation(key, change) for key, change in others]
    try:
        repository.collection().bulk_write(operations, ordered=repository.ordered)
    except BulkWriteError as error:
        _sort_bulk_failure(others, error, outcome, repository.ordered)
        return
    outcome.written.update(others)


def _sort_bulk_failure(part, error: BulkWriteError, outcome: Outcome, ordered: bool) -> None:
    """The store answered for each operation: some written, some not."""
    failures = {failure["index"]: failure for failure in error.details.get("writeErrors", [])}
    stopped_at = min(failures) if ordered and failures else len(part)
    written = {}
    for index, (key, change) in enumerate(part):
        failure = failures.get(index)
        if failure is None and index < stopped_at:
            written[key] = change
        elif failure is not None and failure.get("code") not in RETRYABLE_CODES:
            outcome.refused.append((key, f"code {failure.get('code')}: {failure.get('errmsg')}"))
        else:
            outcome.retry[key] = change  # not tried (ordered), or "not now"
            outcome.error = outcome.error or error
    if error.details.get("writeConcernErrors"):  # written, but not as durably as asked
        outcome.retry.update(written)
        outcome.error = error
    else:
        outcome.written.update(written)


def _write_one_by_one(repository, part, outcome: Outcome) -> None:
    """A chunk refused as a whole (a document the driver cannot encode): each alone, so
    that only the bad ones are dropped."""
    for key, change, error in _each_alone(repository, part):
        if error is None:
            outcome.written[key] = change
        elif retryable(error):
            outcome.retry[key] = change
            outcome.error = error
        else:
            outcome.refused.append((key, f"{type(error).__name__}: {error}"))


def _each_alone(repository, part) -> Iterator[tuple[object, Change, BaseException | None]]:
    for key, change in part:
        try:
            repository.collection().bulk_write([operation(key, change)])
        except Exception as error:
            if not is_store_error(error):
                raise
            yield key, change, error
        else:
            yield key, change, None
