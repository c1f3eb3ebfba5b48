"""Where a running service's memory is, on demand: put this directory on PYTHONPATH
and set YAS_HEAP_PROBE to a directory, then `kill -USR2 PID` writes PID-N.txt there.

What it writes: /proc/PID/smaps_rollup, glibc's heap (mallinfo2), the live
objects the collector tracks by type, pymalloc's arenas (sys._debugmallocstats:
what they hold, and how much of it is in no block in use), with
YAS_HEAP_TRACE=1 (tracemalloc from the start, one frame: the process runs
slower, its own tables reported apart) the heap by the line that allocated
it; then the resident figure again after malloc_trim(0). Only `yascheduler
run` processes are probed.
"""

import ctypes
import gc
import itertools
import os
import signal
import sys
from collections import Counter

# this directory is on PYTHONPATH: its modules import as top-level ones
from pymalloc_stats import pymalloc_stats

OUT = os.environ.get("YAS_HEAP_PROBE")
_dumps = itertools.count(1)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _glibc() -> str:
    """glibc's heap: what it took from the system (`arena`: brk heap, `hblkhd`: mmapped
    blocks), of it in use (`uordblks`) and free (`fordblks`)."""
    try:
        mallinfo2 = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return "(no mallinfo2: not glibc 2.33+)"
    mallinfo2.restype = _Mallinfo2
    info = mallinfo2()
    return "glibc: " + ", ".join(f"{name} {getattr(info, name):,}" for name, _ in info._fields_)


def _objects() -> str:
    gc.unfreeze()  # the start-up's objects are frozen: counted too
    try:
        counts = Counter(type(item).__qualname__ for item in gc.get_objects())
    finally:
        gc.freeze()
    return "\n".join(f"{count:12,d}  {name}" for name, count in counts.most_common(40))


def _traced() -> str:
    import tracemalloc

    if not tracemalloc.is_tracing():
        return "(not traced: YAS_HEAP_TRACE=1 traces from the start)"
    size, _ = tracemalloc.get_traced_memory()
    lines = [f"traced {size:,} bytes; tracemalloc's own {tracemalloc.get_tracemalloc_memory():,}"]
    snapshot = tracemalloc.take_snapshot()
    for group in ("filename", "lineno"):
        lines.append(f"--- by {group}")
        for stat in snapshot.statistics(group)[:40]:
            frame = stat.traceback[0]
            lines.append(f"{stat.size:14,d} {stat.count:10,d}  {frame.filename}:{frame.lineno}")
    return "\n".join(lines)


def _dump(*_) -> None:
    path = os.path.join(OUT, f"{os.getpid()}-{next(_dumps)}.txt")
    with open(f"/proc/{os.getpid()}/smaps_rollup") as smaps:
        rollup = smaps.read()
    parts = [rollup, _glibc(), _traced(), _objects(), pymalloc_stats()]
    ctypes.CDLL("libc.so.6").malloc_trim(0)  # what handing back glibc's free pages now gives
    with open(f"/proc/{os.getpid()}/smaps_rollup") as smaps:
        parts.append("after malloc_trim(0):\n" + smaps.read())
    with open(path, "w") as out:
        out.write("\n\n".join(parts))


if OUT and sys.orig_argv[1:4] == ["-m", "yascheduler", "run"]:
    if os.environ.get("YAS_HEAP_TRACE") == "1":
        import tracemalloc

        tracemalloc.start(1)
    signal.signal(signal.SIGUSR2, _dump)
