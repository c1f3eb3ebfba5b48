"""Starting and stopping the scheduler: the one start-up path of `yascheduler
run` and of the gunicorn worker (`yascheduler.wsgi`), so that both behave
the same: same settings, same logs, same store, same embedded Redis.

The caller has monkey-patched the standard library already (the console
entry point does it first; gunicorn's gevent worker does it after fork).
"""

import argparse
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from yascheduler.support import logs
from yascheduler.store import connection as store
from yascheduler.support import config
from yascheduler.support.settings import Settings
from yascheduler.support.embedded_redis import EmbeddedRedis
from .service import Service

log = logging.getLogger("yascheduler")


def resolve_settings(
    args: argparse.Namespace | Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> Settings:
    """Flags (none under gunicorn) over YASCHEDULER_* over the config file; ConfigError."""
    return config.resolve(args if args is not None else {}, environ)


def configure_logging(settings: Settings) -> None:
    logs.configure(settings.log_level, settings.log_format)


@dataclass
class Running:
    """A started scheduler, and the embedded redis-server it may have started."""

    settings: Settings
    service: Service | None
    embedded_redis: EmbeddedRedis | None

    def stop(self) -> None:
        """Stop the service, then its Redis; bounded in time, safe to call twice."""
        try:
            if self.service is not None:
                self.service.stop()
        finally:
            if self.embedded_redis is not None:
                self.embedded_redis.stop()
                self.embedded_redis = None


def start(settings: Settings, serve_http: bool = True) -> Running:
    """Connect the store, start Redis if none is configured, start the service.

    Raises CatalogError or another YaschedulerError when it cannot start
    (having stopped whatever it had started). `serve_http`: False under
    gunicorn, whose worker serves the HTTP API itself.
    """
    log.info("settings: %s", config.describe(settings))
    store.connect(settings.mongo_url)
    embedded_redis = service = None
    try:
        redis_url = settings.redis_url
        if redis_url is None:
            embedded_redis = EmbeddedRedis()
            redis_url = embedded_redis.start()
        service = Service(settings, redis_url)
        service.start(serve_http=serve_http)
    except BaseException:
        Running(settings, service, embedded_redis).stop()
        raise
    return Running(settings, service, embedded_redis)
