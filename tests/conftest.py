"""Shared fixtures: a store server and a Redis server per session, a database per test.

The gevent patch comes first, as in the real entry point: the service under
test runs its greenlets in this process.
"""

from gevent import monkey

monkey.patch_all()

import io  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402
import redis  # noqa: E402

from tests.redis_server import RedisServer  # noqa: E402
from tests.store_server import StoreServer, database_name, drop_database, on_server  # noqa: E402
from yascheduler.support.ports import free_port  # noqa: E402
from yascheduler.store import connection as store  # noqa: E402

# a MongoDB of the tester's own, to run the whole suite against (mongodb://HOST/anything)
TEST_MONGO_URL = os.environ.get("YASCHEDULER_TEST_MONGO_URL")


@pytest.fixture(scope="session")
def store_server(tmp_path_factory):
    """nx-27017, the store server `yascheduler run` embeds, for the whole session."""
    server = StoreServer(tmp_path_factory.mktemp("store"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mongo_url(request):
    """A fresh, empty database of the test's own, connected; dropped after the test. On
    the session's store server, or on YASCHEDULER_TEST_MONGO_URL's server when set."""
    name = database_name("yastest")
    if TEST_MONGO_URL:
        url = on_server(TEST_MONGO_URL, name)
    else:
        url = request.getfixturevalue("store_server").url(name)
    store.connect(url)
    yield url
    store.disconnect()
    drop_database(url)


@pytest.fixture
def db(mongo_url):
    """The store, connected and empty."""
    return mongo_url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis server, flushed for this test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def make_service(db, redis_url):
    """Start services in this process, on the test's store and Redis; stopped after the test."""
    from tests.harness import start_service

    services = []

    def make(catalog=None, **overrides):
        service = start_service(redis_url, db, catalog, **overrides)
        services.append(service)
        return service

    yield make
    for service in services:
        service.stop()


@pytest.fixture
def streamers(redis_url):
    """Make streamer emulators connected to the test's Redis; closed after the test."""
    from tests.streamer_emulator import StreamerEmulator

    made = []

    def make(name, **options):
        emulator = StreamerEmulator(redis_url, name, **options)
        made.append(emulator)
        return emulator

    yield make
    for emulator in made:
        emulator.close()


@pytest.fixture
def webapp():
    """A real HTTP server on loopback playing the web app."""
    from tests.webapp_server import WebApp

    app = WebApp()
    yield app
    app.stop()


@pytest.fixture
def own_redis(tmp_path):
    """A Redis server of the test's own, that the test may kill and start again."""
    servers = []

    def make(**options):
        server = RedisServer(tmp_path / f"redis{len(servers)}", port=free_port(), **options)
        server.workdir.mkdir()
        server.start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def run_parts():
    """Run parts (support.supervisor's shape) as the service does; stopped after the test,
    which fails if one of them died."""
    from yascheduler.support.supervisor import Supervisor

    failures = []
    supervisor = Supervisor(failures.append)

    def run(*parts):
        for part in parts:
            supervisor.run(part)
        return supervisor

    yield run
    supervisor.stop(1.0)
    assert failures == []


@pytest.fixture
def cli_in_process(capsys, monkeypatch):
    """`yascheduler ARGS` run by cli.main in this process, as a test would run the
    command (none of the tester's YASCHEDULER_* settings, `env` added, an empty stdin
    that is no terminal), its exit status and output as subprocess.run gives them. For
    the commands that start nothing and keep no store connected (a refused setting, a
    client of the HTTP API): a process's start-up is seconds on a loaded machine."""

    def run(*args, **env) -> subprocess.CompletedProcess:
        for name in [name for name in os.environ if name.startswith("YASCHEDULER_")]:
            monkeypatch.delenv(name)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "stdin", io.StringIO())
        capsys.readouterr()  # what came before is not this command's
        from yascheduler.app import cli  # gevent patched first, above

        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out, err)

    return run
