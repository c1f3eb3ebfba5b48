"""Every repository of the store, made once and handed to the part that owns its data.

The runtime repositories share one backlog (store/pending.py), which the store
writer (store/writer.py) writes, in the order of `written_behind()`.
"""

import logging

from yascheduler.store.catalog import StoredCatalog
from yascheduler.store.catalog_files import StoredCatalogFiles
from yascheduler.store.counters import StoredCounters
from yascheduler.store.outbox import StoredOutbox
from yascheduler.store.pending import MAX_PENDING, Backlog, Buffered
from yascheduler.store.plays import StoredPlays
from yascheduler.store.radio_inserts import RadioInserts
from yascheduler.store.requests import StoredRequests
from yascheduler.store.send_marks import StoredSendMarks
from yascheduler.store.sessions import StoredSessions
from yascheduler.store.streamers import StoredStreamers
from yascheduler.store.streams import StoredStreams
from yascheduler.store.timelines import StoredTimelines
from yascheduler.store.tokens import StoredTokens

log = logging.getLogger("yascheduler.store")


class Repositories:
    def __init__(self, max_pending: int = MAX_PENDING):
        self.backlog = backlog = Backlog(max_pending)
        self.catalog = StoredCatalog()
        self.radio_inserts = RadioInserts(backlog)  # a start-up import's new radios
        self.catalog_files = StoredCatalogFiles(backlog)
        self.streamers = StoredStreamers(backlog)
        self.streams = StoredStreams(backlog)
        self.sessions = StoredSessions(backlog)
        self.timelines = StoredTimelines(backlog)
        self.counters = StoredCounters()
        self.tokens = StoredTokens(backlog)
        self.plays = StoredPlays(backlog)
        self.requests = StoredRequests(backlog)
        self.outbox = StoredOutbox(backlog, self.counters)
        self.send_marks = StoredSendMarks()  # written by the fleet's part, not behind

    def written_behind(self) -> list[Buffered]:
        """The repositories the writer writes, in this order: the outbox last, so that a
        notification is stored after the changes queued before it; a start-up import's
        radios first, then the file's digest, recorded once they are all stored."""
        return [
            self.radio_inserts,
            self.catalog_files,
            self.streamers,
            self.streams,
            self.sessions,
            self.timelines,
            self.tokens,
            self.plays,
            self.requests,
            self.outbox,
        ]

    def drop_unread_indexes(self) -> None:
        """Drop the indexes of the written-behind collections that nothing reads any more
        (each costs the store a write per document written)."""
        for name in self.timelines.drop_unread_indexes():
            log.info("store: index %s dropped (nothing reads by it)", name)

    def fill_shards(self) -> None:
        """Give their radio's shard to the documents an older version stored without it
        (radios, timelines), and move the masters it stored one a radio into their
        shards' documents, for a take to read its shards' alone."""
        for what, repository in (
            ("radios", self.catalog.radios),
            ("radio timelines", self.timelines),
        ):
            if filled := repository.fill_shards():
                log.info("store: %d %s given their shard", filled, what)
        if moved := self.streams.move_older():
            log.info("store: %d radio masters moved into their shards' documents", moved)

    def clear_state(self) -> dict[str, int]:
        """Delete what the scheduler keeps as it runs, keep the catalog and the play
        history, a record (`yascheduler flush`): how many records each collection lost,
        by collection name."""
        state = {
            "streamers": self.streamers,
            "radio_masters": self.streams,
            "listener_sessions": self.sessions,
            "radio_timelines": self.timelines,
            "outbox": self.outbox,
            "counters": self.counters,
            "vouched_tokens": self.tokens,
            "song_requests": self.requests,
            "send_marks": self.send_marks,
        }
        return {name: repository.clear() for name, repository in state.items()}
