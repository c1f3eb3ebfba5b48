"""A store server of the test's own (nx-27017, a MongoDB wire-protocol server on
SQLite), that the test may stop and start again on the same port and data."""

import uuid

import pytest

from yascheduler.store import connection as store
from yascheduler.store.embedded import store_child
from yascheduler.support.ports import HOST, free_port


class StoreServer:
    def __init__(self, data_dir):
        self.data_dir = data_dir
        self.port = free_port()
        self.child = None

    def start(self) -> None:
        self.child = store_child(self.data_dir, HOST, self.port)
        self.child.start(timeout=20)

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop(timeout=5)
            self.child = None

    def url(self, database: str, query: str = "") -> str:
        return f"mongodb://{HOST}:{self.port}/{database}" + (f"?{query}" if query else "")


@pytest.fixture
def own_store(tmp_path):
    """A running store server, and the store connected to a database of it that fails a
    call after 300 ms while the server is away (the service's default is 5 s)."""
    server = StoreServer(tmp_path / "store-server")
    server.start()
    server.database_url = server.url("yastest_" + uuid.uuid4().hex[:12])
    store.connect(server.database_url + "?serverSelectionTimeoutMS=300")
    yield server
    store.disconnect()
    server.stop()
