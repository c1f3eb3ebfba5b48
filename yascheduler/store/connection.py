"""The connection to the document store: MongoDB, or mongomock in memory."""

import logging
from urllib.parse import parse_qs, urlsplit

import mongoengine
from mongoengine.connection import get_db

from yascheduler.support.errors import ConfigError
from yascheduler.support.redact import redact
from .catalog_files import CatalogFile
from .counters import Counter
from .outbox import OutboxItem
from .radios import Radio
from .sessions import ListenerSession
from .streamers import Streamer
from .streams import ShardMasters
from .timelines import RadioTimeline
from .records import storing
from .tokens import VouchedToken
from .users import User

log = logging.getLogger("yascheduler.store")

IN_MEMORY_SCHEME = "mongomock"
# unless the URL says otherwise: a store that does not answer fails a call in 5 s, and
# one that stops answering in the middle of a call (a network cut) fails it in 30 s
TIMEOUTS = {"serverSelectionTimeoutMS": 5000, "socketTimeoutMS": 30000}
# each declared by its repository's module, with its indexes
DOCUMENTS = (
    CatalogFile,
    User,
    Radio,
    Streamer,
    ShardMasters,
    ListenerSession,
    RadioTimeline,
    Counter,
    OutboxItem,
    VouchedToken,
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
            mongo_client_class=memory_store.MongoClient,
            uuidRepresentation="standard",
        )
        log.warning("store: in memory (%s); everything stored is lost on exit", url)
    elif parts.scheme in ("mongodb", "mongodb+srv"):
        given = {name.lower() for name in parse_qs(parts.query)}
        timeouts = {name: ms for name, ms in TIMEOUTS.items() if name.lower() not in given}
        mongoengine.connect(host=url, db=database, uuidRepresentation="standard", **timeouts)
        log.info("store: %s", redact(url))
    else:
        raise ConfigError(f"mongo_url: unknown scheme {parts.scheme!r} in {redact(url)}")
    with storing("creating the indexes in %s", redact(url)):
        for document in DOCUMENTS:
            document.ensure_indexes()


def ping() -> None:
    """Raise StoreError unless the store answers."""
    with storing("pinging the store"):
        get_db().command("ping")


def disconnect() -> None:
    mongoengine.disconnect()
