"""yascheduler under gunicorn: `gunicorn -c config/gunicorn.conf.py yascheduler.wsgi:application`.

One gevent worker runs the whole scheduler, started by the config file's
post_worker_init hook (after the worker has monkey-patched itself) through
the same `runner` as `yascheduler run`, with the settings of the
environment (YASCHEDULER_*, YASCHEDULER_CONFIG). `application` serves the
HTTP API of that scheduler; before it has started, or once it has stopped,
it answers 503.

The gunicorn master imports this module (from the config file) before any
patch, so at the top it imports only the settings (support.config), which
touch neither socket, ssl nor threading; the rest is imported in the worker.
"""

import logging
import sys

from yascheduler.support import config
from yascheduler.support.settings import Settings
from yascheduler.support.errors import CatalogError, ConfigError, YaschedulerError

log = logging.getLogger("yascheduler")

# The gunicorn arbiter stops (and exits 3) when a worker exits with this status
# before it has booted, instead of starting another worker; so does a broken catalog.
WORKER_BOOT_ERROR = 3

_running = None  # runner.Running, in the worker once started
_app = None  # the service's http_app(), while the scheduler runs


def application(environ, start_response):
    app = _app
    if app is None:
        body = b"yascheduler is not running in this worker\n"
        start_response(
            "503 Service Unavailable",
            [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
        )
        return [body]
    return app(environ, start_response)


# --- what config/gunicorn.conf.py uses ------------------------------------------------


def master_settings() -> Settings:
    """The settings, resolved in the master to bind and log; exit 2 on a wrong one."""
    try:
        return config.resolve({})
    except ConfigError as error:
        print(f"yascheduler: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def on_starting(server) -> None:
    """Refuse a command line that would run two schedulers, or no gevent."""
    cfg = server.cfg
    problems = []
    if cfg.workers != 1:
        problems.append(f"exactly one worker runs the scheduler, not {cfg.workers} (-w)")
    if not cfg.worker_class_str.startswith("gevent"):
        problems.append(f"the worker class must be gevent, not {cfg.worker_class_str!r} (-k)")
    if cfg.preload_app:
        problems.append("--preload would import the scheduler before gevent patches the worker")
    if problems:
        for problem in problems:
            print(f"yascheduler: {problem}", file=sys.stderr)
        raise SystemExit(2)


def post_worker_init(worker) -> None:
    """Start the scheduler in the worker, as `yascheduler run` does."""
    global _running, _app
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        raise RuntimeError("yascheduler needs gunicorn's gevent worker (worker_class = 'gevent')")

    from yascheduler.support import logs

    from . import runner

    settings = config.resolve({})
    logs.configure(settings.log_level, settings.log_format)
    try:
        _running = runner.start(settings, serve_http=False)
    except CatalogError as error:
        log.error("the catalog is broken: %s", error)
        sys.exit(WORKER_BOOT_ERROR)
    except YaschedulerError as error:
        log.error("%s", error)
        sys.exit(WORKER_BOOT_ERROR)
    _app = _running.service.http_app()
    _running.service.supervisor.spawn("worker-watch", _exit_when_failed, _running.service, worker)


def _exit_when_failed(service, worker) -> None:
    """A failed scheduler takes its worker down; the gunicorn master starts a new one."""
    service.stopped.wait()
    if service.failure and worker.alive:
        log.error("the scheduler stopped (%s): the worker exits", service.failure)
        worker.alive = False


def worker_exit(server, worker) -> None:
    """Stop the scheduler of this process, if it runs one (not the master)."""
    global _running, _app
    _app = None
    running, _running = _running, None
    if running is not None:
        running.stop()
