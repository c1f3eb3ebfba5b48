"""What every repository promises: its indexes exist once connected, and a driver error
is a StoreError that says what was being done."""

import mongoengine
import pytest
from mongoengine.connection import ConnectionFailure
from pymongo.errors import PyMongoError

from tests.store_contract.conftest import raw
from tests.store_contract.test_contract_outbox import Item as OutboxEntry
from yascheduler.programming.catalog_view import radio_from_stored
from yascheduler.programming.persistence import timeline_from_stored
from yascheduler.store import connection as store
from yascheduler.store.counters import StoredCounters
from yascheduler.store.outbox import StoredOutbox
from yascheduler.store.radios import StoredRadios
from yascheduler.store.sessions import StoredSessions
from yascheduler.store.streamers import StoredStreamers
from yascheduler.store.streams import StoredStreams
from yascheduler.store.timelines import StoredTimelines
from yascheduler.store.tokens import StoredTokens
from yascheduler.store.users import StoredUsers
from yascheduler.support.errors import StoreError
from yascheduler.support.shards import shard_of

R1_MASTERS = f"storing the radio masters of shard {shard_of('r1')}"
USER = {"_id": 1, "username": "eve", "api_key": "k", "hd": False, "auth_tokens": []}

# every repository call, and what its StoreError must say was being done
CALLS = {
    "streamers.names": (lambda: StoredStreamers().names(), "reading the registered streamers"),
    "streamers.register": (
        lambda: StoredStreamers().register("s1", 1.0),
        "storing streamer s1",
    ),
    "streamers.seen": (lambda: StoredStreamers().seen("s1", 1.0), "storing streamer s1"),
    "streamers.remove": (lambda: StoredStreamers().remove("s1"), "deleting streamer s1"),
    "streamers.clear": (lambda: StoredStreamers().clear(), "deleting the streamers"),
    "streams.masters": (lambda: StoredStreams().masters(), "reading the radio masters"),
    # one document a shard (store/streams.py): its shard named
    "streams.add": (lambda: StoredStreams().add("r1", "s1", 1.0), R1_MASTERS),
    "streams.change": (lambda: StoredStreams().change("r1", "s", 1.0), R1_MASTERS),
    "streams.remove": (lambda: StoredStreams().remove("r1"), R1_MASTERS),
    "streams.clear": (lambda: StoredStreams().clear(), "deleting the radio masters"),
    "sessions.open_sessions": (
        lambda: StoredSessions().open_sessions(),
        "reading the open listener sessions",
    ),
    "sessions.open": (
        lambda: StoredSessions().open("a", "r1", "s1", None, 1.0),
        "storing listener session 2:s1:a",
    ),
    "sessions.close": (
        lambda: StoredSessions().close("2:s1:a", 2.0, 1),
        "storing listener session 2:s1:a",
    ),
    "sessions.clear": (lambda: StoredSessions().clear(), "deleting the listener sessions"),
    "timelines.load_all": (
        lambda: StoredTimelines().load_all(timeline_from_stored),
        "reading the radio timelines",
    ),
    "timelines.save": (
        lambda: StoredTimelines().save("r1", {"broken": None}),
        "storing radio r1's timeline",
    ),
    "timelines.insert": (
        lambda: StoredTimelines().insert({"r1": {}}),
        "storing radio r1's timeline",
    ),
    "timelines.delete": (lambda: StoredTimelines().delete("r1"), "deleting radio r1's timeline"),
    "timelines.clear": (lambda: StoredTimelines().clear(), "deleting the radio timelines"),
    "outbox.upgrade_legacy_items": (
        lambda: StoredOutbox().upgrade_legacy_items(),
        "upgrading the outbox items",
    ),
    "outbox.queued_count": (lambda: StoredOutbox().queued_count(), "counting the queued"),
    "outbox.parked_radios": (lambda: StoredOutbox().parked_radios(), "reading the parked"),
    "outbox.queued_after": (
        lambda: StoredOutbox().queued_after(5, 10),
        "reading the outbox queue after seq 5",
    ),
    "outbox.insert": (
        lambda: StoredOutbox().insert(OutboxEntry("stopped", "r1", {}, 1.0)),
        "reserving 1000 values of counter outbox",  # its seq is given as it is written
    ),
    "outbox.delete": (lambda: StoredOutbox().delete([1, 2]), "deleting outbox item 1"),
    "outbox.attempted": (lambda: StoredOutbox().attempted({1: 1}), "storing outbox item 1"),
    "outbox.park": (lambda: StoredOutbox().park(1, {"at": 1.0}), "storing outbox item 1"),
    "outbox.parked_documents": (
        lambda: StoredOutbox().parked_documents([1]),
        "reading 1 parked outbox items",
    ),
    "outbox.unpark": (lambda: StoredOutbox().unpark(), "queueing parked outbox items again"),
    "outbox.discard_parked": (
        lambda: StoredOutbox().discard_parked(radio_uuid="r1"),
        "discarding parked outbox items",
    ),
    "outbox.clear": (lambda: StoredOutbox().clear(), "deleting the outbox"),
    "counters.reserve": (
        lambda: StoredCounters().reserve("outbox", 1000),
        "reserving 1000 values of counter outbox",
    ),
    "counters.clear": (lambda: StoredCounters().clear(), "deleting the counters"),
    "tokens.save": (
        lambda: StoredTokens().save("t", 1, False, 1.0),
        "storing the web app's answer for a token",
    ),
    "tokens.newest": (lambda: StoredTokens().newest(10), "reading the web app's token answers"),
    "tokens.clear": (lambda: StoredTokens().clear(), "deleting the web app's token answers"),
    "users.identities": (lambda: StoredUsers().identities(), "reading the users"),
    "users.among": (
        lambda: StoredUsers().among([1], ["eve"], []),
        "reading the users an import names",
    ),
    "users.write": (lambda: StoredUsers().write([], [USER], []), "writing 1 users"),
    "radios.ready": (
        lambda: list(StoredRadios().ready(radio_from_stored)),
        "reading the ready radios",
    ),
    "radios.among": (
        lambda: StoredRadios().among(["r1"], []),
        "reading the radios an import names",
    ),
    "radios.write": (lambda: StoredRadios().write([], [], ["r1"]), "writing 1 radios"),
    "ping": (store.ping, "pinging the store"),
}


@pytest.mark.parametrize("call", CALLS)
def test_a_driver_error_is_a_store_error_saying_what_was_being_done(call):
    """With no connection set up: MongoEngine's ConnectionFailure, at once."""
    mongoengine.disconnect()
    action, what = CALLS[call]
    with pytest.raises(StoreError) as raised:
        action()
    assert what in str(raised.value) and " failed: " in str(raised.value)
    assert isinstance(raised.value.__cause__, ConnectionFailure)


# one call a repository: a server that is not there costs half a second a call
UNREACHABLE = [
    "streamers.register",
    "streams.masters",
    "sessions.open",
    "timelines.save",
    "outbox.insert",
    "counters.reserve",
    "tokens.newest",
    "users.among",
    "radios.write",
    "ping",
]


@pytest.mark.parametrize("call", UNREACHABLE)
def test_a_server_that_is_not_there_is_a_store_error_saying_what_was_being_done(unreachable, call):
    action, what = CALLS[call]
    with pytest.raises(StoreError, match=f"{what} failed: ServerSelectionTimeoutError") as raised:
        action()
    assert isinstance(raised.value.__cause__, PyMongoError)


def test_connecting_to_a_server_that_is_not_there_is_a_store_error(unreachable):
    with pytest.raises(StoreError, match="creating the indexes in mongodb://127.0.0.1:"):
        store.connect(unreachable + "?serverSelectionTimeoutMS=50")


@pytest.mark.parametrize("document", store.DOCUMENTS, ids=lambda document: document.__name__)
def test_every_declared_index_exists_once_connected(backend, document):
    indexes = {tuple(index["key"]): index for index in raw(document).index_information().values()}
    for spec in document._meta["index_specs"]:
        index = indexes[tuple(spec["fields"])]
        assert index.get("unique", False) == spec.get("unique", False), spec
