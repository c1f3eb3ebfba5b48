"""The in-memory store: mongomock, with its documents found by `_id` in O(1).

mongomock keeps a collection's documents in a dict keyed by `_id`, but
answers every query, `{"_id": x}` included, by testing each document in
turn. The scheduler reads and writes its runtime documents by `_id` on
every event, so with thousands of radios each write cost a scan of them
all. This client's collections get the `_id` lookup MongoDB gets from its
`_id` index; answers are unchanged (tests/test_memory_store.py compares
them with plain mongomock's), and mongomock itself is left as it is for
everyone else in the process.

Their `bulk_write` runs each operation as its own call: mongomock's builds
the operations through pymongo's, whose newer arguments it does not know.
"""

import mongomock
from mongomock.collection import Collection
from mongomock.database import Database
from pymongo import DeleteOne, InsertOne, ReplaceOne, UpdateOne
from pymongo.errors import BulkWriteError, WriteError


def _is_exact_value(value) -> bool:
    """True for a filter value that means "equal to this" and hashes like its matches."""
    return (
        isinstance(value, str | int | bytes)
        and not isinstance(value, bool)
        or (type(value).__name__ == "ObjectId")
    )


class IdLookupCollection(Collection):
    def _iter_documents(self, filter):
        if filter and len(filter) == 1 and "_id" in filter and _is_exact_value(filter["_id"]):
            document = self._store._documents.get(filter["_id"])
            return iter(()) if document is None else iter((document,))
        return super()._iter_documents(filter)

    def with_options(self, *args, **kwargs):
        return _as(IdLookupCollection, super().with_options(*args, **kwargs))

    def bulk_write(self, requests, ordered=True, **kwargs):
        """Each operation in turn; the ones that fail reported as the server would (a
        BulkWriteError's writeErrors, by index), an ordered write stopping at the first.
        Only what the repositories send: InsertOne, ReplaceOne, UpdateOne, DeleteOne."""
        errors = []
        for index, request in enumerate(requests):
            try:
                self._run(request)
            except WriteError as error:
                errors.append({"index": index, "code": error.code, "errmsg": str(error)})
                if ordered:
                    break
        if errors:
            raise BulkWriteError({"writeErrors": errors, "writeConcernErrors": []})

    def _run(self, request) -> None:
        # pymongo's operations keep what they were given in these attributes
        if isinstance(request, InsertOne):
            self.insert_one(request._doc)
        elif isinstance(request, ReplaceOne):
            self.replace_one(request._filter, request._doc, upsert=request._upsert)
        elif isinstance(request, UpdateOne):
            self.update_one(request._filter, request._doc, upsert=request._upsert)
        elif isinstance(request, DeleteOne):
            self.delete_one(request._filter)
        else:
            raise TypeError(f"the in-memory store does not run {type(request).__name__}")


class IdLookupDatabase(Database):
    def get_collection(self, *args, **kwargs):
        return _as(IdLookupCollection, super().get_collection(*args, **kwargs))

    def with_options(self, *args, **kwargs):
        return _as(IdLookupDatabase, super().with_options(*args, **kwargs))


class MongoClient(mongomock.MongoClient):
    """mongomock's client, its collections answering `_id` queries from their dict."""

    def get_database(self, *args, **kwargs):
        return _as(IdLookupDatabase, super().get_database(*args, **kwargs))


def _as(subclass: type, made):
    """`made`, built by mongomock as its own base class, as our subclass of it.

    mongomock builds databases and collections by naming its classes inside
    its methods (get_database, get_collection, with_options), so ours are
    obtained by changing the class of what they return: the subclasses add
    methods only, no state, so the object is the same underneath.
    """
    if type(made) is not subclass:
        made.__class__ = subclass
    return made
