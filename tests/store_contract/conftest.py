"""The repository contract: one set of tests per repository, run against every store
backend the project has (huey's StorageTests, APScheduler's test_jobstores)."""

import mongoengine
import pytest

from tests.conftest import TEST_MONGO_URL
from tests.store_server import database_name, drop_database, on_server
from yascheduler.store import connection as store
from yascheduler.support.ports import free_port

# the in-memory store (mongomock), nx-27017 (the embedded store server), and the MongoDB
# of YASCHEDULER_TEST_MONGO_URL
BACKENDS = ["memory", "nx", "server"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """A fresh, empty database on each backend: the in-memory store and the session's
    nx-27017 always, and the server YASCHEDULER_TEST_MONGO_URL names when it is set."""
    name = database_name("yascontract")
    if request.param == "memory":
        url = "mongomock://localhost/" + name
    elif request.param == "nx":
        url = request.getfixturevalue("store_server").url(name)
    elif TEST_MONGO_URL:
        url = on_server(TEST_MONGO_URL, name)
    else:
        pytest.skip(reason="no MongoDB: set YASCHEDULER_TEST_MONGO_URL=mongodb://HOST/anything")
    store.connect(url)
    yield request.param
    store.disconnect()
    if request.param != "memory":  # the in-memory store is gone with its client
        drop_database(url)


@pytest.fixture
def unreachable():
    """Connected to a server that is not there: the driver fails each call after a
    short wait (pymongo's ServerSelectionTimeoutError). Its URL."""
    url = f"mongodb://127.0.0.1:{free_port()}/gone"
    mongoengine.disconnect()
    mongoengine.connect(
        host=url, serverSelectionTimeoutMS=50, connectTimeoutMS=50, uuidRepresentation="standard"
    )
    yield url
    mongoengine.disconnect()


def raw(document):
    """The collection a repository's document maps to: what the tests plant there is
    what another version, or a broken write, could have left."""
    return document._get_collection()


def stored_masters() -> dict[str, tuple[str, float]]:
    """{radio: (master, since)} as the shards' documents hold them (store/streams.py)."""
    from yascheduler.store.streams import ShardMasters, radio_of

    return {
        radio_of(name): tuple(entry)
        for stored in raw(ShardMasters).find()
        for name, entry in stored.get("radios", {}).items()
    }


def skipped(caplog, what: str) -> list[str]:
    """The log lines of stored `what` records skipped as undecodable."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "yascheduler.store"
        and f"stored {what} " in record.getMessage()
        and "skipped: cannot decode it" in record.getMessage()
    ]
