"""Starting and stopping the scheduler: the one start-up path of `yascheduler
run` and of the gunicorn worker (`yascheduler.app.wsgi`), so that both behave
the same: same settings, same logs, same store, same embedded Redis.

The caller has monkey-patched the standard library already (the console
entry point does it first; gunicorn's gevent worker does it after fork).
"""

import argparse
import logging
import os
import signal
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import gevent

from yascheduler.store import connection as store
from yascheduler.store.embedded import EmbeddedStore
from yascheduler.support import config, logs
from yascheduler.support.embedded_redis import EmbeddedRedis
from yascheduler.support.errors import CatalogError, ConfigError, YaschedulerError
from yascheduler.support.settings import Settings

from .service import Service

log = logging.getLogger("yascheduler")


@dataclass
class Running:
    """A started scheduler, and the embedded servers it may have started."""

    settings: Settings
    service: Service | None = None
    embedded_store: EmbeddedStore | None = None
    embedded_redis: EmbeddedRedis | None = None

    def stop(self) -> None:
        """Stop the service, then its store and Redis; bounded in time, safe to call twice."""
        try:
            if self.service is not None:
                self.service.stop()
        finally:
            store.disconnect()
            if self.embedded_store is not None:
                self.embedded_store.stop()
                self.embedded_store = None
            elif is_in_memory(self.settings.mongo_url):
                log.warning("the in-memory store is gone: everything it held is lost")
            if self.embedded_redis is not None:
                self.embedded_redis.stop()
                self.embedded_redis = None


def start(settings: Settings, serve_http: bool = True) -> Running:
    """Start the store server and Redis if none is configured, connect, start the service.

    Raises CatalogError or another YaschedulerError when it cannot start
    (having stopped whatever it had started). `serve_http`: False under
    gunicorn, whose worker serves the HTTP API itself.
    """
    log.info("settings: %s", config.describe(settings))
    running = Running(settings)
    try:
        store.connect(open_store(settings, running, listen=settings.store_listen))
        redis_url = settings.redis_url
        if redis_url is None:
            running.embedded_redis = EmbeddedRedis()
            redis_url = running.embedded_redis.start()
        running.service = Service(settings, redis_url)
        running.service.start(serve_http=serve_http)
    except BaseException:
        running.stop()
        raise
    return running


def open_store(settings: Settings, running: Running, listen: tuple[str, int] | None = None) -> str:
    """The store's URL: mongo_url, or the embedded store server's, started on data_dir
    (on `listen`, served to other instances, else on a free loopback port)."""
    if settings.mongo_url is not None:
        return settings.mongo_url
    running.embedded_store = EmbeddedStore(settings.data_dir, listen)
    return running.embedded_store.start()


@contextmanager
def store_of(settings: Settings):
    """The store connected for a command that reads it with the service stopped or not
    (`flush`, `history export`): mongo_url's, or the embedded store server's on
    data_dir, on a loopback port whatever store_listen says: served to no other
    instance; disconnected, and that server stopped, after."""
    running = Running(settings)
    try:
        store.connect(open_store(settings, running))
        yield
    finally:
        running.stop()


def is_in_memory(mongo_url: str | None) -> bool:
    return mongo_url is not None and urlsplit(mongo_url).scheme == store.IN_MEMORY_SCHEME


def store_failed(error: Exception, shown_url: str) -> int:
    """A command's store work failed: said on stderr (ours as it is, the driver's own,
    server unreachable or auth, with the store it names); the exit status."""
    where = "" if isinstance(error, YaschedulerError) else f"{shown_url}: "
    print(f"yascheduler: {where}{error}", file=sys.stderr)
    return 1


def settings_of(args: argparse.Namespace) -> Settings | None:
    """A command's settings; None once it is said what is wrong in them (exit status 2)."""
    try:
        return config.resolve(args)
    except ConfigError as error:
        print(f"yascheduler: {error}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    """`yascheduler run`: start, serve until a signal, stop; the exit status."""
    settings = settings_of(args)
    if settings is None:
        return 2
    logs.configure(settings.log_level, settings.log_format)
    signals = StopSignals()  # from now on: a SIGTERM during start-up stops it once started
    try:
        running = start(settings)
    except CatalogError as error:
        log.error("the catalog is broken: %s", error)
        return 2
    except YaschedulerError as error:
        log.error("%s", error)
        return 2
    try:
        signals.stop_when_told(running.service)
        running.service.stopped.wait()
    finally:
        running.stop()
    return 1 if running.service.failure else 0


class StopSignals:
    """First SIGTERM/SIGINT: stop cleanly (the service told at once, or as soon as it
    has started: the HTTP API may say healthy before start-up returns). A second one:
    exit at once."""

    def __init__(self):
        self._seen: list[int] = []
        self._service = None
        for signum in (signal.SIGTERM, signal.SIGINT):
            gevent.signal_handler(signum, self._on_signal, signum)

    def stop_when_told(self, service) -> None:
        self._service = service
        if self._seen:
            service.request_stop()

    def _on_signal(self, signum: int) -> None:
        self._seen.append(signum)
        if len(self._seen) > 1:
            os._exit(128 + signum)
        log.info("%s received: stopping", signal.Signals(signum).name)
        if self._service is not None:
            self._service.request_stop()
