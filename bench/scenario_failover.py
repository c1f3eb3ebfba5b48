"""The failover scenario: 3 instances on one Redis and one nx-27017 hold 10,000
radios streamed by `yascheduler simulate`; once steady, one is killed -9. Figures:
seconds until the survivors program every radio again, and the plays before and
after: lateness, gaps, slots played twice."""

import json
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Redis, figure, launch_simulator, log, make_catalog  # noqa: E402
from fleet import (  # noqa: E402
    LEASE_SECONDS,
    Load,
    StoreServer,
    launch_fleet,
    leases_lost,
    logged_at,
    plays_between,
    stop_fleet,
    until,
    window_figures,
)

SETTLE = 45.0  # s: every radio started and past its first timed play (songs of 20-40 s)
STEADY = 45.0  # s measured before the kill
AFTER = 90.0  # s after it: the lease (LEASE_SECONDS), the takeover, two songs and more


def scenario_failover(quick: bool, workdir: Path) -> dict:
    radios = 2000 if quick else 10000
    out = {"radios": figure(radios, "radios"), "instances": figure(3, "instances")}
    out["lease_seconds"] = figure(LEASE_SECONDS, "s (--lease-seconds)")
    store, server = StoreServer(workdir), Redis()
    catalog = make_catalog(workdir / f"catalog-failover-{radios}.json", radios)
    instances = []
    try:
        instances, startup = launch_fleet(
            server.url, store.url("failover"), workdir, catalog, radios, 3, "failover",
            ("--log-level", "info"),  # the fleet's steps, timed (takeover_steps)
        )  # fmt: skip
        out["startup"] = figure(startup, "s (first launch to every radio shared out)")
        log(f"failover: {radios} radios over 3 instances in {startup:.1f}s")
        plays = workdir / "failover-plays.jsonl"
        sim, summary_path = launch_simulator(
            server.url, catalog, radios, SETTLE + STEADY + AFTER, workdir, "simulate-failover",
            plays,
        )  # fmt: skip
        time.sleep(SETTLE)
        steady_from = time.time()
        load = Load(instances, store, server.url, server.server.pid).start()
        time.sleep(STEADY)
        load.stop(out, "before")
        victim, survivors = instances[0], instances[1:]
        orphaned = victim.radios()
        # in a fleet whose leases flap, the survivors may program some of them already
        out["survivors_radios_at_kill"] = figure(sum(s.radios() for s in survivors), "radios")
        victim.process.popen.send_signal(signal.SIGKILL)
        killed_at = time.time()
        victim.process.popen.wait(timeout=10)
        try:
            taken = until(
                lambda: sum(s.radios() for s in survivors) == radios, "the orphans", 60, 0.05
            )
        except RuntimeError:
            taken = None
        log(f"  killed {victim.name} ({orphaned} radios): all programmed again in {taken}s")
        out["orphaned_radios"] = figure(orphaned, "radios of the killed instance")
        out["takeover"] = figure(
            taken, "s from kill -9 until the survivors program every radio (None: not in 60 s)"
        )
        takeover_steps(out, survivors, killed_at)
        load = Load(survivors, store, server.url, server.server.pid).start()
        sim.popen.wait(timeout=AFTER + 120)
        load.stop(out, "after")
        window_figures(out, "before", plays_between(plays, steady_from, killed_at))
        window_figures(out, "after", plays_between(plays, killed_at))
        whole = out["_simulator"] = json.loads(summary_path.read_text())
        out["gaps_whole_run"] = figure(whole["gaps"]["count"], "tracks (joins included)")
        out["duplicate_plays_whole_run"] = figure(whole["duplicate_plays"], "slots played twice")
        out["simulator_errors"] = figure(whole["errors"]["total"], "errors")
        out["leases_lost"] = figure(
            leases_lost(instances), "times an instance lost shards it held (lease run out)"
        )
        log(f"  after the kill: {plays_between(plays, killed_at)}")
    finally:
        stop_fleet([i for i in instances if i.process.alive()])
        server.stop()
        store.stop()
    return out


def takeover_steps(out: dict, survivors, killed_at: float) -> None:
    """Where the takeover's time went, from the survivors' logs: the kill to the first
    take, and to the last take loaded (its radios programmed and held)."""
    taken = [at for s in survivors for at in logged_at(s, "shards taken:", killed_at)]
    loaded = [at for s in survivors for at in logged_at(s, "shards taken loaded", killed_at)]
    first = min(taken) - killed_at if taken else None
    last = max(loaded) - killed_at if loaded else None
    out["takeover_first_take"] = figure(first, "s from kill -9 to a survivor's first take")
    out["takeover_loaded"] = figure(last, "s from kill -9 to the last take loaded (logged)")
    out["takeover_takes"] = figure(len(taken), "takes by the survivors after the kill")
