"""The messages scenario: `test` and `user_authentication` round trips at rising rates,
against the service and the echo baseline."""

import json
import subprocess
import sys
import time
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BENCH,
    PYTHON,
    CpuMeter,
    Process,
    Redis,
    figure,
    log,
    make_catalog,
    start_service,
)
from profiling import finish_profile, profile  # noqa: E402


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
