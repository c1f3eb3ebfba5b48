"""What the catalog import tests share: the import on the test's store, what it
stored, a small catalog, the error of a refused one."""

from pathlib import Path

import pytest

from yascheduler.catalog import importer
from yascheduler.store.catalog import StoredCatalog
from yascheduler.store.packed_radios import unpacked
from yascheduler.store.radios import Radio
from yascheduler.store.users import User
from yascheduler.support.errors import CatalogError


EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "catalog.example.json"


def import_catalog(data):
    return importer.import_catalog(data, StoredCatalog())


def load_catalog_file(path):
    return importer.load_catalog_file(path, StoredCatalog())


def small_catalog() -> dict:
    """A valid catalog with one of everything; tests break one field of it."""
    return {
        "users": [
            {"id": 1, "username": "mat", "api_key": "k-1", "hd": True, "auth_tokens": ["tok-a"]},
            {"id": 2, "username": "eve", "api_key": "k-2"},
        ],
        "radios": [
            {
                "uuid": "r1",
                "name": "Radio One",
                "timezone": "Europe/Paris",
                "playlists": [
                    {
                        "id": 10,
                        "name": "default",
                        "songs": [
                            {"id": 100, "filename": "a/100.mp3", "duration": 200},
                            {"id": 101, "filename": "a/101.mp3", "duration": 180.5},
                        ],
                    },
                    {
                        "id": 11,
                        "name": "Morning",
                        "show": {"days": ["MON", "FRI"], "time": "07:00:00", "duration": 3600},
                        "songs": [
                            {"id": 110, "filename": "m/110.mp3", "duration": 150, "order": 1}
                        ],
                    },
                ],
                "jingles": [
                    {
                        "id": "j1",
                        "name": "Station ID",
                        "filename": "j/id.mp3",
                        "duration": 6,
                        "schedule": [{"type": "between_songs", "range": 4}, {"type": "hourly"}],
                    }
                ],
            },
            {
                "uuid": "r2",
                "name": "Radio Two",
                "playlists": [
                    {
                        "id": 20,
                        "name": "default",
                        "songs": [{"id": 200, "filename": "b/200.mp3", "duration": 240}],
                    }
                ],
            },
        ],
    }


def stored_documents() -> dict:
    """Everything the catalog owns, as stored, to compare before and after."""
    return {
        "users": sorted((user.to_mongo().to_dict() for user in User.objects), key=str),
        "radios": sorted(Radio._get_collection().find(), key=str),
    }


def rejection(catalog) -> CatalogError:
    with pytest.raises(CatalogError) as caught:
        import_catalog(catalog)
    return caught.value


def radio(uuid: str) -> Radio:
    """The stored radio, as a MongoEngine document of its fields (unpacked)."""
    return Radio._from_son(radio_fields(Radio._get_collection().find_one({"_id": uuid})))


def stored_radios() -> list[Radio]:
    return [Radio._from_son(radio_fields(raw)) for raw in Radio._get_collection().find()]


def radio_fields(stored: dict) -> dict:
    """A stored radio's fields: those its body packs, and its playlist ids."""
    return {**unpacked(dict(stored)), "playlist_ids": stored["playlist_ids"]}
