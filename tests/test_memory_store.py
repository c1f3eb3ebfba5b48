"""The in-memory store answers `_id` queries exactly as plain mongomock's scan does."""

import pytest
from bson import ObjectId

from yascheduler.store import memory as memory_store

OID = ObjectId()
DOCUMENTS = [
    {"_id": "radio-1", "n": 1},
    {"_id": 7, "n": 2},
    {"_id": 8.0, "n": 3},
    {"_id": OID, "n": 4},
    {"_id": True, "n": 5},
    {"_id": {"a": 1}, "n": 6},
]
FILTERS = [
    {"_id": "radio-1"},
    {"_id": "absent"},
    {"_id": 7},
    {"_id": 7.0},
    {"_id": 8},
    {"_id": OID},
    {"_id": ObjectId()},
    {"_id": True},
    {"_id": 1},
    {"_id": {"a": 1}},
    {"_id": b"x"},
    {"_id": {"$in": ["radio-1", 7]}},
    {"_id": "radio-1", "n": 2},
    {"n": 4},
    {},
]


@pytest.fixture
def items():
    collection = memory_store.client_class()().db.items
    collection.insert_many([dict(document) for document in DOCUMENTS])
    return collection


@pytest.mark.parametrize("query", FILTERS, ids=repr)
def test_every_query_matches_what_the_scan_matches(items, query):
    scanned = list(memory_store._scan_documents(items, query))
    assert list(items._iter_documents(query)) == scanned


def test_writes_by_id_find_their_document(items):
    assert items.update_one({"_id": 7}, {"$inc": {"n": 10}}).matched_count == 1
    assert items.find_one({"_id": 7})["n"] == 12
    items.update_one({"_id": "new"}, {"$set": {"n": 0}}, upsert=True)
    items.update_one({"_id": "new"}, {"$set": {"n": 1}}, upsert=True)
    assert list(items.find({"_id": "new"})) == [{"_id": "new", "n": 1}]
    assert items.delete_one({"_id": OID}).deleted_count == 1
    assert items.count_documents({}) == len(DOCUMENTS)
