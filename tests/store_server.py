"""The tests' store server: nx-27017 (a MongoDB wire-protocol server on SQLite) as a child
process on a free loopback port, with a data directory and a pid file of its own, as
`yascheduler run` starts it (store/embedded.py). Each test takes a database of its own on
it and drops it after."""

import uuid
from pathlib import Path

import pymongo

from yascheduler.store.embedded import store_child
from yascheduler.support.ports import HOST, free_port


class StoreServer:
    def __init__(self, data_dir: Path):
        self.port = free_port()
        self.server = store_child(Path(data_dir), HOST, self.port)

    def start(self, timeout: float = 20.0) -> None:
        self.server.start(timeout)

    def stop(self) -> None:
        self.server.stop()

    def url(self, database: str) -> str:
        return f"mongodb://{HOST}:{self.port}/{database}"


def drop_database(url: str) -> None:
    """Drop the database `url` names, on its server (nx-27017 deletes its SQLite file)."""
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=3000) as client:
        client.drop_database(client.get_default_database().name)


def database_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def on_server(base_url: str, database: str) -> str:
    """`base_url` (mongodb://HOST/anything) naming `database` instead."""
    return base_url.rstrip("/").rsplit("/", 1)[0] + "/" + database
