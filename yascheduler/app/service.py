"""The running scheduler: every part wired together, and supervised.

This is the only place that knows every part. Each long-running part (the
Redis subscriber and publisher, the scheduler loop, liveness, the session
expiry, the web app sender, the token checker's workers) runs in the
supervisor's one shape (support.supervisor): named, restarted by nobody,
and stopping the service if it dies.
"""

import hashlib
import logging
from pathlib import Path

import gevent
import gevent.event
from gevent.pywsgi import WSGIServer

from yascheduler.catalog import importer
from yascheduler.http import api as http_api
from yascheduler.programming import Programmer, ProgrammingSettings
from yascheduler.programming.adherence import AdherenceMeter
from yascheduler.store import connection
from yascheduler.store.writer import Writer
from yascheduler.streaming.auth import Authenticator
from yascheduler.streaming.bus import Bus, Publisher
from yascheduler.streaming.subscriber import Subscriber
from yascheduler.streaming.handlers import Handlers
from yascheduler.streaming.liveness import Streamers
from yascheduler.streaming.masters import Streams
from yascheduler.streaming.sessions import Listeners
from yascheduler.streaming.stations import MasterPlayer, SessionExpiry, Stations
from yascheduler.streaming.users import Users
from yascheduler.support.clock import SystemClock
from yascheduler.support.errors import CatalogError, StoreError
from yascheduler.support.metrics import Metrics
from yascheduler.support.supervisor import Supervisor
from yascheduler.support.freed_memory import GiveBack, give_back, spare_from_the_collector
from yascheduler.webapp.notifier import Notifier, TokenChecker
from yascheduler.webapp.outbox import Outbox
from yascheduler.webapp.sender import OutboxSender

from .admin import Admin
from .catalog_changes import CatalogChanges
from .play_history import PlayHistoryReader
from .play_log import Gathering, PlayLog, Retention
from .fleet import FLEET_CHANNEL, Fleet
from .read_model import ReadModel
from .repositories import Repositories
from .series import Series
from .song_requests import SongRequests

log = logging.getLogger("yascheduler.service")

# a turn in hand (a message, an event, a request to the web app) has this long to end
STOP_GRACE = 3.0


class Service:
    def __init__(self, settings, redis_url: str, clock=None):
        self.settings = settings
        self.clock = clock = clock or SystemClock()
        self.repositories = stored = Repositories()
        self.metrics = Metrics()
        self.writer = Writer(
            stored.backlog,
            stored.written_behind(),
            settings.write_delay,
            ping=connection.ping,
            metrics=self.metrics,
        )
        self.stopped = gevent.event.Event()
        self.failure: str | None = None
        self.supervisor = Supervisor(self._failed)
        self.http_server: WSGIServer | None = None
        self.bus = Bus(redis_url, self.metrics, clock)
        self.bus.barrier = self.writer
        self.writer.listeners.append(self.bus.store_moved_on)
        self.streams = Streams(clock, stored.streams)
        self.listeners = Listeners(clock, stored.sessions)
        self.notifier = Notifier(
            clock,
            settings.yaapp_url,
            settings.yaapp_key,
            settings.timezone,
            Outbox(stored.outbox, write_now=self.writer.write_now, hurry=self.writer.hurry),
        )
        self.token_checker = self._token_checker()
        self.users = Users(stored.catalog.users)
        self.streamers = Streamers(
            clock,
            self.bus,
            stored.streamers,
            settings.ping_interval,
            settings.unreachable_timeout,
            on_dead=lambda name, why: self.fleet.streamer_dead(name, why),
            on_back=lambda name: self.fleet.streamer_back(name),
        )
        self.bus.deliveries = self.streamers
        player = MasterPlayer(self.bus, self.streams, self.notifier)
        self.programmer = Programmer(
            clock,
            player,
            programming_settings(settings),
            stored.timelines,
            observe_lateness=self.metrics.play_lateness.observe,
            observer=AdherenceMeter(clock, self.metrics.show_start_lateness.observe),
            tracks=PlayLog(stored.plays, self.listeners),
            requests=stored.requests,
        )
        self.retention = Retention(clock, stored.plays, settings.history_days)
        self.gathering = Gathering(stored.plays)
        self.stations = Stations(
            clock,
            self.bus,
            self.streams,
            self.listeners,
            self.streamers,
            self.programmer,
            player,
            self.notifier,
            self.users,
            settings.master_policy,
            settings.max_session_seconds,
        )
        self.handlers = Handlers(
            self.bus,
            self.streamers,
            self.stations,
            Authenticator(self.users, self.token_checker),
            self.metrics,
            acts_on=lambda message: self.fleet.dispatch.acts_on(message),
        )
        self.catalog_changes = CatalogChanges(
            self.users, self.programmer, self.stations, self.streams
        )
        self.series = Series(clock, self.programmer.lateness_after, self.listeners.counts_by_radio)
        self.reader = ReadModel(
            clock,
            settings,
            self.bus,
            self.streamers,
            self.streams,
            self.listeners,
            self.programmer,
            self.notifier,
            self.metrics,
            self.writer,
            self.series,
            PlayHistoryReader(stored.plays, stored.catalog.radios, settings.timezone),
            song_requests := SongRequests(self.programmer),
        )
        self.admin = Admin(
            settings.admin_token, stored.catalog, self.catalog_changes, self.notifier, song_requests
        )
        self.admin.start_up_import_stored = stored.radio_inserts.stored
        self.fleet = Fleet(self)
        self.metrics.track(self.reader.gauges())
        self.metrics.track_adherence(self.reader.adherence)
        self.metrics.track_counts(self.reader.counts())

    def _token_checker(self) -> TokenChecker | None:
        if not self.settings.yaapp_url:
            return None
        return TokenChecker(
            self.settings.yaapp_url,
            self.settings.yaapp_key,
            self.repositories.tokens,
            observe=self.metrics.observe_webapp,
            clock=self.clock,
        )

    # --- life cycle -------------------------------------------------------------

    def start(self, serve_http: bool = True) -> None:
        """Load the state and start every part; `serve_http`: False when the HTTP
        server is someone else's (gunicorn's worker serves `http_app()`)."""
        self._load()
        # the writer first: it stores the import's radios while the first share loads
        self.supervisor.run(self.writer)
        self.fleet.membership.join()  # InstanceAlive: this id runs already
        for part in self._parts():
            self.supervisor.run(part)
        if serve_http:
            self._serve_http()
        log.info("yascheduler started: %s", self.reader.status())

    def _load(self) -> None:
        # into a store that holds no radio yet, the import's are all the radios there are
        first = bool(self.settings.catalog) and self.repositories.catalog.radios.count() == 0
        imported = self._import_catalog_file() if self.settings.catalog else []
        self.users.load()
        if self.token_checker is not None:
            self.users.vouch(self.token_checker.load())
        self.notifier.outbox.load()
        self.repositories.plays.keep_for(self.settings.history_days)
        self.repositories.drop_unread_indexes()
        self.repositories.fill_shards()  # those an older version stored: a take reads by shard
        # the radios, their timelines, masters and sessions: as the shards are taken
        self.fleet.imported, self.fleet.only_imported = imported, first
        self.streamers.load()
        spare_from_the_collector()

    def _import_catalog_file(self) -> list[dict]:
        """Import --catalog, unless it was imported as it is now: the radios it stored.

        Its new radios are written behind (store/radio_inserts.py) while the engine
        programs them; the file's digest is recorded once they are all stored."""
        path = str(Path(self.settings.catalog).expanduser().resolve())
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            raise CatalogError(path, f"cannot read: {error.strerror or error}") from None
        digest = hashlib.sha256(data).hexdigest()
        files = self.repositories.catalog_files
        last = files.record(path)
        if last.digest == digest:
            log.info("catalog %s: unchanged since its last import, not imported again", path)
            return []
        if last.importing == digest:
            log.warning(
                "catalog %s: its last import was cut short before all of it was stored "
                "(stopped, or the store away): imported again",
                path,
            )
        at, inserts = self.clock.now(), self.repositories.radio_inserts

        def insert_behind(radios: list[dict]) -> None:
            files.importing(path, digest, last)
            inserts.insert_all(radios, then=lambda: self._catalog_stored(path, digest, at))

        change = importer.import_catalog(data, self.repositories.catalog, insert_behind)
        log.info("catalog %s: %s", path, change.summary())
        return change.stored_radios

    def _catalog_stored(self, path: str, digest: str, at: float) -> None:
        """Every radio the start-up import wrote is stored: the file counts as imported."""
        self.repositories.catalog_files.imported(path, digest, at)
        give_back()  # what their packed documents, waiting for the store, held
        log.info("catalog %s: every radio of its import stored", path)

    def _parts(self) -> list:
        parts = [
            self.fleet.beat,
            Subscriber(self.bus, self.handlers.receive, {FLEET_CHANNEL: self.fleet.heard}),
            Publisher(self.bus),
            self.fleet.send_marks,
            self.fleet.handover,
            self.fleet.steady(self.programmer),
            self.fleet.steady(self.streamers),
            SessionExpiry(self.stations),
            self.series,
            self.retention,
            self.gathering,
            GiveBack(),
        ]
        if self.notifier.enabled:
            sender = OutboxSender(
                self.notifier,
                observe=self.metrics.observe_webapp,
                on_park=self.metrics.count_parked,
            )
            parts.append(self.fleet.outbox_sender(sender))
        if self.token_checker is not None:
            parts.extend(self.token_checker.workers())
        return parts

    def http_app(self):
        return http_api.make_app(self.reader, self.admin)

    def _serve_http(self) -> None:
        host, port = self.settings.http
        self.http_server = WSGIServer((host, port), self.http_app(), log=None)
        self.http_server.start()
        log.info("HTTP API on http://%s:%d/", host, self.http_server.server_port)

    def _failed(self, failure: str) -> None:
        self.failure = failure
        self.stopped.set()

    def request_stop(self) -> None:
        self.stopped.set()

    def stop(self) -> None:
        """Stop taking work, let every part finish the turn in hand, then stop; bounded."""
        self.stopped.set()
        if self.http_server is not None:
            self.http_server.stop(timeout=1)
        self.supervisor.stop(STOP_GRACE)
        self._write_what_waits()
        self.fleet.leave()  # every radio handed over at once
        if self.bus.connected:
            self.bus.flush(final=True)  # the replies and plays of the last turns
        self.bus.close()
        log.info("yascheduler stopped")

    def _write_what_waits(self) -> None:
        """The changes of the last turns into the store, within STOP_GRACE."""
        try:
            with gevent.Timeout(STOP_GRACE, StoreError("the store took too long")):
                self.writer.write_now()
        except StoreError as error:
            log.error("stopping: %d changes not stored (%s)", self.writer.unwritten(), error)

    def drop_streamer(self, name: str, why: str) -> None:
        """The streamer is dead: the radios this instance owns of it stop being streamed."""
        self.metrics.streamers_dropped.inc()
        self.stations.drop_streamer(name, why)


def programming_settings(settings) -> ProgrammingSettings:
    return ProgrammingSettings(
        prepare_seconds=settings.prepare_seconds,
        crossfade_seconds=settings.crossfade_seconds,
        default_timezone=settings.timezone,
        title_separation=settings.title_separation,
        artist_separation=settings.artist_separation,
        request_repeat_seconds=settings.request_repeat_minutes * 60.0,
        requests_per_user=settings.requests_per_user,
        requests_per_radio=settings.requests_per_radio,
        decide_ahead=settings.decide_ahead_seconds,
    )
