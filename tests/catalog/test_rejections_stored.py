"""Rules checked against what is stored, and the catalog file and its text."""

import gc
import json

import pytest

from yascheduler.catalog.importer import parse_catalog
from yascheduler.store.users import User
from yascheduler.support.errors import CatalogError


from tests.catalog.conftest import (
    import_catalog,
    load_catalog_file,
    small_catalog,
    stored_documents,
    rejection,
    radio,
)


# --- rejections against what is stored ------------------------------------------------------


def test_playlist_id_of_another_stored_radio_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection({"radios": [{"uuid": "r3", "playlists": [{"id": 20, "name": "default"}]}]})
    assert (error.path, error.problem) == (
        "radios[0].playlists[0].id",
        "playlist 20 belongs to radio 'r2'",
    )


def test_second_default_playlist_next_to_a_stored_one_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection({"radios": [{"uuid": "r1", "playlists": [{"id": 12, "name": "default"}]}]})

    assert (error.path, error.problem) == (
        "radios[0].playlists[0].name",
        "radio 'r1' would have 2 playlists named 'default' (ids 10, 12)",
    )


def test_renaming_the_stored_default_playlist_makes_room_for_another(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "radios": [
                {
                    "uuid": "r1",
                    "playlists": [{"id": 10, "name": "old"}, {"id": 12, "name": "default"}],
                }
            ]
        }
    )

    assert [playlist.name for playlist in radio("r1").playlists] == ["old", "Morning", "default"]


def test_username_of_another_stored_user_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection({"users": [{"id": 3, "username": "eve", "api_key": "k-3"}]})

    assert (error.path, error.problem) == ("users[0].username", "username 'eve' is taken by user 2")


def test_auth_token_of_another_stored_user_is_rejected(db):
    import_catalog(small_catalog())

    error = rejection(
        {"users": [{"id": 3, "username": "zed", "api_key": "k", "auth_tokens": ["tok-a"]}]}
    )

    assert (error.path, error.problem) == (
        "users[0].auth_tokens[0]",
        "auth token already names user 1",
    )


def test_auth_token_may_move_between_users_named_in_the_same_file(db):
    import_catalog(small_catalog())

    import_catalog(
        {
            "users": [
                {"id": 1, "username": "mat", "api_key": "k-1"},
                {"id": 2, "username": "eve", "api_key": "k-2", "auth_tokens": ["tok-a"]},
            ]
        }
    )

    assert User.objects.get(id=2).auth_tokens == ["tok-a"]


def test_bad_import_after_a_good_one_changes_nothing(db):
    import_catalog(small_catalog())
    before = stored_documents()
    catalog = small_catalog()
    catalog["users"][0]["hd"] = False
    catalog["users"].append({"id": 3, "username": "new", "api_key": "k-3"})
    catalog["radios"][0]["name"] = "Renamed"
    catalog["radios"][0]["playlists"][0]["songs"] = []
    catalog["radios"][0]["playlists"][1] = {"id": 11, "deleted": True}
    catalog["radios"][0]["jingles"] = [{"id": "j1", "deleted": True}]
    catalog["radios"][1] = {"uuid": "r2", "deleted": True}
    catalog["radios"].append({"uuid": "r4", "playlists": [{"id": 40, "name": "default"}]})
    catalog["radios"].append({"uuid": "r5", "timezone": "Mars/Base"})

    error = rejection(catalog)

    assert error.path == "radios[3].timezone"
    assert stored_documents() == before


# --- the file and its text ----------------------------------------------------------------


def test_text_and_bytes_are_imported_like_a_dict(db):
    text = json.dumps(small_catalog())

    assert len(import_catalog(text.encode()).stored_radios) == 2
    assert parse_catalog(text) == small_catalog()


@pytest.mark.parametrize("text", ["{", "", b"\xff\xfe{", "[1, 2"])
def test_invalid_json_is_rejected(db, text):
    with pytest.raises(CatalogError) as caught:
        import_catalog(text)

    assert caught.value.path == ""
    assert caught.value.problem.startswith("not valid JSON: ")


def test_a_broken_file_is_named_where_it_breaks(db):
    text = json.dumps(small_catalog(), indent=1).replace('"name": "default"', '"name": default', 1)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if '": default' in row)
    before = stored_documents()

    with pytest.raises(CatalogError) as caught:
        import_catalog(text.encode())

    assert caught.value.path == ""
    assert f"line {line} column " in caught.value.problem
    assert stored_documents() == before


@pytest.mark.parametrize(
    "text, path",
    [
        ('"Radio \\ud800One"', "radios[0].name"),  # a lone surrogate, as JSON escapes it
        ('"Radio One\\udfff"', "radios[0].name"),
        ('"ma\\udc80t"', "users[0].username"),
    ],
)
def test_a_lone_surrogate_in_the_text_is_named(db, text, path):
    catalog = small_catalog()
    catalog["radios"][0]["name"], catalog["users"][0]["username"] = "NAME", "USERNAME"
    marker = '"NAME"' if path.startswith("radios") else '"USERNAME"'
    broken = json.dumps(catalog).replace(marker, text)
    before = stored_documents()

    error = rejection(broken.encode())

    assert (error.path, error.problem) == (path, "must be valid Unicode text")
    assert stored_documents() == before


def test_a_byte_order_mark_is_read_past(db):
    text = json.dumps(small_catalog())

    change = import_catalog(text.encode("utf-8-sig"))

    assert [stored["_id"] for stored in change.stored_radios] == ["r1", "r2"]


@pytest.mark.parametrize("text", ["[]", '"radios"', "null", "3"])
def test_json_that_is_not_an_object_is_rejected(db, text):
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text)

    assert (caught.value.path, caught.value.problem) == ("", "must be a JSON object")


def test_nan_in_the_text_is_rejected(db):
    catalog = json.dumps(small_catalog()).replace('"duration": 200', '"duration": NaN')

    error = rejection(catalog)

    assert (error.path, error.problem) == (
        "radios[0].playlists[0].songs[0].duration",
        "must be a finite number",
    )


def test_a_rejected_import_leaves_what_it_read_to_the_collector(db):
    gc.collect()  # the tests' earlier garbage, not to be frozen by what follows
    frozen = gc.get_freeze_count()
    broken = json.dumps(small_catalog()).replace('"duration": 200', '"duration": "long"')

    rejection(broken)

    # frozen, its traceback's document would stay for good: one more at each bad import
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    import_catalog(small_catalog())
    assert gc.isenabled() and gc.get_freeze_count() > frozen


def test_missing_file_is_rejected_with_its_name(db, tmp_path):
    missing = tmp_path / "nope.json"

    with pytest.raises(CatalogError) as caught:
        load_catalog_file(str(missing))

    assert (caught.value.path, caught.value.problem) == (
        str(missing),
        "cannot read: No such file or directory",
    )


def test_file_is_read_and_imported(db, tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(small_catalog()))

    change = load_catalog_file(path)  # a Path, as the settings give it

    assert [stored["_id"] for stored in change.stored_radios] == ["r1", "r2"]
