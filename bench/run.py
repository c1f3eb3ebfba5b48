"""Run the benchmarks: `python bench/run.py [--quick] --json FILE`.

Each scenario runs the service as a real process (`yascheduler run`)
against a redis-server of its own, with the load from other processes.
Figures go to FILE as {scenario: {figure: {"value": v, "unit": u}}}, the
chart to bench/results/chart.png, the top of each py-spy profile to
the file named like FILE with .profiles.txt, and a markdown table to stdout.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BENCH,
    PYTHON,
    RESULTS,
    ROOT,
    CpuMeter,
    Process,
    Redis,
    figure,
    free_port,
    launch_service,
    make_catalog,
    start_service,
    status,
    wait_http,
)

PROFILES: dict[str, str] = {}


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- profiling -----------------------------------------------------------------------


def profile(process: Process, seconds: float, name: str, workdir: Path) -> subprocess.Popen | None:
    """Start py-spy on the process for `seconds` (non-blocking); None without py-spy."""
    pyspy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not os.path.exists(pyspy):
        return None
    raw = workdir / (name.replace("/", " per ") + ".raw")
    proc = subprocess.Popen(
        [
            pyspy,
            "record",
            "--pid",
            str(process.pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--nonblocking",
            "--format",
            "raw",
            "-o",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc.raw_path, proc.profile_name = raw, name
    return proc


def finish_profile(proc: subprocess.Popen | None, top: int = 10) -> None:
    if proc is None:
        return
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
    if not proc.raw_path.exists():
        return
    PROFILES[proc.profile_name] = top_frames(proc.raw_path, top)


SKIP = (
    "<module>",
    "_run_code",
    "_run_module_as_main",
    "main (yascheduler/app/cli.py",
    "run (gevent/",
    "run (yascheduler/app/cli.py",
    "serve (yascheduler/app/cli.py",
)


def top_frames(raw_path: Path, top: int) -> str:
    """The top frames of a py-spy raw (collapsed stacks) profile: by own time and by total time."""
    own, total, samples = Counter(), Counter(), 0
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        count = int(count)
        samples += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    lines = [f"{samples} samples", "  own time:"]
    lines += [f"    {c / samples * 100:5.1f}%  {f}" for f, c in own.most_common(top)]
    lines.append("  total time (frames below the entry point):")
    shown = 0
    for frame, count in total.most_common():
        if any(frame.startswith(s) or s in frame for s in SKIP):
            continue
        lines.append(f"    {count / samples * 100:5.1f}%  {frame}")
        shown += 1
        if shown == top:
            break
    return "\n".join(lines)


# --- messages ------------------------------------------------------------------------


def message_step(
    url: str, kind: str, rate: int, seconds: float, workdir: Path, publishers: int = 2
):
    ready = workdir / f"ready-{time.time_ns()}"
    receiver = subprocess.Popen(
        [PYTHON, str(BENCH / "loadgen.py"), "receive", url, str(seconds + 3), str(ready)],
        stdout=subprocess.PIPE,
        text=True,
    )
    while not ready.exists():
        time.sleep(0.02)
    pubs = [
        subprocess.Popen(
            [
                PYTHON,
                str(BENCH / "loadgen.py"),
                "publish",
                url,
                kind,
                str(rate / publishers),
                str(seconds),
                f"bench{i}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(publishers)
    ]
    sent = [json.loads(p.communicate()[0]) for p in pubs]
    got = json.loads(receiver.communicate()[0])
    total_sent = sum(s["sent"] for s in sent)
    offered = total_sent / max(s["seconds"] for s in sent)
    span = (got["last"] - got["first"]) if got["received"] > 1 else None
    return {
        "rate": rate,
        "sent": total_sent,
        "offered_per_s": offered,
        "received": got["received"],
        # over the publishing time at least: a backlog flushed at once is not a rate
        "reply_rate": got["received"] / max(span, seconds) if span else 0.0,
        "p50_ms": got["p50_ms"],
        "p99_ms": got["p99_ms"],
        "max_ms": got["max_ms"],
        # kept up: every reply came, and no queue built up (a growing queue shows in the
        # median first; p99 alone is noisy with load, Redis and service on 2 cores)
        "kept_up": got["received"] >= 0.995 * total_sent
        and (got["p50_ms"] or 0) < 50
        and (got["p99_ms"] or 0) < 1000,
    }


def ramp(url: str, kind: str, rates, seconds: float, workdir: Path) -> list[dict]:
    steps = []
    for rate in rates:
        step = message_step(url, kind, rate, seconds, workdir)
        log(
            f"  {kind} {rate}/s: offered {step['offered_per_s']:.0f}/s, replies {step['received']}"
            f"/{step['sent']}, p50 {step['p50_ms']} ms p99 {step['p99_ms']} ms"
            f"{'' if step['kept_up'] else '  (fell behind)'}"
        )
        steps.append(step)
        if not step["kept_up"]:
            break
        time.sleep(0.5)
    return steps


def scenario_messages(quick: bool, workdir: Path) -> dict:
    rates = (
        [250, 1000, 2000, 5000, 10000]
        if quick
        else [250, 500, 1000, 2000, 5000, 10000, 15000, 20000, 30000, 40000, 50000, 60000]
    )
    seconds = 3.0 if quick else 4.0
    catalog = make_catalog(workdir / "messages-catalog.json", 10, users=1000)
    out, curves = {}, {}
    for target in ("yascheduler", "echo"):
        for kind in ("test", "user_authentication"):
            # a fresh server and Redis for each ramp: the backlog of a saturated step must not
            # spill into the next measure
            server = Redis()
            if target == "yascheduler":
                process, _, _ = start_service(server.url, workdir, catalog, name="messages-service")
            else:
                process = Process(
                    [PYTHON, str(BENCH / "echo_baseline.py"), server.url], workdir / "echo.log"
                )
                time.sleep(1.0)
            try:
                log(f"messages: {target}, {kind}")
                meter = CpuMeter(process).start()
                steps = ramp(server.url, kind, rates, seconds, workdir)
                cpu = meter.stop()
                curves[f"{target} {kind}"] = steps
                kept = [s for s in steps if s["kept_up"]]
                at_2000 = next((s for s in steps if s["rate"] == 2000), None)
                prefix = f"{target}_{kind}"
                out[f"{prefix}_sustained_rate"] = figure(
                    max((s["rate"] for s in kept), default=0), "msg/s"
                )
                out[f"{prefix}_max_reply_rate"] = figure(
                    max(s["reply_rate"] for s in steps), "msg/s"
                )
                out[f"{prefix}_cpu_during_ramp"] = figure(cpu, "% of one core")
                if at_2000:
                    out[f"{prefix}_p50_at_2000"] = figure(at_2000["p50_ms"], "ms")
                    out[f"{prefix}_p99_at_2000"] = figure(at_2000["p99_ms"], "ms")
                if target == "yascheduler":
                    # saturated: half as much again as the last rate it kept up with
                    rate = max((s["rate"] for s in kept), default=rates[0]) * 3 // 2
                    spy = profile(process, 8, f"messages ({kind}, {rate}/s offered)", workdir)
                    message_step(server.url, kind, rate, 8.0, workdir)
                    finish_profile(spy)
            finally:
                process.stop()
                server.stop()
    for kind in ("test", "user_authentication"):
        ours = out[f"yascheduler_{kind}_sustained_rate"]["value"]
        base = out[f"echo_{kind}_sustained_rate"]["value"]
        out[f"{kind}_sustained_rate_vs_echo"] = figure(ours / base if base else None, "ratio")
    out["_curves"] = curves
    return out


# --- listeners -----------------------------------------------------------------------


def scenario_listeners(quick: bool, workdir: Path) -> dict:
    rates = [10, 50, 200] if quick else [10, 25, 50, 100, 200, 400, 800, 1600]
    seconds = 4.0 if quick else 10.0
    radios = 10
    catalog = make_catalog(workdir / "listeners-catalog.json", radios)
    server = Redis()
    sink_port = free_port()
    sink = Process([PYTHON, str(BENCH / "sink.py"), str(sink_port)], workdir / "sink.log")
    sink_url = f"http://127.0.0.1:{sink_port}"
    process, port, _ = start_service(
        server.url,
        workdir,
        catalog,
        name="listeners-service",
        extra=["--yaapp-url", sink_url, "--yaapp-key", "bench-key"],
    )
    client = redis.Redis.from_url(server.url)
    out, steps = {}, []
    try:
        for r in range(radios):
            client.publish(
                "yascheduler",
                json.dumps(
                    {"type": "play_radio", "streamer": "bench-master", "radio_uuid": f"radio-{r}"}
                ),
            )
        while status(port)["streaming_radios"] < radios:
            time.sleep(0.1)
        session = 0
        for rate in rates:
            before = requests.get(sink_url + "/count", timeout=10).json()
            delivered0 = before["start_listening"] + before["stop_listening"]
            meter = CpuMeter(process).start()
            spy = profile(process, seconds + 10, f"listeners ({rate} pairs/s)", workdir)
            began = time.time()
            pairs = 0
            while (elapsed := time.time() - began) < seconds:
                due = int(elapsed * rate) - pairs
                if due > 0:
                    pipe = client.pipeline(transaction=False)
                    for _ in range(due):
                        session += 1
                        radio = f"radio-{session % radios}"
                        user = (session % 1000) + 1 if session % 2 else None
                        pipe.publish(
                            "yascheduler",
                            json.dumps(
                                {
                                    "type": "register_listener",
                                    "streamer": "bench-master",
                                    "radio_uuid": radio,
                                    "session_id": f"s{session}",
                                    "user_id": user,
                                }
                            ),
                        )
                        pipe.publish(
                            "yascheduler",
                            json.dumps(
                                {
                                    "type": "unregister_listener",
                                    "streamer": "bench-master",
                                    "radio_uuid": radio,
                                    "session_id": f"s{session}",
                                    "user_id": user,
                                }
                            ),
                        )
                    pipe.execute()
                    pairs += due
                time.sleep(0.005)
            sent_at = time.time()
            wanted = 2 * pairs
            deadline = sent_at + (20 if quick else 60)
            while True:
                now = requests.get(sink_url + "/count", timeout=10).json()
                delivered = now["start_listening"] + now["stop_listening"] - delivered0
                if delivered >= wanted or time.time() > deadline:
                    break
                time.sleep(0.2)
            cpu = meter.stop()
            finish_profile(spy)
            done_at = now["last"] or time.time()
            lag = max(0.0, done_at - sent_at)
            step = {
                "rate": rate,
                "pairs": pairs,
                "delivered": delivered,
                "wanted": wanted,
                "delivered_pairs_per_s": delivered / 2 / (done_at - began),
                "delivery_lag_s": lag,
                "cpu": cpu,
                "kept_up": delivered >= wanted and lag < 2.0,
            }
            log(
                f"listeners {rate} pairs/s: {delivered}/{wanted} notifications delivered, "
                f"{step['delivered_pairs_per_s']:.0f} pairs/s, last {lag:.1f}s after the load, "
                f"cpu {cpu:.0f}%"
            )
            steps.append(step)
            if not step["kept_up"]:
                break
        kept = [s for s in steps if s["kept_up"]]
        out["sustained_pairs_rate"] = figure(max((s["rate"] for s in kept), default=0), "pairs/s")
        out["max_delivered_pairs_rate"] = figure(
            max(s["delivered_pairs_per_s"] for s in steps), "pairs/s"
        )
        out["notifications_delivered"] = figure(sum(s["delivered"] for s in steps), "requests")
        out["notifications_expected"] = figure(sum(s["wanted"] for s in steps), "requests")
        out["cpu_at_max_rate"] = figure(steps[-1]["cpu"], "% of one core")
        out["_steps"] = steps
    finally:
        client.close()
        process.stop()
        sink.stop()
        server.stop()
    return out


# --- programming ---------------------------------------------------------------------


def service_lateness(port: int) -> dict:
    """The service's own play lateness over the whole run, from its /metrics histogram.

    The simulator's figures include its own delays (on this machine it
    shares the two cores); these do not.
    """
    from prometheus_client.parser import text_string_to_metric_families

    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    buckets = {}
    for family in text_string_to_metric_families(text):
        if family.name == "yascheduler_play_lateness_seconds":
            for sample in family.samples:
                if sample.name.endswith("_bucket"):
                    buckets[float(sample.labels["le"])] = sample.value
    count = buckets.get(float("inf"), 0)
    if not count:
        return {"count": 0, "within_50ms": None, "p99_bound_ms": None}
    p99_bound = next(le for le, seen in sorted(buckets.items()) if seen >= 0.99 * count)
    return {
        "count": int(count),
        "within_50ms": round(100.0 * buckets[0.05] / count, 3),
        "p99_bound_ms": None if p99_bound == float("inf") else p99_bound * 1000,
    }


def scenario_programming(quick: bool, workdir: Path) -> dict:
    plans = [(1000, 40, 180)] if quick else [(1000, 60, 180), (10000, 90, 300), (100000, 150, 300)]
    out = {}
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
        catalog = make_catalog(workdir / f"catalog-{radios}.json", radios)
        server = Redis()
        prefix = f"{radios}"
        try:
            spy = None
            try:
                # not start_service: the profile must cover the start-up
                process, port = launch_service(
                    server.url, workdir, catalog, name=f"service-{radios}"
                )
                time.sleep(1.0)
                spy = profile(
                    process, min(20, startup_timeout), f"start-up, {radios} radios", workdir
                )
                wait_http(process, port, startup_timeout)
                while status(port)["radios"] < radios:
                    if time.time() - process.started > startup_timeout:
                        raise RuntimeError("not every radio programmed")
                    time.sleep(0.2)
                startup = time.time() - process.started
            except RuntimeError as error:
                log(f"  start-up did not finish within {startup_timeout}s: {error}")
                finish_profile(spy)
                out[f"{prefix}_startup"] = figure(None, f"s (not done within {startup_timeout} s)")
                out[f"{prefix}_rss_during_startup"] = figure(process.rss() / 2**20, "MiB")
                process.stop(timeout=5)
                break
            finish_profile(spy)
            out[f"{prefix}_startup"] = figure(startup, "s")
            log(f"  started in {startup:.1f}s")
            streamers = max(1, radios // 1000) if radios > 1000 else 10
            per = radios // streamers
            summary_path = workdir / f"simulate-{radios}.json"
            sim = Process(
                [
                    PYTHON,
                    "-m",
                    "yascheduler",
                    "simulate",
                    "--redis-url",
                    server.url,
                    "--streamers",
                    str(streamers),
                    "--radios-per-streamer",
                    str(per),
                    "--listeners-per-radio",
                    "0",
                    "--duration",
                    str(seconds),
                    "--catalog",
                    str(catalog),
                    "--json",
                    str(summary_path),
                    "--quiet",
                ],
                workdir / f"simulate-{radios}.log",
            )
            settle = min(30.0, seconds / 3)
            time.sleep(settle)
            meter = CpuMeter(process).start()
            spy = profile(process, 20, f"programming, {radios} radios streamed", workdir)
            sim.popen.wait(timeout=seconds + 120)
            cpu = meter.stop()
            finish_profile(spy)
            rss = process.rss()
            service_status = status(port)
            summary = json.loads(summary_path.read_text())
            lateness = summary["play_lateness_ms"]
            out[f"{prefix}_radios_streamed"] = figure(summary["radios_started"], "radios")
            out[f"{prefix}_plays"] = figure(summary["plays"], "plays")
            out[f"{prefix}_play_lateness_p50"] = figure(lateness["p50"], "ms")
            out[f"{prefix}_play_lateness_p99"] = figure(lateness["p99"], "ms")
            out[f"{prefix}_play_lateness_max"] = figure(lateness["max"], "ms")
            out[f"{prefix}_gaps"] = figure(
                summary["gaps"]["count"], "tracks starting > 0.1 s after the previous end"
            )
            out[f"{prefix}_simulator_errors"] = figure(summary["errors"]["total"], "errors")
            join = summary["latency_ms"].get("radio_started") or {}
            out[f"{prefix}_play_radio_p99"] = figure(join.get("p99"), "ms")
            inside = service_status.get("play_lateness") or {}
            out[f"{prefix}_service_lateness_p99"] = figure(
                inside.get("p99_ms"), "ms (service's own, last sends)"
            )
            whole_run = service_lateness(port)
            out[f"{prefix}_service_sends"] = figure(whole_run["count"], "plays (whole run)")
            out[f"{prefix}_service_sends_within_50ms"] = figure(
                whole_run["within_50ms"], "% (service's own, whole run)"
            )
            out[f"{prefix}_service_lateness_p99_bound"] = figure(
                whole_run["p99_bound_ms"], "ms (service's own, whole run: p99 at most this)"
            )
            out[f"{prefix}_cpu"] = figure(cpu, "% of one core")
            out[f"{prefix}_rss"] = figure(rss / 2**20, "MiB")
            out[f"{prefix}_rss_per_radio"] = figure((rss - base_rss) / radios / 1024, "KiB")
            out[f"_{prefix}_simulator"] = summary
            log(
                f"  lateness {lateness}, gaps {summary['gaps']}, "
                f"errors {summary['errors']}, cpu {cpu:.0f}%"
            )
            process.stop()
        finally:
            server.stop()
    return out


# --- report --------------------------------------------------------------------------


def markdown(results: dict) -> str:
    lines = ["| scenario | figure | value | unit |", "|---|---|---|---|"]
    for scenario, figures in results.items():
        for name, item in figures.items():
            if name.startswith("_") or not isinstance(item, dict) or "value" not in item:
                continue
            value = item["value"]
            shown = (
                "—"
                if value is None
                else (
                    f"{value:,.3g}"
                    if isinstance(value, float) and abs(value) < 100
                    else (
                        f"{value:,.0f}"
                        if isinstance(value, float)
                        else f"{value:,}"
                        if isinstance(value, int)
                        else str(value)
                    )
                )
            )
            lines.append(f"| {scenario} | {name} | {shown} | {item['unit']} |")
    return "\n".join(lines)


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    curves = results.get("messages", {}).get("_curves", {})
    for label, steps in curves.items():
        style = "-" if label.startswith("yascheduler") else "--"
        left.plot(
            [s["offered_per_s"] for s in steps],
            [s["reply_rate"] for s in steps],
            style,
            marker="o",
            label=label,
        )
    top = max([s["offered_per_s"] for steps in curves.values() for s in steps] or [1])
    left.plot([0, top], [0, top], ":", color="grey", label="every message answered")
    left.set_xlabel("offered messages/s")
    left.set_ylabel("replies/s")
    left.set_title("Round-trip throughput (yascheduler vs echo baseline)")
    left.legend(fontsize=7)
    programming = results.get("programming", {})
    sizes, p50, p99, pmax = [], [], [], []
    for key, item in programming.items():
        if key.endswith("_play_lateness_p99") and item["value"] is not None:
            n = key.split("_")[0]
            sizes.append(n)
            p50.append(max(programming[f"{n}_play_lateness_p50"]["value"], 0.1))
            p99.append(max(item["value"], 0.1))
            pmax.append(max(programming[f"{n}_play_lateness_max"]["value"], 0.1))
    xs = range(len(sizes))
    width = 0.25
    right.bar([x - width for x in xs], p50, width, label="p50")
    right.bar(list(xs), p99, width, label="p99")
    right.bar([x + width for x in xs], pmax, width, label="max")
    right.axhline(50, color="red", linestyle=":", label="p99 target 50 ms")
    right.set_yscale("log")
    right.set_xticks(list(xs), [f"{int(n):,} radios" for n in sizes] or [])
    right.set_ylabel("play lateness at the streamer (ms, log)")
    right.set_title("Play lateness by number of radios")
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes and short steps (< 2 min)"
    )
    parser.add_argument("--json", required=True, help="where to write the figures")
    parser.add_argument(
        "--only",
        action="append",
        choices=["messages", "listeners", "programming"],
        help="run only this scenario (repeatable)",
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other scenarios' figures already in the JSON file",
    )
    parser.add_argument("--chart", default=str(RESULTS / "chart.png"))
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="yasbench-"))
    log(f"work files in {workdir}")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    previous = (
        json.loads(Path(args.json).read_text()) if args.merge and Path(args.json).exists() else {}
    )
    results = {
        **previous,
        "machine": {
            "cpus": figure(os.cpu_count(), "cores"),
            "python": figure(platform.python_version(), ""),
            "commit": figure(commit + "+dirty", ""),
            "date": figure(time.strftime("%Y-%m-%dT%H:%M:%S"), "local time"),
        },
    }
    scenarios = {
        "messages": scenario_messages,
        "listeners": scenario_listeners,
        "programming": scenario_programming,
    }
    for name, run in scenarios.items():
        if args.only and name not in args.only:
            continue
        began = time.time()
        try:
            results[name] = run(args.quick, workdir)
        except Exception as error:  # one broken scenario must not lose the others' figures
            log(f"{name} failed: {error!r}")
            results[name] = {"failed": figure(repr(error), "")}
        results[name]["scenario_time"] = figure(time.time() - began, "s")
        Path(args.json).write_text(json.dumps(results, indent=1))
    chart(results, Path(args.chart))
    profiles = "\n\n".join(f"## {name}\n{text}" for name, text in PROFILES.items())
    profile_path = Path(args.json).with_suffix(".profiles.txt")
    if args.merge and profile_path.exists():
        profiles = profile_path.read_text().rstrip("\n") + "\n\n" + profiles
    profile_path.write_text(profiles + "\n")
    print(markdown(results))
    print()
    print(profiles)
    return 0


if __name__ == "__main__":
    sys.exit(main())
