"""The instances scenario: the same radios over 1 instance and over 2, side by side in
one run, every instance on one nx-27017 (a database per run) and a Redis per run,
streamed by `yascheduler simulate`: start-up, play lateness, gaps, CPU of each part,
store writes and Redis traffic. Songs of 20-40 s by default (tracks 6-8 times as often
as a real catalog's); `song_seconds` (run.py --song-seconds) sets them, the settling
and the steady window growing with them."""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Redis, figure, launch_simulator, log, make_catalog  # noqa: E402
from fleet import (  # noqa: E402
    IMPORT_STEP,
    Load,
    StoreServer,
    launch_fleet,
    leases_lost,
    plays_between,
    stop_fleet,
    window_figures,
)
from profiling import finish_profile, profile  # noqa: E402

SETTLE = 45.0  # s: every radio started and past its first timed play (songs of 20-40 s)
STEADY = 45.0  # s: the window measured after it


def fleet_run(
    store, workdir, catalog, radios, count, prefix, out, steady=STEADY, settle=SETTLE
) -> None:
    """`radios` over `count` instances, streamed: figures under `prefix`; those of the
    steady part (after `settle`: the join burst over) say `_steady`."""
    log(f"{prefix}: {radios} radios over {count} instance(s)")
    server = Redis()
    instances = []
    try:
        instances, startup = launch_fleet(
            server.url, store.url(f"run_{prefix}"), workdir, catalog, radios, count, prefix
        )
        out[f"{prefix}_startup"] = figure(startup, "s (first import, then every share taken)")
        log(f"  programmed in {startup:.1f}s")
        plays = workdir / f"{prefix}-plays.jsonl"
        sim, summary_path = launch_simulator(
            server.url, catalog, radios, settle + steady, workdir, f"simulate-{prefix}", plays
        )
        time.sleep(settle)
        steady_from = time.time()
        load = Load(instances, store, server.url, server.server.pid).start()
        spy = profile(instances[-1].process, 20, f"{prefix}, {instances[-1].name}", workdir)
        sim.popen.wait(timeout=steady + 300)
        load.stop(out, prefix)
        finish_profile(spy)
        steady_plays = plays_between(plays, steady_from)
        window_figures(out, f"{prefix}_steady", steady_plays)
        whole = json.loads(summary_path.read_text())
        out[f"{prefix}_radios_streamed"] = figure(whole["radios_started"], "radios")
        out[f"{prefix}_gaps_whole_run"] = figure(
            whole["gaps"]["count"], "tracks (the join burst included)"
        )
        out[f"{prefix}_duplicate_plays_whole_run"] = figure(whole["duplicate_plays"], "slots")
        out[f"{prefix}_simulator_errors"] = figure(whole["errors"]["total"], "errors")
        out[f"{prefix}_leases_lost"] = figure(
            leases_lost(instances), "times an instance lost shards it held (lease run out)"
        )
        out[f"_{prefix}_simulator"] = whole
        log(f"  steady: {steady_plays}")
    finally:
        stop_fleet(instances)
        server.stop()


def scenario_instances(
    quick: bool,
    workdir: Path,
    sizes: list[int] | None = None,
    song_seconds: tuple[float, float] | None = None,
) -> dict:
    sizes = sizes or ([2000] if quick else [20000, 100000])
    out, shape, timing = {}, {}, {}
    if song_seconds is not None:
        shortest, longest = song_seconds
        out["song_seconds"] = figure(f"{shortest:g}-{longest:g}", "s (songs' durations)")
        shape = {"min_duration": shortest, "max_duration": longest}
        # settled: every joined track over and its follower sent; steady: every radio's
        # next play timed against a timed one
        timing = {"settle": longest + 15.0, "steady": longest + 60.0}
    store = StoreServer(workdir)
    try:
        for radios in sizes:
            catalog = make_catalog(workdir / f"catalog-{radios}.json", radios, **shape)
            for count in (1, 2):
                try:
                    prefix = f"{radios}_{count}i"
                    fleet_run(store, workdir, catalog, radios, count, prefix, out, **timing)
                except RuntimeError as error:  # too slow here: say so, go on with the next
                    log(f"  {error}")
                    out[f"{radios}_{count}i_failed"] = figure(str(error), "")
                    if IMPORT_STEP in str(error):  # the step every count begins with: same again
                        break
    finally:
        store.stop()
    return out
