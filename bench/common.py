"""What every benchmark scenario shares: a throwaway Redis and store server, generated
catalogs, the service (or the echo baseline) as a real process, and
sampling of its CPU and memory."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
PYTHON = sys.executable

sys.path.insert(0, str(ROOT))
from yascheduler.store.embedded import store_child  # noqa: E402
from yascheduler.support.embedded_redis import redis_child  # noqa: E402
from yascheduler.support.ports import HOST, free_port  # noqa: E402


class Redis:
    """A redis-server child that keeps nothing on disk."""

    def __init__(self):
        self.port = free_port()
        self.workdir = tempfile.mkdtemp(prefix="yasbench-redis-")
        # pub/sub clients of a saturated scheduler may lag: never drop them
        buffers = ("--client-output-buffer-limit", "pubsub", "0", "0", "0")
        self.server = redis_child(self.port, self.workdir, *buffers)
        self.server.start(timeout=10)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self):
        self.server.stop(timeout=0)


class StoreServer:
    """nx-27017 as a process of its own (its data directory and pid file, so it does not
    clash with another bench's), whose CPU and memory can be sampled; a database of its
    own for each run. In `workdir`, or a throwaway yasbench-store-* removed on stop."""

    def __init__(self, workdir: Path | None = None):
        self._throwaway = workdir is None
        self.data = (
            Path(tempfile.mkdtemp(prefix="yasbench-store-"))
            if workdir is None
            else workdir / "store-server"
        )
        self.port = free_port()
        self.server = store_child(self.data, HOST, self.port)
        try:
            self.server.start(timeout=30)
        except BaseException:
            self._remove()
            raise
        self.ps = psutil.Process(self.server.pid)

    def url(self, database: str) -> str:
        return f"mongodb://{HOST}:{self.port}/{database}"

    def cpu_times(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def stop(self) -> None:
        self.server.stop()
        self._remove()

    def _remove(self) -> None:
        if self._throwaway:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self) -> "StoreServer":
        return self

    def __exit__(self, *_) -> None:
        self.stop()


def play_figures(out: dict, prefix: str, plays: int, lateness: dict) -> None:
    """The plays counted and their lateness quantiles (ms), under `prefix`."""
    out[f"{prefix}_plays"] = figure(plays, "plays")
    for quantile in ("p50", "p99", "max"):
        out[f"{prefix}_play_lateness_{quantile}"] = figure(lateness[quantile], "ms")


def make_catalog(path: Path, radios: int, **shape) -> Path:
    """A catalog file of N ready radios (catalog_document)."""
    path.write_text(json.dumps(catalog_document(radios, **shape)))
    return path


def catalog_document(
    radios: int,
    songs_per_radio: int = 8,
    users: int = 100,
    min_duration: float = 20.0,
    max_duration: float = 40.0,
    seed: int = 1,
) -> dict:
    """N ready radios with short songs (no shows, no jingles), and some users."""
    rng = random.Random(seed)
    catalog = {
        "users": [
            {
                "id": i,
                "username": f"user{i}",
                "api_key": f"key{i}",
                "hd": i % 2 == 0,
                "auth_tokens": [f"tok{i}"],
            }
            for i in range(1, users + 1)
        ],
        "radios": [],
    }
    song_id = 1
    for r in range(radios):
        songs = []
        for _ in range(songs_per_radio):
            songs.append(
                {
                    "id": song_id,
                    "filename": f"r{r}/{song_id}.mp3",
                    "duration": round(rng.uniform(min_duration, max_duration), 3),
                    "artist": f"artist {song_id % 7}",
                    "title": f"title {song_id}",
                }
            )
            song_id += 1
        catalog["radios"].append(
            {
                "uuid": f"radio-{r}",
                "name": f"Radio {r}",
                "timezone": "UTC",
                "playlists": [{"id": r + 1, "name": "default", "songs": songs}],
            }
        )
    return catalog


class Process:
    """A child process whose CPU and resident memory can be sampled."""

    def __init__(self, argv, log_path: Path | None = None, env=None):
        self.argv = argv
        self.log_path = log_path
        out = open(log_path, "wb") if log_path else subprocess.DEVNULL
        self.started = time.time()
        self.popen = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
        )
        self.ps = psutil.Process(self.popen.pid)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def children_rss(self) -> int:
        """The resident memory of the processes it started (the embedded store server)."""
        return sum(child.memory_info().rss for child in self.ps.children(recursive=True))

    def cpu_times(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0):
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


class CpuMeter:
    """CPU share of a process between start() and stop(), in % of one core."""

    def __init__(self, process: Process):
        self.process = process

    def start(self):
        self.cpu0, self.t0 = self.process.cpu_times(), time.monotonic()
        return self

    def stop(self) -> float:
        return 100.0 * (self.process.cpu_times() - self.cpu0) / (time.monotonic() - self.t0)


def start_service(
    redis_url: str,
    workdir: Path,
    catalog: Path | None = None,
    extra=(),
    wait_timeout: float = 600.0,
    name: str = "service",
) -> tuple[Process, int, float]:
    """`yascheduler run` as a real process; (process, http port, seconds until it answered)."""
    process, port = launch_service(redis_url, workdir, catalog, extra, name)
    started = wait_http(process, port, wait_timeout)
    return process, port, started


def launch_service(
    redis_url: str, workdir: Path, catalog: Path | None = None, extra=(), name: str = "service"
) -> tuple[Process, int]:
    """`yascheduler run` launched, not waited for; (process, http port)."""
    port = free_port()
    argv = [
        PYTHON,
        "-m",
        "yascheduler",
        "run",
        "--redis-url",
        redis_url,
        "--http",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--timezone",
        "UTC",
        "--ping-interval",
        "3600",
        *extra,
    ]
    if "--mongo-url" not in extra and "--data-dir" not in extra:
        # the production-like default: the embedded store server, a data directory each
        argv += ["--data-dir", str(workdir / f"{name}-data")]
    if catalog is not None:
        argv += ["--catalog", str(catalog)]
    return Process(argv, workdir / f"{name}.log"), port


def launch_simulator(
    redis_url: str,
    catalog: Path,
    radios: int,
    seconds: float,
    workdir: Path,
    name: str,
    plays: Path | None = None,
) -> tuple[Process, Path]:
    """`yascheduler simulate` streaming the catalog's first `radios` radios for `seconds`,
    a streamer per 1,000 radios; (process, where its JSON summary will be)."""
    streamers = max(1, radios // 1000) if radios > 1000 else 10
    summary_path = workdir / f"{name}.json"
    argv = [
        PYTHON, "-m", "yascheduler", "simulate",
        "--redis-url", redis_url,
        "--streamers", str(streamers),
        "--radios-per-streamer", str(radios // streamers),
        "--listeners-per-radio", "0",
        "--duration", str(seconds),
        "--catalog", str(catalog),
        "--json", str(summary_path),
        "--quiet",
    ]  # fmt: skip
    if plays is not None:
        argv += ["--plays", str(plays)]
    return Process(argv, workdir / f"{name}.log"), summary_path


def wait_http(process: Process, port: int, timeout: float) -> float:
    """Seconds from launch until GET /healthz answers 200."""
    import requests

    deadline = time.time() + timeout
    while time.time() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.argv[3:5]} exited: see {process.log_path}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return time.time() - process.started
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the service did not answer within {timeout}s")


def status(port: int) -> dict:
    import requests

    return requests.get(f"http://127.0.0.1:{port}/api/status", timeout=30).json()


def figure(value, unit: str) -> dict:
    if isinstance(value, float):
        value = round(value, 3)
    return {"value": value, "unit": unit}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)
