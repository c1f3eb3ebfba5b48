"""The connection to the document store: MongoDB, or mongomock in memory."""

import logging
from urllib.parse import urlsplit

import mongoengine
from mongoengine.connection import ConnectionFailure, get_db
from pymongo.errors import PyMongoError

from . import models
from yascheduler.support.errors import ConfigError, StoreError
from yascheduler.support.redact import redact

log = logging.getLogger("yascheduler.store")

IN_MEMORY_SCHEME = "mongomock"
DOCUMENTS = (
    models.User,
    models.Radio,
    models.Streamer,
    models.RadioStream,
    models.ListenerSession,
    models.RadioTimeline,
    models.Counter,
    models.OutboxItem,
    models.VouchedToken,
)


def connect(url: str) -> None:
    """Connect MongoEngine's default alias to `url` and create the indexes."""
    parts = urlsplit(url)
    database = parts.path.lstrip("/").split("?")[0]
    if not database:
        raise ConfigError(f"mongo_url: {redact(url)} names no database")
    mongoengine.disconnect()
    if parts.scheme == IN_MEMORY_SCHEME:
        from . import memory as memory_store

        mongoengine.connect(
            db=database,
            host="mongodb://localhost",
            mongo_client_class=memory_store.client_class(),
            uuidRepresentation="standard",
        )
        log.warning("store: in memory (%s); everything stored is lost on exit", url)
    elif parts.scheme in ("mongodb", "mongodb+srv"):
        mongoengine.connect(
            host=url, db=database, serverSelectionTimeoutMS=5000, uuidRepresentation="standard"
        )
        log.info("store: %s", redact(url))
    else:
        raise ConfigError(f"mongo_url: unknown scheme {parts.scheme!r} in {redact(url)}")
    for document in DOCUMENTS:
        document.ensure_indexes()


def ping() -> None:
    """Raise StoreError unless the store answers."""
    try:
        get_db().command("ping")
    except (PyMongoError, ConnectionFailure) as error:
        raise StoreError(str(error)) from None


def drop_everything() -> None:
    """Remove every stored document and collection (tests)."""
    for document in DOCUMENTS:
        document.drop_collection()


# What the scheduler keeps as it runs; the catalog (users, radios) is not in it.
STATE_DOCUMENTS = (
    models.Streamer,
    models.RadioStream,
    models.ListenerSession,
    models.RadioTimeline,
    models.OutboxItem,
    models.Counter,
    models.VouchedToken,
)


def flush_state() -> dict[str, int]:
    """Delete the scheduler's state, keep the catalog (`yascheduler flush`).

    Documents are deleted, collections and indexes kept. Returns how many
    documents each collection lost.
    """
    deleted = {}
    for document in STATE_DOCUMENTS:
        name = document._get_collection_name()
        try:
            deleted[name] = document._get_collection().delete_many({}).deleted_count
        except PyMongoError as error:
            raise StoreError(f"flushing {name} failed: {error}") from None
    return deleted


def disconnect() -> None:
    mongoengine.disconnect()
