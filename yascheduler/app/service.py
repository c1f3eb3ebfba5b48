"""The running scheduler: every part wired together, and its greenlets supervised.

Greenlets (the Redis subscriber and publisher, the scheduler loop, the
streamers' liveness loop, the listener session expiry, the web app sender)
are spawned into one group; one that dies with an exception is logged and
stops the service, never silently.
"""

import gc
import logging

import gevent
import gevent.event
from gevent.pool import Group
from gevent.pywsgi import WSGIServer

from yascheduler.catalog import importer as catalog
from yascheduler.http import api as http_api
from yascheduler.streaming import protocol
from yascheduler.store import connection as store
from yascheduler.streaming.auth import Authenticator
from yascheduler.streaming.bus import Bus
from yascheduler.support.clock import SystemClock
from yascheduler.support.errors import MessageError, StoreError
from yascheduler.streaming.handlers import Handlers
from yascheduler.streaming.sessions import Listeners
from yascheduler.support.metrics import Metrics
from yascheduler.webapp.sender import OutboxSender
from yascheduler.programming import Programmer, ProgrammingSettings
from yascheduler.programming.catalog_view import radio_from_stored
from yascheduler.programming.persistence import timeline_from_stored
from yascheduler.streaming.stations import MasterPlayer, Stations
from yascheduler.streaming.liveness import Streamers
from yascheduler.streaming.masters import Streams
from yascheduler.streaming.users import Users
from yascheduler.webapp.notifier import Notifier, TokenChecker
from yascheduler.webapp.outbox import Outbox
from .repositories import Repositories

log = logging.getLogger("yascheduler.service")

STOP_TIMEOUT = 3.0
# the loop wakes at least every HEARTBEAT seconds (programming.engine); allow for load
LOOP_SILENCE_LIMIT = 5.0


class Service:
    def __init__(self, settings, redis_url: str, clock=None):
        self.settings = settings
        self.clock = clock or SystemClock()
        self.repositories = stored = Repositories()
        self.metrics = Metrics()
        self.group = Group()
        self.stopped = gevent.event.Event()
        self.failure: str | None = None
        self.http_server: WSGIServer | None = None
        self.bus = Bus(redis_url, self.metrics, self.on_raw_message, self.clock)
        self.streams = Streams(self.clock, stored.streams)
        self.listeners = Listeners(self.clock, stored.sessions)
        self.notifier = Notifier(
            self.clock,
            settings.yaapp_url,
            settings.yaapp_key,
            settings.timezone,
            Outbox(stored.outbox, stored.counters),
        )
        self.token_checker = (
            TokenChecker(
                settings.yaapp_url,
                settings.yaapp_key,
                stored.tokens,
                observe=self.metrics.observe_webapp,
                clock=self.clock,
            )
            if settings.yaapp_url
            else None
        )
        self.users = Users(stored.catalog.users)
        self.authenticator = Authenticator(self.users, self.token_checker)
        self.streamers = Streamers(
            self.clock,
            self.bus,
            stored.streamers,
            settings.ping_interval,
            settings.unreachable_timeout,
            on_dead=self._streamer_dead,
            on_back=lambda name: self.stations.resync(name),
        )
        self.bus.deliveries = self.streamers
        player = MasterPlayer(self.bus, self.streams, self.notifier)
        self.programmer = Programmer(
            self.clock,
            player,
            programming_settings(settings),
            stored.timelines,
            observe_lateness=self.metrics.play_lateness.observe,
        )
        self.stations = Stations(
            self.clock,
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
        self.handlers = Handlers(self.bus, self.streamers, self.stations, self.authenticator)
        self.metrics.track(self._gauges())

    # --- life cycle -------------------------------------------------------------

    def start(self, serve_http: bool = True) -> None:
        """Load the state and start every loop; `serve_http`: False when the
        HTTP server is someone else's (gunicorn's worker serves `http_api`)."""
        imported = []
        if self.settings.catalog:
            change = catalog.load_catalog_file(self.settings.catalog, self.repositories.catalog)
            log.info("catalog %s: %s", self.settings.catalog, change.summary())
            imported = change.stored_radios
        self.users.load()
        if self.token_checker is not None:
            self.users.vouch(self.token_checker.load())
        self.notifier.outbox.load()
        self.streams.load()
        self.listeners.load()
        self.programmer.load(
            self.repositories.catalog.radios.ready(radio_from_stored, imported),
            self.repositories.timelines.load_all(timeline_from_stored),
        )
        self._stop_streams_of_unprogrammed_radios()
        _spare_from_the_collector()
        self.spawn(self.bus.run)
        self.spawn(self.bus.run_publisher)
        self.scheduler_loop = self.spawn(self.programmer.run_forever)
        if self.notifier.enabled:
            sender = OutboxSender(
                self.notifier,
                observe=self.metrics.observe_webapp,
                on_park=self.metrics.count_parked,
            )
            self.spawn(sender.run)
        self.streamers.load()
        self.spawn(self.streamers.run)
        self.spawn(self.stations.run_session_expiry)
        if serve_http:
            self._serve_http()
        log.info("yascheduler started: %s", self.status())

    def _serve_http(self) -> None:
        host, port = self.settings.http
        self.http_server = WSGIServer((host, port), http_api.make_app(self), log=None)
        self.http_server.start()
        log.info("HTTP API on http://%s:%d/", host, self.http_server.server_port)

    def spawn(self, function, *args) -> gevent.Greenlet:
        greenlet = self.group.spawn(function, *args)
        greenlet.link_exception(self._greenlet_died)
        return greenlet

    def _greenlet_died(self, greenlet: gevent.Greenlet) -> None:
        self.failure = f"{getattr(greenlet, 'name', greenlet)} died: {greenlet.exception!r}"
        log.error("stopping: %s", self.failure, exc_info=greenlet.exc_info)
        self.stopped.set()

    def request_stop(self) -> None:
        self.stopped.set()

    def stop(self) -> None:
        """Stop taking work, then stop every greenlet; bounded in time."""
        if self.http_server is not None:
            self.http_server.stop(timeout=1)
        self.group.kill(timeout=STOP_TIMEOUT)
        if self.bus.connected:
            self.bus.flush()
        self.bus.close()
        self.stopped.set()
        log.info("yascheduler stopped")

    # --- streamer messages ------------------------------------------------------------

    def on_raw_message(self, raw: bytes) -> None:
        try:
            message = protocol.decode(raw)
        except MessageError as error:
            self.metrics.rejected[error.reason] += 1
            log.warning("message rejected (%s): %s", error.reason, error.detail)
            return
        self.metrics.received[message["type"]] += 1
        try:
            self.handlers.handle(message)
        except Exception:
            # One message must not take the service down; the traceback says why it failed.
            self.metrics.rejected["handler_error"] += 1
            log.exception("handling %s failed", message["type"])

    def _streamer_dead(self, name: str, why: str) -> None:
        self.metrics.streamers_dropped.inc()
        self.stations.drop_streamer(name, why)

    def apply_catalog(self, change: catalog.CatalogChange) -> None:
        """Take in the users an import changed; program the radios it created or changed;
        stop those it deleted or made not ready."""
        if change.users:
            self.users.load()
        radios = [radio_from_stored(stored) for stored in change.stored_radios]
        self.programmer.set_radios([radio for radio in radios if radio.ready])
        for radio in radios:
            if not radio.ready:
                self._retire_radio(radio.uuid, "not ready")
        for radio_uuid in change.deleted:
            self._retire_radio(radio_uuid, "deleted")
        _spare_from_the_collector()
        log.info("catalog applied: %s", change.summary())

    def _stop_streams_of_unprogrammed_radios(self) -> None:
        """Radios deleted or made not ready while the service was down stop being streamed."""
        for radio_uuid in list(self.streams.masters):
            if not self.programmer.is_programmed(radio_uuid):
                self.stations.stop_stream(radio_uuid, "no longer in the catalog", tell_master=True)

    def _retire_radio(self, radio_uuid: str, why: str) -> None:
        self.programmer.remove_radio(radio_uuid)
        self.stations.stop_stream(radio_uuid, why, tell_master=True)

    # --- what the HTTP API shows ---------------------------------------------------------

    def status(self) -> dict:
        programming = self.programmer.counts()
        return {
            "streamers": self.streamers.count(),
            "radios": programming["radios"],
            "streaming_radios": self.streams.count(),
            "broken_radios": programming["broken_radios"],
            "listeners": self.listeners.count(),
            "events": programming["events"],
            "outbox": self.notifier.backlog(),
            "outbox_parked": self.notifier.outbox.parked_count(),
            "redis_connected": self.bus.connected,
            "messages_received": dict(self.metrics.received),
            "messages_sent": dict(self.metrics.sent),
            "messages_rejected": dict(self.metrics.rejected),
            "play_lateness": self.programmer.lateness(),
        }

    def radio_view(self, radio_uuid: str) -> dict | None:
        programming = self.programmer.radio_view(radio_uuid)
        if programming is None:
            return None
        return {
            "uuid": radio_uuid,
            "master_streamer": self.streams.master(radio_uuid),
            "listeners": self.listeners.count(radio_uuid),
            **programming,
        }

    def _gauges(self) -> dict:
        def programming(count):
            return lambda: self.programmer.counts()[count]

        return {
            "yascheduler_streamers": ("Registered streamers", self.streamers.count),
            "yascheduler_radios": ("Programmed radios", programming("radios")),
            "yascheduler_streaming_radios": ("Radios with a master streamer", self.streams.count),
            "yascheduler_broken_radios": (
                "Radios with nothing playable",
                programming("broken_radios"),
            ),
            "yascheduler_listeners": ("Open listener sessions", self.listeners.count),
            "yascheduler_event_queue_depth": ("Pending scheduled events", programming("events")),
            "yascheduler_outbox_backlog": (
                "Web app notifications not yet delivered",
                self.notifier.backlog,
            ),
            "yascheduler_outbox_parked": (
                "Web app notifications refused for good, waiting for an operator",
                self.notifier.outbox.parked_count,
            ),
        }

    def healthy(self) -> tuple[bool, str]:
        """Healthy while Redis is connected, the store answers and the scheduler loop runs."""
        if not self.bus.connected:
            return False, "redis is not connected"
        try:
            store.ping()
        except StoreError as error:
            return False, f"the store does not answer: {error}"
        silent = self.clock.now() - self.programmer.last_loop_at
        if silent > LOOP_SILENCE_LIMIT:
            return False, f"the scheduler loop has not run for {silent:.1f}s"
        return True, "ok"


def programming_settings(settings) -> ProgrammingSettings:
    return ProgrammingSettings(
        prepare_seconds=settings.prepare_seconds,
        crossfade_seconds=settings.crossfade_seconds,
        default_timezone=settings.timezone,
        title_separation=settings.title_separation,
        artist_separation=settings.artist_separation,
    )


def _spare_from_the_collector() -> None:
    """Keep what exists now (the catalog, the programmed radios) out of garbage collections.

    They live as long as the process, and a full collection walks every
    object it tracks: with 100,000 radios that is a pause of a second or
    more in the scheduler loop, every time one runs. Reference counting
    still frees them when they are let go.
    """
    gc.freeze()
