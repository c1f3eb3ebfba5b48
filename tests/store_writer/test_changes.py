"""Two changes of one document merge into the one that does what both do: what the
writer writes once for a document changed many times between two writes."""

import pytest
from pymongo import InsertOne

from yascheduler.store.changes import DELETE, INSERT, REPLACE, SET, Change, merged, operation


def change(kind, fields=None, at=1.0, upsert=False):
    return Change(kind, fields, at, upsert)


def test_a_set_then_a_set_is_one_set_the_newer_values_winning():
    older = change(SET, {"a": 1, "b": 2}, at=1.0)
    newer = change(SET, {"b": 3, "c": 4}, at=2.0, upsert=True)
    assert merged(older, newer) == Change(SET, {"a": 1, "b": 3, "c": 4}, 1.0, True)


def test_a_dotted_path_goes_into_the_field_set_whole_before_it_and_overrides_those_under_it():
    older = change(SET, {"song_starts": {"1": 10.0}, "next.offset": 5.0})
    newer = change(SET, {"song_starts.2": 20.0, "next": {"filename": "b"}})
    assert merged(older, newer).fields == {
        "song_starts": {"1": 10.0, "2": 20.0},
        "next": {"filename": "b"},
    }
    assert older.fields == {"song_starts": {"1": 10.0}, "next.offset": 5.0}  # not changed


@pytest.mark.parametrize("kind", [INSERT, REPLACE])
def test_a_whole_document_then_a_set_is_that_document_with_the_fields_set(kind):
    older = change(kind, {"a": 1, "song_starts": {"1": 10.0}})
    newer = change(SET, {"a": 2, "song_starts.2": 20.0, "deep.er": 1})
    assert merged(older, newer) == Change(
        kind, {"a": 2, "song_starts": {"1": 10.0, "2": 20.0}, "deep": {"er": 1}}, 1.0
    )


@pytest.mark.parametrize("kind", [REPLACE, SET, DELETE])
def test_anything_then_a_delete_is_a_delete(kind):
    assert merged(change(kind, {"a": 1}, at=3.0), change(DELETE, at=4.0)) == Change(
        DELETE, None, 3.0
    )


def test_an_insert_not_yet_written_then_deleted_vanishes():
    assert merged(change(INSERT, {"a": 1}), change(DELETE)) is None


def test_a_delete_then_an_upserting_set_is_a_document_of_those_fields_alone():
    assert merged(change(DELETE), change(SET, {"a": 1, "b.c": 2}, upsert=True)) == Change(
        REPLACE, {"a": 1, "b": {"c": 2}}, 1.0
    )
    assert merged(change(DELETE), change(SET, {"a": 1})).kind == DELETE  # matches nothing


def test_a_whole_document_after_anything_replaces_it_and_an_insert_stays_one():
    assert merged(change(SET, {"a": 1}), change(REPLACE, {"b": 2})).kind == REPLACE
    assert merged(change(DELETE), change(INSERT, {"b": 2})).kind == REPLACE
    assert merged(change(INSERT, {"a": 1}), change(REPLACE, {"b": 2})) == Change(
        INSERT, {"b": 2}, 1.0
    )


def test_every_change_is_written_so_that_writing_it_twice_leaves_the_same_document():
    tried = change(INSERT, {"a": 1})
    tried.tried = True  # its outcome unknown: it may be stored already
    replace = operation("r1", tried)
    assert (replace._filter, replace._doc, replace._upsert) == (
        {"_id": "r1"},
        {"a": 1, "_id": "r1"},  # the `_id` in the replacement: no server gives its own
        True,
    )
    fresh = operation("r1", change(INSERT, {"a": 1}))  # never tried: nothing under its _id
    assert (type(fresh), fresh._doc) == (InsertOne, {"a": 1, "_id": "r1"})
    assert merged(tried, change(SET, {"b": 2})).tried  # what is merged into it too
    update = operation("r1", change(SET, {"a": 1}, upsert=True))
    assert (update._doc, update._upsert) == ({"$set": {"a": 1}}, True)
    assert operation("r1", change(DELETE))._filter == {"_id": "r1"}
