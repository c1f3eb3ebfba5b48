"""The in-memory store answers `_id` queries exactly as plain mongomock does, from the dict
it keeps, and leaves plain mongomock as it is."""

import mongomock
import pytest
from bson import ObjectId
from mongomock.collection import Collection
from pymongo import ReadPreference

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


def filled(client):
    collection = client.db.items
    collection.insert_many([dict(document) for document in DOCUMENTS])
    return collection


@pytest.fixture
def items():
    return filled(memory_store.MongoClient())


@pytest.fixture
def plain():
    return filled(mongomock.MongoClient())


@pytest.mark.parametrize("query", FILTERS, ids=repr)
def test_every_query_matches_what_plain_mongomock_matches(items, plain, query):
    assert list(items.find(query)) == list(plain.find(query))
    assert list(items._iter_documents(query)) == list(plain._iter_documents(query))


def test_writes_by_id_find_their_document(items):
    assert items.update_one({"_id": 7}, {"$inc": {"n": 10}}).matched_count == 1
    assert items.find_one({"_id": 7})["n"] == 12
    items.update_one({"_id": "new"}, {"$set": {"n": 1}}, upsert=True)
    items.update_one({"_id": "new"}, {"$set": {"n": 2}}, upsert=True)
    assert list(items.find({"_id": "new"})) == [{"_id": "new", "n": 2}]
    assert items.delete_one({"_id": OID}).deleted_count == 1
    assert items.count_documents({}) == len(DOCUMENTS)


def test_every_way_to_a_collection_gives_the_id_lookup():
    client = memory_store.MongoClient()
    database = client["db"]
    reached = [
        database.items,
        database["items"],
        database.get_collection("items"),
        client.get_database("db").items,
        database.items.with_options(read_preference=ReadPreference.SECONDARY),
        database.with_options(read_preference=ReadPreference.SECONDARY).items,
        database.create_collection("made"),
    ]
    assert all(type(collection) is memory_store.IdLookupCollection for collection in reached)


def test_plain_mongomock_is_left_as_it_is():
    memory_store.MongoClient().db.items.find_one({"_id": 1})
    assert type(mongomock.MongoClient().db.items) is Collection
    assert Collection._iter_documents.__module__ == "mongomock.collection"  # not ours
