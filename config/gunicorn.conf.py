"""gunicorn settings for yascheduler.

    gunicorn -c config/gunicorn.conf.py yascheduler.app.wsgi:application

behaves like `yascheduler run` without flags: the settings come from the
environment (YASCHEDULER_*) and the config file YASCHEDULER_CONFIG names;
`http` is where gunicorn binds; `log_level` and `log_format` apply to
gunicorn's own log lines too. One gevent worker runs the scheduler (a
second would be a second scheduler); gunicorn's master restarts it if it
dies. SIGTERM stops it cleanly; SIGINT or SIGQUIT at once. Restart
rather than reload (SIGHUP): gunicorn starts the new worker before it
stops the old one, and two schedulers would run for a moment.

Only `yascheduler.app.wsgi` is imported here, in the master, before gevent
patches the worker: it imports nothing that gevent patches.
"""

from yascheduler.app import wsgi as _yascheduler
from yascheduler.support.logs import dict_config as _log_config
from yascheduler.support.config import format_host_port as _host_port

_settings = _yascheduler.master_settings()

wsgi_app = "yascheduler.app.wsgi:application"
worker_class = "gevent"
workers = 1
# The scheduler is started in the worker, after gevent has patched it.
preload_app = False
bind = [_host_port(_settings.http)]
# A worker that has not booted (loading a large catalog) or stopped
# answering for this long is killed and replaced.
timeout = 120
# After SIGTERM: the worker stops the scheduler (3 s at most), then the
# embedded Redis (3 s); systemd's TimeoutStopSec must be longer.
graceful_timeout = 8
loglevel = _settings.log_level
logconfig_dict = _log_config(_settings.log_level, _settings.log_format)
# Like `yascheduler run`: no access log.
accesslog = None
# gunicorn's control socket is not used; it would want a writable $HOME.
control_socket_disable = True

on_starting = _yascheduler.on_starting
post_worker_init = _yascheduler.post_worker_init
worker_exit = _yascheduler.worker_exit
