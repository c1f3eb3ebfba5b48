"""The listeners scenario: register + unregister pairs at rising rates, every web app
notification delivered to a local sink."""

import json
import sys
import time
from pathlib import Path

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    BENCH,
    PYTHON,
    CpuMeter,
    Process,
    Redis,
    figure,
    free_port,
    log,
    make_catalog,
    start_service,
    status,
)
from profiling import finish_profile, profile  # noqa: E402


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
