"""What the fleet scenarios share: one nx-27017 for every instance, N `yascheduler run`
instances on it and one Redis, the load each part carries, and the plays a simulated
streamer recorded, summed up over a part of the run."""

import json
import os
import sys
import time
from datetime import datetime
from pathlib import Path

import psutil
import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    CpuMeter,
    Process,
    StoreServer,
    figure,
    launch_service,
    play_figures,
    status,
)
from scenario_programming import documents_written, scrape  # noqa: E402

from yascheduler.support.stats import summary  # noqa: E402

MS = 1000.0
# the default: 10 s was used while a take read every radio inside the beat, which then
# overran its other leases' margin on the 2 shared cores (bench/README "Several instances")
LEASE_SECONDS = 3.0
IMPORT_STEP = "the catalog programmed"  # launch_fleet's first step, by one instance


class Pid:
    """Any process by its pid, for a CpuMeter (the redis-server)."""

    def __init__(self, pid: int):
        self.ps = psutil.Process(pid)

    def cpu_times(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system


class Instance:
    def __init__(self, name: str, process: Process, port: int):
        self.name, self.process, self.port = name, process, port

    def radios(self) -> int:
        try:
            return status(self.port)["radios"]
        except requests.RequestException:
            return 0


def launch_fleet(redis_url, mongo_url, workdir, catalog, radios, count, prefix, extra=()):
    """`count` instances on one Redis and one store database: the first imports the
    catalog and programs every radio, the others join and take their shares; (instances,
    seconds from the first launch until the shares are programmed)."""
    began = time.time()
    instances = [launch_instance(redis_url, mongo_url, workdir, catalog, f"{prefix}-a", extra)]
    until(lambda: instances[0].radios() >= radios, f"{prefix}: {IMPORT_STEP}", 480)
    for n in range(1, count):
        name = f"{prefix}-{chr(ord('a') + n)}"
        instances.append(launch_instance(redis_url, mongo_url, workdir, None, name, extra))
    until(lambda: shared_out(instances, radios), f"{prefix}: the radios shared out", 300)
    return instances, time.time() - began


def launch_instance(redis_url, mongo_url, workdir, catalog, name, extra=()) -> Instance:
    args = ["--mongo-url", mongo_url, "--instance-id", name, "--lease-seconds", str(LEASE_SECONDS)]
    args += ["--data-dir", str(workdir / f"{name}-data"), "--prepare-seconds", "5", *extra]
    process, port = launch_service(redis_url, workdir, catalog, args, name=name)
    return Instance(name, process, port)


def shared_out(instances: list[Instance], radios: int) -> bool:
    """Every radio programmed by one instance, each instance holding a share."""
    held = [instance.radios() for instance in instances]
    return sum(held) == radios and min(held) > 0


def until(condition, what: str, timeout: float, every: float = 0.2) -> float:
    """Seconds until `condition()` held (RuntimeError naming `what` if not in time)."""
    began = time.time()
    while not condition():
        if time.time() - began > timeout:
            raise RuntimeError(f"{what}: not within {timeout:g}s")
        time.sleep(every)
    return time.time() - began


def leases_lost(instances: list[Instance]) -> int:
    """How many times an instance found shards it held taken by another (its lease ran
    out before it renewed it: the fleet/membership.py warning), over the whole run."""
    return sum(
        line.count(b"shards lost")
        for instance in instances
        for line in instance.process.log_path.read_bytes().splitlines()
    )


def logged_at(instance: Instance, text: str, since: float) -> list[float]:
    """When the instance logged a line containing `text` (its log's local time), from
    `since` on."""
    times = []
    for line in instance.process.log_path.read_text(errors="replace").splitlines():
        if text in line:
            try:
                moment = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            except ValueError:
                continue
            at = time.mktime(moment.timetuple()) + moment.microsecond / 1e6
            if at >= since:
                times.append(at)
    return times


def stop_fleet(instances: list[Instance]) -> None:
    for instance in instances:
        instance.process.stop(timeout=60)


class Load:
    """What the run costs each part between start() and stop(): CPU of each instance, of
    the store server and of redis-server; store documents written; Redis messages and
    bytes."""

    def __init__(self, instances, store: StoreServer, redis_url: str, redis_pid: int):
        self.instances, self.store = instances, store
        self.redis = redis.Redis.from_url(redis_url)
        self.meters = {i.name: CpuMeter(i.process) for i in instances}
        self.meters["store"] = CpuMeter(store)
        self.meters["redis"] = CpuMeter(Pid(redis_pid))

    def _counts(self) -> dict:
        stats = self.redis.info("stats")
        commands = self.redis.info("commandstats")
        return {
            "written": sum(documents_written(scrape(i.port)) for i in self.instances),
            "published": commands.get("cmdstat_publish", {}).get("calls", 0),
            "bytes_in": stats["total_net_input_bytes"],
            "bytes_out": stats["total_net_output_bytes"],
            "sent": sum(sent_by_service(i.port) for i in self.instances),
        }

    def start(self):
        for meter in self.meters.values():
            meter.start()
        self.counts0, self.t0 = self._counts(), time.time()
        return self

    def stop(self, out: dict, prefix: str) -> None:
        cpu = {name: meter.stop() for name, meter in self.meters.items()}
        counts, seconds = self._counts(), time.time() - self.t0
        rate = {key: (counts[key] - self.counts0[key]) / seconds for key in counts}
        for instance in self.instances:
            out[f"{prefix}_cpu_{instance.name}"] = figure(cpu[instance.name], "% of one core")
        out[f"{prefix}_cpu_store_server"] = figure(cpu["store"], "% of one core (nx-27017)")
        out[f"{prefix}_cpu_redis"] = figure(cpu["redis"], "% of one core (redis-server)")
        out[f"{prefix}_store_writes"] = figure(rate["written"], "documents/s (all instances)")
        out[f"{prefix}_redis_publish"] = figure(rate["published"], "PUBLISH/s (service+streamers)")
        out[f"{prefix}_service_messages"] = figure(rate["sent"], "messages/s sent by the service")
        out[f"{prefix}_redis_bytes_in"] = figure(rate["bytes_in"], "bytes/s into redis-server")
        out[f"{prefix}_redis_bytes_out"] = figure(rate["bytes_out"], "bytes/s out of redis-server")
        out[f"{prefix}_store_server_rss"] = figure(self.store.rss() / 2**20, "MiB (nx-27017)")
        out[f"{prefix}_machine_load"] = figure(
            os.getloadavg()[0], "runnable processes, 1 min average (2 cores, shared)"
        )


def sent_by_service(port: int) -> float:
    samples = scrape(port).get("yascheduler_messages_sent", [])
    return sum(sample.value for sample in samples if sample.name.endswith("_total"))


def plays_between(path: Path, since: float, until_time: float | None = None) -> dict:
    """The plays `yascheduler simulate --plays` recorded from `since` to `until_time`:
    lateness quantiles (ms), gaps (> 0.1 s of silence before a track), duplicates."""
    lateness, gaps, duplicates, plays = [], [], 0, 0
    with open(path) as recorded:
        for line in recorded:
            arrival, _radio, late, gap, duplicate = json.loads(line)
            if arrival < since or (until_time is not None and arrival > until_time):
                continue
            plays += 1
            duplicates += duplicate
            if late is not None:
                lateness.append(late)
            if gap is not None and gap > 0.1:
                gaps.append(gap)
    return {
        "plays": plays,
        "lateness_ms": summary(lateness, scale=MS),
        "gaps": len(gaps),
        "gap_max_s": round(max(gaps), 3) if gaps else None,
        "duplicates": duplicates,
    }


def window_figures(out: dict, prefix: str, window: dict) -> None:
    lateness = window["lateness_ms"]
    play_figures(out, prefix, window["plays"], lateness)
    out[f"{prefix}_gaps"] = figure(window["gaps"], "tracks starting > 0.1 s after the previous")
    out[f"{prefix}_duplicate_plays"] = figure(window["duplicates"], "slots played twice")
