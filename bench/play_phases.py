"""A simulator's plays file (`yascheduler simulate --plays`) split into the join and
the steady state: where a run's p99 lateness and its gaps come from.

The join is the first JOIN_SECONDS after the simulator's launch (every radio asks
to start, the service writes every radio's state at once); the steady state is what
follows. Each line of the file is [arrival, radio, lateness, gap, duplicate].
"""

import sys
from pathlib import Path

import ujson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from yascheduler.support.stats import summary  # noqa: E402

JOIN_SECONDS = 60.0
GAP_SECONDS = 0.1  # as the simulator counts a gap (tools/sim_streamer.py)


def phases(plays: Path, launched: float, join_seconds: float = JOIN_SECONDS) -> dict:
    """{"join" | "steady": {"plays", "lateness_ms": {count, p50, p99, max}, "gaps"}}."""
    split = {"join": ([], [0, 0]), "steady": ([], [0, 0])}  # lateness (s), [plays, gaps]
    with plays.open() as lines:
        for line in lines:
            arrival, _, lateness, gap, _ = ujson.loads(line)
            late, counts = split["join" if arrival - launched < join_seconds else "steady"]
            counts[0] += 1
            if lateness is not None:
                late.append(lateness)
            if gap is not None and gap > GAP_SECONDS:
                counts[1] += 1
    return {
        name: {"plays": plays, "lateness_ms": summary(late, scale=1000.0), "gaps": gaps}
        for name, (late, (plays, gaps)) in split.items()
    }


if __name__ == "__main__":
    print(ujson.dumps(phases(Path(sys.argv[1]), float(sys.argv[2])), indent=1))
