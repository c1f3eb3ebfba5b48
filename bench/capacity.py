"""The capacity scenario (`python bench/run.py --only capacity`): one instance at a few
sizes gives the radios an instance holds within the targets (p99 `play` lateness
< 20 ms, 0 gaps once steady); a model for 1,000,000 radios follows (instances, Redis
and store load, scaled linearly from the per-radio costs measured), and is checked by
a run at 1/50 of that: 20,000 radios over the model's instances / 50, every figure
scaled back by 50."""

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import StoreServer, figure, log, make_catalog  # noqa: E402
from scenario_instances import fleet_run  # noqa: E402

TARGET_P99_MS = 20.0
PLATFORM = 1_000_000
SCALE = 50  # the check runs PLATFORM / SCALE radios
MAX_INSTANCES_HERE = 6  # more would only measure the 2 cores' contention
# per-radio costs scaled to 100,000 radios and to the platform
RATES = {
    "redis_publish": "PUBLISH/s",
    "service_messages": "messages/s sent by the service",
    "redis_bytes_in": "bytes/s into redis-server",
    "redis_bytes_out": "bytes/s out of redis-server",
    "store_writes": "documents/s",
}


def within_targets(out: dict, prefix: str) -> bool:
    p99 = out.get(f"{prefix}_steady_play_lateness_p99", {}).get("value")
    gaps = out.get(f"{prefix}_steady_gaps", {}).get("value")
    return p99 is not None and p99 < TARGET_P99_MS and gaps == 0


def scenario_capacity(quick: bool, workdir: Path) -> dict:
    sizes = [1000, 2000] if quick else [2500, 5000]
    out = {}
    store = StoreServer(workdir)
    try:
        for radios in sizes:
            catalog = make_catalog(workdir / f"catalog-{radios}.json", radios)
            fleet_run(store, workdir, catalog, radios, 1, f"{radios}_1i", out)
        held = [r for r in sizes if within_targets(out, f"{r}_1i")]
        capacity = max(held) if held else None
        out["capacity_per_instance"] = figure(
            capacity, f"radios (largest of {sizes} with p99 < 20 ms, 0 gaps)"
        )
        reference = max(sizes)  # the per-radio costs from the biggest run
        model(out, capacity, f"{reference}_1i", reference)
        check(store, workdir, out, capacity or min(sizes), quick)
    finally:
        store.stop()
    return out


def model(out: dict, capacity: int | None, prefix: str, radios: int) -> None:
    """Per 100,000 radios and for the platform: linear in the radios."""
    for rate, unit in RATES.items():
        per_radio = out[f"{prefix}_{rate}"]["value"] / radios
        out[f"per_100k_{rate}"] = figure(per_radio * 100_000, unit)
        out[f"model_1M_{rate}"] = figure(per_radio * PLATFORM, unit)
    if capacity:
        out["model_1M_instances"] = figure(math.ceil(PLATFORM / capacity), "instances")


def check(store, workdir: Path, out: dict, capacity: int, quick: bool) -> None:
    """PLATFORM / SCALE radios over the model's instances / SCALE (at most
    MAX_INSTANCES_HERE): its figures times SCALE against the model's."""
    radios = PLATFORM // SCALE // (10 if quick else 1)
    count = min(MAX_INSTANCES_HERE, max(2, math.ceil(radios / capacity)))
    prefix = f"check_{radios}_{count}i"
    log(f"capacity check: {radios} radios over {count} instances")
    catalog = make_catalog(workdir / f"catalog-{radios}.json", radios)
    try:
        fleet_run(store, workdir, catalog, radios, count, prefix, out)
    except RuntimeError as error:  # the fleet not shared out in time: the model unchecked
        log(f"  {error}")
        out[f"{prefix}_failed"] = figure(str(error), "")
        return
    scale = PLATFORM / radios
    for rate, unit in RATES.items():
        measured = out[f"{prefix}_{rate}"]["value"] * scale
        out[f"check_scaled_1M_{rate}"] = figure(measured, f"{unit} (measured x {scale:g})")
    out["check_within_targets"] = figure(within_targets(out, prefix), "p99 < 20 ms and 0 gaps")
