"""The embedded store server (nx-27017): durable in the data directory, one service a
directory, gone with the process that started it."""

import os
import signal
import subprocess
import sys
import time

import pymongo
import pytest

from yascheduler.store.embedded import DataDirectoryInUse, EmbeddedStore
from yascheduler.support.errors import ConfigError
from yascheduler.support.ports import free_port


@pytest.fixture
def stores():
    started = []

    def make(data_dir, listen=None, stop_timeout=5.0):
        store = EmbeddedStore(data_dir, listen, stop_timeout=stop_timeout)
        started.append(store)
        return store

    yield make
    for store in started:
        store.stop()


def client(url):
    return pymongo.MongoClient(url, serverSelectionTimeoutMS=3000)


def test_what_is_stored_is_there_after_a_restart_on_the_same_directory(stores, tmp_path):
    data_dir = tmp_path / "not" / "there" / "yet"
    first = stores(data_dir)
    url = first.start()
    assert url.startswith("mongodb://127.0.0.1:") and url.endswith("/yascheduler")
    client(url).get_default_database().timelines.insert_one({"_id": "radio-1", "at": 12.5})
    first.stop()
    second = stores(data_dir)
    again = client(second.start()).get_default_database()
    assert again.timelines.find_one({"_id": "radio-1"}) == {"_id": "radio-1", "at": 12.5}
    assert (data_dir / "store").is_dir() and (data_dir / "store.pid").exists()


def test_a_second_service_on_the_same_directory_is_refused(stores, tmp_path):
    stores(tmp_path).start()
    with pytest.raises(DataDirectoryInUse) as refused:
        stores(tmp_path).start()
    assert f"data directory {tmp_path} is in use by another yascheduler (pid {os.getpid()})" in (
        str(refused.value)
    )


def test_the_directory_is_free_again_once_its_holder_stopped(stores, tmp_path):
    first = stores(tmp_path)
    first.start()
    first.stop()
    stores(tmp_path).start()  # no refusal


def test_served_on_every_address_it_is_reached_on_loopback_and_says_what_others_give(
    stores, tmp_path, caplog
):
    port = free_port()
    caplog.set_level("INFO", logger="yascheduler.store")
    url = stores(tmp_path, listen=("0.0.0.0", port)).start()
    assert url == f"mongodb://127.0.0.1:{port}/yascheduler"
    client(url).get_default_database().radios.insert_one({"_id": "radio-1"})
    shared = [r.getMessage() for r in caplog.records if "served to other instances" in r.message]
    assert len(shared) == 1
    assert (
        f"--mongo-url mongodb://0.0.0.0:{port}/yascheduler, this machine's address in "
        in (shared[0])
    )


def test_a_listen_address_in_use_is_refused_and_the_directory_left_free(stores, tmp_path):
    first = stores(tmp_path / "first", listen=("127.0.0.1", free_port()))
    first.start()
    with pytest.raises(ConfigError) as refused:
        stores(tmp_path / "second", listen=first.listen).start()
    assert str(refused.value).startswith(
        f"store_listen: cannot serve the embedded store on 127.0.0.1:{first.listen[1]}: "
        "Address already in use"
    )
    stores(tmp_path / "second").start()  # the refusal unlocked its directory


HOLDER = """
import sys
from yascheduler.store.embedded import EmbeddedStore
store = EmbeddedStore(sys.argv[1])
store.start()
print(store.server.pid, flush=True)
sys.stdin.read()
"""


def test_a_killed_holder_takes_its_server_along_and_frees_the_directory(stores, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    server_pid = int(holder.stdout.readline())
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    deadline = time.monotonic() + 10
    while _alive(server_pid):
        assert time.monotonic() < deadline, "the store server outlived its parent"
        time.sleep(0.05)
    stores(tmp_path).start()  # the lock went with the process


# stands for the server of a run killed with -9, still stopping (it ignores the TERM)
LEFTOVER = "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
LEFTOVER += "print(flush=True); time.sleep(float(sys.argv[1]))"


def leftover_server(tmp_path, lasts: float) -> subprocess.Popen:
    """A process that looks like nx-27017 (its command line names it), in the pid file."""
    server = subprocess.Popen(
        [sys.executable, "-c", LEFTOVER, str(lasts), "nx_27017"], stdout=subprocess.PIPE
    )
    server.stdout.readline()  # the TERM is ignored from here
    (tmp_path / "store.pid").write_text(f"{server.pid}\n")
    return server


def test_a_restart_waits_for_the_server_of_a_killed_run_still_stopping(stores, tmp_path):
    server = leftover_server(tmp_path, lasts=0.5)
    url = stores(tmp_path).start()  # nx-27017 would refuse while the other one lives
    assert server.poll() == 0, "started before the earlier server was gone"
    client(url).get_default_database().radios.insert_one({"_id": "radio-1"})


def test_a_server_of_a_killed_run_that_lingers_is_killed(stores, tmp_path):
    server = leftover_server(tmp_path, lasts=60)
    stores(tmp_path, stop_timeout=0.5).start()
    assert server.wait(timeout=5) == -signal.SIGKILL


def test_a_stale_pid_file_naming_another_program_does_not_block_the_start(stores, tmp_path):
    (tmp_path / "store.pid").write_text(f"{os.getpid()}\n")  # a pid reused since
    url = stores(tmp_path, stop_timeout=0.5).start()  # and this test was not killed
    client(url).get_default_database().radios.insert_one({"_id": "radio-1"})


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split()[2] != "Z"
