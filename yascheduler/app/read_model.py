"""What the HTTP API and the metrics read of the running service: snapshots.

Every answer is built from copies taken now (tuples, frozensets, new dicts),
never from the parts' live sets and dicts: a page being rendered cannot see
them change, nor change them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from types import MappingProxyType

from yascheduler.programming import preview

# the loop wakes at least every HEARTBEAT seconds (programming.engine); allow for load
LOOP_SILENCE_LIMIT = 5.0


@dataclass(frozen=True)
class RadioIndex:
    """The programmed radios now, for filtering and paging them."""

    uuids: tuple[str, ...]  # sorted
    broken: frozenset[str]
    masters: Mapping[str, str]  # radio uuid -> its master streamer
    search_keys: Mapping[str, str]  # uuid -> "<uuid> <name>", lower case


@dataclass(frozen=True)
class Session:
    session_id: str
    streamer: str | None
    radio_uuid: str
    user_id: int | None
    started_at: float


class ReadModel:
    def __init__(
        self,
        clock,
        settings,
        bus,
        streamers,
        streams,
        listeners,
        programmer,
        notifier,
        metrics,
        store,
        series,
        history=None,
        requests=None,
    ):
        self.clock = clock
        self.settings = settings
        self._bus = bus
        self._streamers = streamers
        self._streams = streams
        self._listeners = listeners
        self._programmer = programmer
        self._notifier = notifier
        self._metrics = metrics
        self.fleet_waits = lambda: None  # why the fleet is not ready yet: app/fleet.py
        self.fleet = None  # the fleet as this instance sees it: app/fleet_view.py
        self._store = store  # the store writer: what it knows of the store
        self._series = series  # the last hour's samples (series.Series)
        self.history = history  # play_history.PlayHistoryReader: what played
        self.requests = requests  # song_requests.SongRequests: listener requests

    def now(self) -> float:
        return self.clock.now()

    def status(self) -> dict:
        programming = self._programmer.counts()
        outbox = self._notifier.outbox
        return {
            "streamers": self._streamers.count(),
            "radios": programming["radios"],
            "streaming_radios": self._streams.count(),
            "broken_radios": programming["broken_radios"],
            "listeners": self._listeners.count(),
            "events": programming["events"],
            "outbox": self._notifier.backlog(),
            "outbox_parked": outbox.parked_count(),
            "redis_connected": self._bus.connected,
            "store": self.store(),
            "messages_received": dict(self._metrics.received),
            "messages_sent": dict(self._metrics.sent),
            "messages_rejected": dict(self._metrics.rejected),
            "play_lateness": self._programmer.lateness(),
            "schedule_adherence": self.adherence(),
            "server_time": self.now(),
            "outbox_enabled": self._notifier.enabled,
            "outbox_oldest_at": outbox.oldest_created_at(),
            "ping_interval": self.settings.ping_interval,
            "instance": self.settings.instance_id,
            "fleet": None if self.fleet is None else self.fleet.totals(),
        }

    def store(self) -> dict:
        """The store as the writer knows it: whether it answers, what waits for it."""
        writer, backlog = self._store, self._store.backlog
        return {
            "reachable": writer.answers(),
            "unreachable_for": writer.unreachable_for(),
            "last_error": writer.last_error or None,
            "pending": writer.unwritten(),  # waiting, or in the write in flight
            "max_pending": backlog.limit,
            "full": backlog.full,
            "dropped": backlog.dropped,
            "messages_held": self._bus.holding(),
            "messages_sent_unstored": dict(self._metrics.sent_unstored),
        }

    def radio(self, radio_uuid: str) -> dict | None:
        """The radio now (its programming, master and listeners); None if not programmed."""
        programming = self._programmer.radio_view(radio_uuid)
        if programming is None:
            return None
        return {
            "uuid": radio_uuid,
            "name": self._programmer.radio_name(radio_uuid),
            "master_streamer": self._streams.master(radio_uuid),
            "listeners": self._listeners.count(radio_uuid),
            "owner": self.settings.instance_id,
            **programming,
        }

    def instances(self) -> list[dict]:
        """Every instance of the fleet, as their heartbeats told (app/fleet_view.py)."""
        return [] if self.fleet is None else self.fleet.instances()

    def radio_owner(self, radio_uuid: str) -> dict | None:
        """Who programs a radio this instance does not (one read of the store)."""
        return None if self.fleet is None else self.fleet.owner_of(radio_uuid)

    def adherence(self) -> dict:
        """How the radios keep to their schedule (programming.adherence)."""
        return self._programmer.adherence().summary()

    def schedule(self, radio_uuid: str, start, hours: int) -> dict | None:
        """What the radio will play from `start` (None: now) for `hours`: a dry run of the
        engine on a copy of the radio (programming.preview); None if not programmed."""
        return preview.preview(self._programmer, radio_uuid, start, hours)

    def series(self) -> tuple[float, float, list]:
        """(seconds between samples, seconds kept, the samples oldest first: series.Sample)."""
        return self._series.interval, self._series.window, self._series.samples()

    def is_programmed(self, radio_uuid: str) -> bool:
        return self._programmer.is_programmed(radio_uuid)

    def radio_index(self) -> RadioIndex:
        return RadioIndex(
            uuids=self._programmer.radio_uuids(),
            broken=self._programmer.broken_uuids(),
            masters=MappingProxyType(dict(self._streams.masters)),
            search_keys=self._programmer.search_keys(),
        )

    def streamers(self) -> list[dict]:
        """Every registered streamer: its state, when last heard from, the radios it holds."""
        held: dict[str, list[str]] = {}
        for radio_uuid, master in self._streams.masters.items():
            held.setdefault(master, []).append(radio_uuid)
        return [
            {
                "name": name,
                "state": self._streamers.liveness(name),
                "last_seen_at": self._streamers.last_seen(name),
                "radios": tuple(sorted(held.get(name, ()))),
            }
            for name in self._streamers.names()
        ]

    def listeners(self, radio_uuid: str | None, offset: int, limit: int):
        """(how many, a page of them oldest first): the open sessions, of one radio or all."""
        if radio_uuid is None:
            sessions, total = self._listeners.sessions.values(), self._listeners.count()
        else:
            sessions = self._listeners.of_radio(radio_uuid)
            total = len(sessions)
        page = [
            Session(s.session_id, s.streamer, s.radio_uuid, s.user_id, s.started_at)
            for s in islice(sessions, offset, offset + limit)
        ]
        return total, page

    def events(self, offset: int, limit: int):
        """(how many pending, a page of them soonest first as (at, uuid, kind), lateness)."""
        pending = self._programmer.pending_events(offset + limit)[offset:]
        return self._programmer.pending_count(), pending, self._programmer.recent_lateness()

    def parked(self, radio_uuid: str | None, offset: int, limit: int):
        """(how many, a page of them): parked web app notifications, as stored."""
        return self._notifier.outbox.parked_page(radio_uuid, offset, limit)

    def health(self) -> tuple[bool, str]:
        """Healthy while Redis is connected, the store answers (as the store writer last
        found it: no request waits for the store) and the scheduler loop runs."""
        if not self._bus.connected:
            return False, "redis is not connected"
        if not self._store.answers():
            pending = self._store.backlog.pending()
            why = self._store.last_error or "a write has not come back"
            return False, f"store unreachable ({why}; {pending} changes wait)"
        waits = self.fleet_waits()
        if waits is not None:
            return False, waits
        silent = self.now() - self._programmer.last_loop_at
        if silent > LOOP_SILENCE_LIMIT:
            return False, f"the scheduler loop has not run for {silent:.1f}s"
        return True, "ok"

    def metrics(self) -> bytes:
        return self._metrics.exposition()

    def gauges(self) -> dict:
        """The gauges /metrics reads at scrape time: {name: (help, read)}."""

        def programming(count):
            return lambda: self._programmer.counts()[count]

        outbox = self._notifier.outbox
        return {
            "yascheduler_streamers": ("Registered streamers", self._streamers.count),
            "yascheduler_radios": ("Programmed radios", programming("radios")),
            "yascheduler_streaming_radios": ("Radios with a master streamer", self._streams.count),
            "yascheduler_broken_radios": (
                "Radios with nothing playable",
                programming("broken_radios"),
            ),
            "yascheduler_listeners": ("Open listener sessions", self._listeners.count),
            "yascheduler_event_queue_depth": ("Pending scheduled events", programming("events")),
            "yascheduler_outbox_backlog": (
                "Web app notifications not yet delivered",
                self._notifier.backlog,
            ),
            "yascheduler_outbox_parked": (
                "Web app notifications refused for good, waiting for an operator",
                outbox.parked_count,
            ),
            "yascheduler_store_pending_changes": (
                "Changes waiting to be written to the store (one per document)",
                self._store.backlog.pending,
            ),
            "yascheduler_shards_held": (
                "Shards of the radios this instance leases and programs",
                lambda: 0 if self.fleet is None else len(self.fleet.membership.leases),
            ),
            "yascheduler_store_up": (
                "1 while the store answers (its last write or ping went through), else 0",
                lambda: int(self._store.answers()),
            ),
            "yascheduler_store_backlog_full": (
                "1 while the store's backlog is full: changes to other documents are dropped",
                lambda: int(self._store.backlog.full),
            ),
        }

    def counts(self) -> dict:
        """The counters /metrics reads at scrape time: {name: (help, read)}."""
        return {
            "yascheduler_store_changes_dropped": (
                "Changes dropped, not stored, because the store's backlog was full",
                lambda: self._store.backlog.dropped,
            ),
        }
