"""The C allocator's free pages handed back while the service runs (support/freed_memory.py)."""

import gc
from pathlib import Path

from yascheduler.support.freed_memory import GIVE_BACK_EVERY, GiveBack, collector_paused

BLOCK = 4096  # above pymalloc's 512 bytes: glibc's malloc holds each one
BLOCKS = 50_000  # ~200 MB


def resident() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_a_turn_hands_back_what_was_freed_amid_live_blocks():
    blocks = [bytearray(BLOCK) for _ in range(BLOCKS)]
    kept = blocks[-1]  # live above the freed ones: glibc cannot just shrink its heap
    del blocks
    freed = resident()
    wait = GiveBack().loop()
    assert freed - resident() > BLOCKS * BLOCK // 2
    assert wait == GIVE_BACK_EVERY
    assert len(kept) == BLOCK


def test_the_collector_runs_again_only_once_every_overlapping_pause_ended():
    # a publish's pause that ends within a load's (two greenlets) must not start the
    # collector under the load
    assert gc.isenabled()
    load = collector_paused()
    publish = collector_paused()
    load.__enter__()
    publish.__enter__()
    publish.__exit__(None, None, None)
    assert not gc.isenabled()
    load.__exit__(None, None, None)
    assert gc.isenabled()
