"""The contract of the catalog repositories: users and radios (catalog.ports.CatalogStore)."""

import pytest
from bson.int64 import Int64

from tests.store_contract.conftest import raw, skipped
from yascheduler.programming.catalog_view import radio_from_stored
from yascheduler.store.packed_radios import repack
from yascheduler.store.radios import Radio, StoredRadios
from yascheduler.store.users import Identity, StoredUsers, User


def user(user_id, username, *tokens, hd=False):
    return {"_id": user_id, "username": username, "api_key": f"k{user_id}", "hd": hd,
            "auth_tokens": list(tokens)}  # fmt: skip


def radio(uuid, *playlist_ids, ready=True):
    playlists = [{"id": n, "name": f"p{n}", "enabled": True, "songs": []} for n in playlist_ids]
    return {"_id": uuid, "ready": ready, "playlists": playlists, "jingles": []}


def ids(documents):
    return sorted(document["_id"] for document in documents)


# --- users ---------------------------------------------------------------------------------


def test_users_written_come_back_as_identities_and_by_what_names_them(backend):
    users = StoredUsers()
    users.write(deleted=[], inserted=[user(1, "eve", "t1", hd=True), user(2, "mat")], replaced=[])
    assert sorted(users.identities()) == [
        Identity(1, "eve", "k1", True, ("t1",)),
        Identity(2, "mat", "k2", False, ()),
    ]
    assert ids(users.among(ids=[2], usernames=[], tokens=[])) == [2]
    assert ids(users.among(ids=[], usernames=["eve"], tokens=[])) == [1]
    assert ids(users.among(ids=[], usernames=[], tokens=["t1", "nope"])) == [1]
    assert users.among(ids=[9], usernames=["nobody"], tokens=["t9"]) == []
    assert users.among(ids=[1], usernames=[], tokens=[]) == [user(1, "eve", "t1", hd=True)]


def test_users_replaced_and_deleted(backend):
    users = StoredUsers()
    users.write(deleted=[], inserted=[user(1, "eve"), user(2, "mat")], replaced=[])
    users.write(deleted=[2], inserted=[], replaced=[user(1, "eve", "t2")])
    assert users.identities() == [Identity(1, "eve", "k1", False, ("t2",))]


def test_users_swapping_usernames_never_meet_the_unique_index(backend):
    users = StoredUsers()
    users.write(deleted=[], inserted=[user(1, "eve"), user(2, "mat")], replaced=[])
    users.write(deleted=[1, 2], inserted=[user(1, "mat"), user(2, "eve")], replaced=[])
    assert {u.id: u.username for u in users.identities()} == {1: "mat", 2: "eve"}


def test_a_user_record_that_cannot_be_decoded_is_skipped(backend, caplog):
    StoredUsers().write(deleted=[], inserted=[user(1, "eve")], replaced=[])
    raw(User).insert_many(
        [{"_id": 2, "username": "no-key"}, {"_id": "3", "username": "x", "api_key": "k"}]
    )
    assert [u.id for u in StoredUsers().identities()] == [1]
    assert len(skipped(caplog, "user")) == 2


# --- radios --------------------------------------------------------------------------------


def test_radios_written_come_back_by_uuid_or_playlist(backend):
    radios = StoredRadios()
    radios.write(inserted=[radio("r1", 10, 11), radio("r2", 20)], replaced=[], deleted=[])
    assert radios.among(uuids=["r1"], playlist_ids=[]) == [radio("r1", 10, 11)]
    assert ids(radios.among(uuids=[], playlist_ids=[20, 11])) == ["r1", "r2"]
    assert radios.among(uuids=["r9"], playlist_ids=[99]) == []
    radios.write(inserted=[radio("r3")], replaced=[radio("r1", 12)], deleted=["r2", "r9"])
    assert ids(radios.among(uuids=["r1", "r2", "r3"], playlist_ids=[])) == ["r1", "r3"]
    assert radios.among(uuids=[], playlist_ids=[10]) == []
    assert radios.among(uuids=["r1"], playlist_ids=[]) == [radio("r1", 12)]


def uuid_of(stored: dict) -> str:
    return stored["_id"]


@pytest.mark.parametrize("imported_all", [True, False])
def test_the_ready_radios_are_read_once_or_taken_from_the_import(backend, imported_all):
    radios = StoredRadios()
    written = [radio("r1"), radio("r2", ready=False), radio("r3")]
    radios.write(inserted=written, replaced=[], deleted=[])
    imported = written if imported_all else written[:1]
    assert sorted(radios.ready(uuid_of, imported)) == ["r1", "r3"]
    assert sorted(radios.ready(uuid_of)) == ["r1", "r3"]


def test_a_first_start_takes_the_imported_radios_without_reading_them_back(backend):
    StoredRadios().write(inserted=[radio("r1")], replaced=[], deleted=[])
    raw(Radio).update_one({"_id": "r1"}, {"$set": {"name": "changed since"}})
    imported = [{**radio("r1"), "name": "as imported"}]
    [name] = StoredRadios().ready(lambda stored: stored["name"], imported)
    assert name == "as imported"


def test_a_radio_that_cannot_be_decoded_is_skipped(backend, caplog):
    StoredRadios().write(inserted=[radio("r1")], replaced=[], deleted=[])
    raw(Radio).insert_one({"_id": "r2", "playlists": [{"id": 1, "songs": []}]})  # no name
    assert [view.uuid for view in StoredRadios().ready(radio_from_stored)] == ["r1"]
    assert len(skipped(caplog, "radio")) == 1


def test_every_stored_radio_is_read_however_many_batches_it_takes(backend, monkeypatch):
    monkeypatch.setattr("yascheduler.store.radios.READ_BATCH", 2)  # 7 radios: 4 batches
    written = [radio(f"r{n}", n, ready=n != 3) for n in range(7)]
    StoredRadios().write(inserted=written, replaced=[], deleted=[])
    imported = written[:2]  # as a start-up's import of two of them gives them
    found = StoredRadios().ready(lambda stored: stored, imported)
    assert sorted(stored["_id"] for stored in found) == ["r0", "r1", "r2", "r4", "r5", "r6"]


def test_radios_inserted_in_several_batches_are_all_stored(backend, monkeypatch):
    monkeypatch.setattr("yascheduler.store.radios.WRITE_BATCH", 2)  # 5 radios: 3 inserts
    StoredRadios().write(inserted=[radio(f"r{n}", n) for n in range(5)], replaced=[], deleted=[])
    assert sorted(StoredRadios().ready(lambda stored: stored["_id"])) == [f"r{n}" for n in range(5)]
    assert raw(Radio).find_one({"_id": "r4"})["playlist_ids"] == [4]


def test_a_radio_is_stored_packed_beside_the_fields_queries_read(backend):
    written = {**radio("r1", 10, 11), "name": "One", "timezone": "Europe/Paris"}
    StoredRadios().write(inserted=[written], replaced=[], deleted=[])
    stored = raw(Radio).find_one({"_id": "r1"})
    assert set(stored) == {"_id", "ready", "timezone", "playlist_ids", "shard", "body"}
    assert stored["playlist_ids"] == [10, 11] and stored["timezone"] == "Europe/Paris"
    assert StoredRadios().timezone("r1") == (True, "Europe/Paris")
    assert list(StoredRadios().ready(lambda found: found)) == [written]


def test_radios_an_older_version_stored_unpacked_are_read_then_packed(backend, caplog):
    older = {**radio("r1", 10), "name": "One", "playlist_ids": [10]}  # every field on top
    raw(Radio).insert_one(older)
    StoredRadios().write(inserted=[radio("r2", 20)], replaced=[], deleted=[])
    caplog.set_level("INFO", logger="yascheduler.store")

    assert sorted(StoredRadios().ready(uuid_of)) == ["r1", "r2"]

    assert "radios: 1 stored by an older version packed" in caplog.text
    assert "body" in raw(Radio).find_one({"_id": "r1"})
    [packed] = StoredRadios().among(uuids=["r1"], playlist_ids=[])
    assert packed == {**radio("r1", 10), "name": "One"}
    assert ids(StoredRadios().among(uuids=[], playlist_ids=[10, 20])) == ["r1", "r2"]


def test_an_older_radio_with_the_driver_s_own_numbers_is_packed_as_plain_ones(backend):
    older = {**radio("r1", 10), "name": "One"}
    older["playlists"][0]["songs"] = [{"id": Int64(5), "filename": "a.mp3", "duration": 3.0}]
    raw(Radio).insert_one({**older, "playlist_ids": [Int64(10)]})

    [read] = StoredRadios().ready(lambda found: found)

    assert read == older and "body" in raw(Radio).find_one({"_id": "r1"})
    [again] = StoredRadios().ready(lambda found: found)
    assert again == older and type(again["playlists"][0]["songs"][0]["id"]) is int


def test_packing_an_older_radio_never_undoes_an_import_since(backend):
    read_unpacked = {**radio("r1", 10), "name": "before"}
    raw(Radio).insert_one({**read_unpacked, "playlist_ids": [10]})
    imported = {**radio("r1", 12), "name": "imported since"}
    StoredRadios().write(inserted=[], replaced=[imported], deleted=[])

    repack(raw(Radio), [read_unpacked])  # what a start-up read before that import packs

    assert StoredRadios().among(uuids=["r1"], playlist_ids=[]) == [imported]
