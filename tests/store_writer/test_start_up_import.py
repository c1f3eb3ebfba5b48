"""The catalog file imported at start-up: its new radios programmed from the import while
the store writer inserts them, the file's digest recorded only once every radio is
stored; the store away meanwhile, the writer retries; the service stopped or killed
before, the next start imports the file again, and nothing is lost."""

import hashlib
import json
import logging
from contextlib import contextmanager

import pytest

from tests.catalogs import radio
from tests.harness import TEST_SETTINGS, hard_kill, stored, wait_for
from tests.test_programming_e2e import ADMIN, post_catalog
from yascheduler.app import admin
from yascheduler.app.service import Service
from yascheduler.support.config import resolve
from yascheduler.store.catalog_files import CatalogFile
from yascheduler.store.radios import Radio
from yascheduler.support.errors import CatalogError

RADIOS = 12
# the writer left to itself writes this long after a change: the test says when
WRITE_LATER = 600


@pytest.fixture
def catalog(tmp_path):
    """A catalog file of RADIOS ready radios."""
    path = tmp_path / "catalog.json"
    radios = [radio(f"radio-{n}", 100 * (n + 1), 100 * (n + 1)) for n in range(RADIOS)]
    path.write_text(json.dumps({"radios": radios}))
    return path


def start(redis_url, mongo_url, catalog, **overrides) -> Service:
    values = {**TEST_SETTINGS, "redis_url": redis_url, "mongo_url": mongo_url}
    values.update({"catalog": str(catalog), "write_delay": str(WRITE_LATER), **overrides})
    service = Service(resolve(values, environ={}), redis_url)
    service.start()
    wait_for(lambda: service.bus.connected, "the service to subscribe")
    return service


@contextmanager
def importing(redis_url, mongo_url, catalog, **overrides):
    """A service started on the catalog file, once it programmed every radio; stopped after."""
    service = start(redis_url, mongo_url, catalog, **overrides)
    try:
        wait_for(lambda: programmed(service) == RADIOS, "the radios to be programmed")
        yield service
    finally:
        service.stop()


def programmed(service) -> int:
    return service.programmer.counts()["radios"]


def stored_radios() -> int:
    return Radio._get_collection().count_documents({})


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def file_record(path) -> dict:
    return CatalogFile._get_collection().find_one({"_id": str(path.resolve())}) or {}


def test_radios_are_programmed_before_they_are_stored_and_the_digest_comes_last(
    own_store, redis_url, catalog
):
    with importing(redis_url, own_store.database_url, catalog) as service:
        assert stored_radios() == 0  # on their way: the writer has not written yet
        record = file_record(catalog)
        assert record.get("digest") is None and record["importing"] == digest(catalog)

        service.writer.write_now()  # the radios; the digest is queued once they landed
        assert stored_radios() == RADIOS
        assert file_record(catalog).get("digest") is None
        service.writer.write_now()
        record = file_record(catalog)
        assert record["digest"] == digest(catalog) and "importing" not in record


def test_the_store_away_mid_import_the_writer_retries_and_the_radios_stay_on(
    own_store, redis_url, catalog
):
    with importing(redis_url, own_store.database_url, catalog) as service:
        own_store.stop()
        service.writer.hurry()  # a write now, as a play waiting for one asks
        wait_for(lambda: not service.writer.reachable, "the write to fail", timeout=10)
        assert programmed(service) == RADIOS  # programmed from memory all along
        assert service.repositories.radio_inserts.unstored() == RADIOS

        own_store.start()  # the writer's retries (capped at 2 s apart) write them all
        wait_for(lambda: service.writer.reachable, "the store to be back", timeout=30)
        assert stored_radios() == RADIOS
        service.writer.write_now()  # the digest, queued once they landed
        assert file_record(catalog)["digest"] == digest(catalog)
        assert service.failure is None


def test_killed_before_its_radios_are_stored_the_next_start_imports_again(
    own_store, redis_url, catalog, caplog
):
    first = start(redis_url, own_store.database_url, catalog)
    wait_for(lambda: programmed(first) == RADIOS, "the radios to be programmed")
    hard_kill(first)  # nothing written behind: no radio stored
    assert stored_radios() == 0 and file_record(catalog).get("digest") is None

    with (
        caplog.at_level(logging.INFO, logger="yascheduler.service"),
        importing(redis_url, own_store.database_url, catalog, write_delay="0.05") as second,
    ):
        stored(second)
        wait_for(lambda: file_record(catalog).get("digest"), "the digest to be recorded")
        stored(second)
    assert stored_radios() == RADIOS
    assert "its last import was cut short before all of it was stored" in caplog.text
    assert f"catalog {catalog.resolve()}: {RADIOS} radios created or changed" in caplog.text

    caplog.clear()
    with (
        caplog.at_level(logging.INFO, logger="yascheduler.service"),
        importing(redis_url, own_store.database_url, catalog),
    ):
        pass  # read from the store and programmed: the file not imported again
    assert "unchanged since its last import, not imported again" in caplog.text


def test_an_import_through_the_api_waits_until_the_start_up_import_is_stored(
    own_store, redis_url, catalog, monkeypatch
):
    monkeypatch.setattr(admin, "START_UP_IMPORT_WAIT", 0.2)
    added = {"radios": [radio("radio-added", 9000, 9000)]}
    with importing(redis_url, own_store.database_url, catalog, admin_token=ADMIN) as service:
        refused = post_catalog(service, added)
        assert refused.status_code == 503
        assert "imported at start-up is still being stored" in refused.json()["error"]
        assert stored_radios() == 0 and programmed(service) == RADIOS  # nothing changed

        service.writer.write_now()
        answer = post_catalog(service, added)
        assert answer.status_code == 200, answer.text
        assert answer.json()["radios"] == ["radio-added"]
        assert stored_radios() == RADIOS + 1


def test_a_broken_catalog_file_stops_the_start_before_anything_is_stored(db, redis_url, tmp_path):
    path = tmp_path / "catalog.json"
    good, broken = radio("radio-good", 100, 100), radio("radio-broken", 200, 200)
    broken["playlists"][0]["songs"][0]["duration"] = "long"
    path.write_text(json.dumps({"radios": [good, broken]}))
    with pytest.raises(CatalogError, match=r"radios\[1\]\.playlists\[0\]\.songs\[0\]\.duration"):
        start(redis_url, db, path)
    assert stored_radios() == 0 and file_record(path) == {}
