"""Every repository of the store, made once and handed to the part that owns its data."""

from dataclasses import dataclass, field

from yascheduler.store.catalog import StoredCatalog
from yascheduler.store.catalog_files import StoredCatalogFiles
from yascheduler.store.counters import StoredCounters
from yascheduler.store.outbox import StoredOutbox
from yascheduler.store.sessions import StoredSessions
from yascheduler.store.streamers import StoredStreamers
from yascheduler.store.streams import StoredStreams
from yascheduler.store.timelines import StoredTimelines
from yascheduler.store.tokens import StoredTokens


@dataclass(frozen=True)
class Repositories:
    catalog: StoredCatalog = field(default_factory=StoredCatalog)
    catalog_files: StoredCatalogFiles = field(default_factory=StoredCatalogFiles)
    streamers: StoredStreamers = field(default_factory=StoredStreamers)
    streams: StoredStreams = field(default_factory=StoredStreams)
    sessions: StoredSessions = field(default_factory=StoredSessions)
    timelines: StoredTimelines = field(default_factory=StoredTimelines)
    outbox: StoredOutbox = field(default_factory=StoredOutbox)
    counters: StoredCounters = field(default_factory=StoredCounters)
    tokens: StoredTokens = field(default_factory=StoredTokens)

    def clear_state(self) -> dict[str, int]:
        """Delete what the scheduler keeps as it runs, keep the catalog (`yascheduler
        flush`): how many records each collection lost, by collection name."""
        state = {
            "streamers": self.streamers,
            "radio_streams": self.streams,
            "listener_sessions": self.sessions,
            "radio_timelines": self.timelines,
            "outbox": self.outbox,
            "counters": self.counters,
            "vouched_tokens": self.tokens,
        }
        return {name: repository.clear() for name, repository in state.items()}
