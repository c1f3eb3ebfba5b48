"""The in-memory store: mongomock, with its documents found by `_id` in O(1).

mongomock keeps a collection's documents in a dict keyed by `_id`, but
answers every query, `{"_id": x}` included, by testing each document in
turn. The scheduler reads and writes its runtime documents by `_id` on
every event, so with thousands of radios each write cost a scan of them
all. This module gives mongomock the `_id` lookup MongoDB gets from its
`_id` index; answers are unchanged (tests/test_memory_store.py compares
them with plain mongomock's).
"""

import mongomock
from mongomock.collection import Collection

_scan_documents = Collection._iter_documents


def _is_exact_value(value) -> bool:
    """True for a filter value that means "equal to this" and hashes like its matches."""
    return (
        isinstance(value, str | int | bytes)
        and not isinstance(value, bool)
        or (type(value).__name__ == "ObjectId")
    )


def _iter_documents(self, filter):
    if filter and len(filter) == 1 and "_id" in filter and _is_exact_value(filter["_id"]):
        document = self._store._documents.get(filter["_id"])
        return iter(()) if document is None else iter((document,))
    return _scan_documents(self, filter)


def client_class() -> type:
    """mongomock's client, its collections answering `_id` queries from the dict they keep.

    mongomock builds its collections in several places (databases, with_options,
    renames), so the lookup is installed on its Collection class itself.
    """
    Collection._iter_documents = _iter_documents
    return mongomock.MongoClient
