"""The programming scenario: 1,000 / 10,000 / 100,000 ready radios streamed by
`yascheduler simulate`: start-up, play lateness and gaps, CPU and memory.

Songs last 20-40 s by default: the engine and the store work 6 to 8 times as
often as with the songs of a real catalog (3-5 min), so a short run sees many
tracks. `song_seconds` (bench/run.py --song-seconds 180,300) gives songs of
a real catalog's length, and each run lasts at least two whole songs more: the
simulator times a play from the one before it, not from a join."""

import json
import sys
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    CpuMeter,
    Process,
    Redis,
    figure,
    launch_service,
    launch_simulator,
    log,
    make_catalog,
    play_figures,
    start_service,
    status,
)
from play_phases import phases  # noqa: E402
from profiling import finish_profile, profile  # noqa: E402

STORED_WITHIN = 300  # seconds from launch a first import's writes are waited for


def scrape(port: int) -> dict:
    """The service's /metrics: {family name: [samples]}."""
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {family.name: family.samples for family in text_string_to_metric_families(text)}


def histogram(metrics: dict, name: str) -> dict:
    """{bucket upper bound: count so far} of a histogram."""
    return {
        float(sample.labels["le"]): sample.value
        for sample in metrics.get(name, [])
        if sample.name.endswith("_bucket")
    }


def p99_bound(buckets: dict) -> float | None:
    """The upper bound of the bucket where 99 % of the observations are: p99 at most this."""
    count = buckets.get(float("inf"), 0)
    if not count:
        return None
    bound = next(le for le, seen in sorted(buckets.items()) if seen >= 0.99 * count)
    return None if bound == float("inf") else bound


def service_lateness(metrics: dict, name: str = "yascheduler_play_lateness_seconds") -> dict:
    """The service's own play lateness over the whole run, from its /metrics histogram
    (or another histogram of plays: `name`).

    The simulator's figures include its own delays (on this machine it
    shares the two cores); these do not.
    """
    buckets = histogram(metrics, name)
    count = buckets.get(float("inf"), 0)
    if not count:
        return {"count": 0, "within_50ms": None, "p99_bound_ms": None}
    bound = p99_bound(buckets)
    return {
        "count": int(count),
        "within_50ms": round(100.0 * buckets[0.05] / count, 3),
        "p99_bound_ms": None if bound is None else bound * 1000,
    }


def documents_written(metrics: dict) -> float:
    samples = metrics.get("yascheduler_store_documents_written", [])
    return sum(sample.value for sample in samples if sample.name.endswith("_total"))


def programmed(process: Process, port: int, radios: int, timeout: float) -> float:
    """Seconds from launch until /api/status counts every radio programmed (RuntimeError
    if not in time). Not /healthz: a service that falls behind its radios says 503 there
    while it programs them."""
    while time.time() - process.started < timeout:
        if not process.alive():
            raise RuntimeError(f"the service exited: see {process.log_path}")
        try:
            if status(port)["radios"] >= radios:
                return time.time() - process.started
        except requests.RequestException:
            pass  # not listening yet
        time.sleep(0.2)
    raise RuntimeError(f"not every radio programmed within {timeout}s")


def stored(process: Process, port: int) -> str:
    """When, from launch, the service's writer had nothing left to write; or how much it
    still had STORED_WITHIN seconds after launch (a store slower than the radios' tracks
    never catches up: 100,000 radios of 20-40 s tracks need ~10,000 documents a second)."""
    while pending := status(port)["store"]["pending"]:
        if time.time() - process.started > STORED_WITHIN:
            return f"{pending:,} changes still unstored after {STORED_WITHIN} s"
        time.sleep(0.2)
    return f"everything stored after {time.time() - process.started:.1f} s"


def first_import(server, workdir: Path, catalog: Path, radios: int, timeout: float, out: dict):
    """Launch on an empty data directory with the catalog: the first import's start-up."""
    name = f"service-{radios}"
    process, port = launch_service(server.url, workdir, catalog, name=name)
    time.sleep(1.0)
    spy = profile(process, min(20, timeout), f"first import, {radios} radios", workdir)
    try:
        out[f"{radios}_startup_first_import"] = figure(
            programmed(process, port, radios, timeout), "s"
        )
    except RuntimeError:
        out[f"{radios}_startup_first_import"] = figure(None, f"s (not done within {timeout} s)")
        out[f"{radios}_rss_during_first_import"] = figure(process.rss() / 2**20, "MiB")
        raise
    else:
        # stopped before its writes are stored, the stored start-up would import the file
        # again (its radios are written behind) and program afresh the radios it finds
        # without a timeline
        log(f"  first import: {stored(process, port)}")
    finally:
        finish_profile(spy)
        process.stop(timeout=60)  # what waits is written as it stops, within 3 s


SHORT_SONGS = (20.0, 40.0)  # s: the bench's default


def scenario_programming(
    quick: bool,
    workdir: Path,
    sizes: list[int] | None = None,
    song_seconds: tuple[float, float] = SHORT_SONGS,
) -> dict:
    plans = [(1000, 40, 180)] if quick else [(1000, 60, 180), (10000, 90, 300), (100000, 150, 300)]
    if sizes:  # a size of no plan runs as long as 100,000 radios do
        known = {plan[0]: plan for plan in plans}
        plans = [known.get(size, (size, 150, 300)) for size in sizes]
    shortest, longest = song_seconds
    # every radio's joined track ends within the run, and the timed one after the next
    plans = [(radios, max(seconds, 2 * longest + 60), limit) for radios, seconds, limit in plans]
    out = {"song_seconds": figure(f"{shortest:g}-{longest:g}", "s (songs' durations)")}
    # the resident memory of a service with a single radio, to subtract
    server = Redis()
    base_catalog = make_catalog(workdir / "catalog-1.json", 1)
    process, _, _ = start_service(server.url, workdir, base_catalog, name="service-1")
    time.sleep(2)
    base_rss = process.rss()
    process.stop()
    server.stop()
    out["rss_with_one_radio"] = figure(base_rss / 2**20, "MiB")
    for radios, seconds, startup_timeout in plans:
        log(f"programming: {radios} radios")
        catalog = make_catalog(
            workdir / f"catalog-{radios}-{shortest:g}-{longest:g}.json",
            radios,
            min_duration=shortest,
            max_duration=longest,
        )
        server = Redis()
        prefix = f"{radios}"
        spy = process = None
        try:
            try:
                first_import(server, workdir, catalog, radios, startup_timeout, out)
                # again on the same data directory: every radio already stored
                process, port = launch_service(
                    server.url, workdir, catalog, name=f"service-{radios}"
                )
                time.sleep(1.0)
                spy = profile(
                    process, min(20, startup_timeout), f"start-up, {radios} radios", workdir
                )
                startup = programmed(process, port, radios, startup_timeout)
            except RuntimeError as error:
                log(f"  start-up did not finish within {startup_timeout}s: {error}")
                finish_profile(spy)
                out[f"{prefix}_startup"] = figure(None, f"s (not done within {startup_timeout} s)")
                if process is not None and process.alive():  # the stored start-up's
                    out[f"{prefix}_rss_during_startup"] = figure(process.rss() / 2**20, "MiB")
                    process.stop(timeout=5)
                break
            finish_profile(spy)
            out[f"{prefix}_startup"] = figure(startup, "s (every radio stored already)")
            log(f"  started in {startup:.1f}s")
            run_simulation(process, port, server, workdir, catalog, radios, seconds, base_rss, out)
            process.stop()
        finally:
            server.stop()
    return out


def run_simulation(process, port, server, workdir, catalog, radios, seconds, base_rss, out):
    prefix = f"{radios}"
    plays = workdir / f"plays-{radios}.jsonl"
    sim, summary_path = launch_simulator(
        server.url, catalog, radios, seconds, workdir, f"simulate-{radios}", plays
    )
    settle = min(30.0, seconds / 3)
    time.sleep(settle)
    meter = CpuMeter(process).start()
    written_before, measured_from = documents_written(scrape(port)), time.time()
    spy = profile(process, 20, f"programming, {radios} radios streamed", workdir)
    sim.popen.wait(timeout=seconds + 120)
    cpu = meter.stop()
    finish_profile(spy)
    metrics = scrape(port)
    writes = (documents_written(metrics) - written_before) / (time.time() - measured_from)
    rss, store_rss = process.rss(), process.children_rss()
    service_status = status(port)
    summary = json.loads(summary_path.read_text())
    lateness = summary["play_lateness_ms"]
    out[f"{prefix}_radios_streamed"] = figure(summary["radios_started"], "radios")
    play_figures(out, prefix, summary["plays"], lateness)
    out[f"{prefix}_gaps"] = figure(
        summary["gaps"]["count"], "tracks starting > 0.1 s after the previous end"
    )
    out[f"{prefix}_gaps_after_join"] = figure(
        summary["gaps"]["after_join"], "of them after a track joined midway (play_radio, resync)"
    )
    out[f"{prefix}_simulator_errors"] = figure(summary["errors"]["total"], "errors")
    join = summary["latency_ms"].get("radio_started") or {}
    out[f"{prefix}_play_radio_p99"] = figure(join.get("p99"), "ms")
    inside = service_status.get("play_lateness") or {}
    out[f"{prefix}_service_lateness_p99"] = figure(
        inside.get("p99_ms"), "ms (service's own, last sends)"
    )
    whole_run = service_lateness(metrics)
    out[f"{prefix}_service_sends"] = figure(whole_run["count"], "plays (whole run)")
    out[f"{prefix}_service_sends_within_50ms"] = figure(
        whole_run["within_50ms"], "% (service's own, whole run)"
    )
    out[f"{prefix}_service_lateness_p99_bound"] = figure(
        whole_run["p99_bound_ms"], "ms (service's own, whole run: p99 at most this)"
    )
    # of the service's lateness, the part after the loop: waiting for the store, publishing
    held = service_lateness(metrics, "yascheduler_play_hold_seconds")
    out[f"{prefix}_play_hold_within_50ms"] = figure(held["within_50ms"], "% (queued to sent)")
    out[f"{prefix}_play_hold_p99_bound"] = figure(
        held["p99_bound_ms"], "ms (queued to sent: p99 at most this)"
    )
    for phase, seen in phases(plays, sim.started).items():
        late = seen["lateness_ms"]
        out[f"{prefix}_{phase}_play_lateness"] = figure(
            f"{late['p50']} / {late['p99']} / {late['max']} ({late['count']})",
            f"ms p50 / p99 / max (timed plays), {phase}",
        )
        out[f"{prefix}_{phase}_gaps"] = figure(seen["gaps"], f"gaps, {phase}")
    out[f"{prefix}_store_writes"] = figure(writes, "documents/s (streamed)")
    delay = p99_bound(histogram(metrics, "yascheduler_store_write_delay_seconds"))
    out[f"{prefix}_store_write_delay_p99_bound"] = figure(
        None if delay is None else delay * 1000, "ms (change queued to stored: p99 at most this)"
    )
    out[f"{prefix}_cpu"] = figure(cpu, "% of one core")
    out[f"{prefix}_rss"] = figure(rss / 2**20, "MiB")
    out[f"{prefix}_rss_per_radio"] = figure((rss - base_rss) / radios / 1024, "KiB")
    out[f"{prefix}_store_server_rss"] = figure(store_rss / 2**20, "MiB (nx-27017, apart)")
    out[f"_{prefix}_simulator"] = summary
    log(
        f"  lateness {lateness}, gaps {summary['gaps']}, errors {summary['errors']}, cpu {cpu:.0f}%"
    )
