"""Memory that a start-up, an import or a backlog freed, given back to the system; what
they built kept out of garbage collections.

Reading and decoding 100,000 stored radios and timelines, or a catalog file,
leaves megabytes freed inside the C allocator, which keeps them for the
process: resident for good, though nothing uses them. glibc's malloc_trim
hands back the free pages: after a start-up or an import, and every
GIVE_BACK_EVERY seconds (the join of 100,000 radios, the writer's backlog
behind a slow store and its bulk messages free megabytes while the service
runs; bench/README.md, "Where a radio's resident memory goes"). Elsewhere
(musl, macOS) there is no such call, and this does nothing.
"""

import ctypes
import ctypes.util
import gc
import logging
import time
from contextlib import contextmanager

log = logging.getLogger("yascheduler.memory")


GIVE_BACK_EVERY = 60.0  # seconds; a trim costs milliseconds at 100,000 radios


def _libc_call(name: str):
    library = ctypes.util.find_library("c")
    if library is None:
        return None
    try:
        return getattr(ctypes.CDLL(library), name)
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _libc_call("malloc_trim")


def give_back() -> None:
    """Return the C allocator's free pages to the system, where it can (glibc)."""
    if _TRIM is not None:
        _TRIM(0)


class GiveBack:
    """A part (support.supervisor): the C allocator's free pages given back every
    GIVE_BACK_EVERY seconds."""

    name = "memory-give-back"

    def __init__(self, every: float = GIVE_BACK_EVERY, timer=time.perf_counter):
        self.every = every
        self._timer = timer

    def loop(self) -> float:
        began = self._timer()
        give_back()
        log.debug("memory: free pages given back in %.1f ms", (self._timer() - began) * 1000)
        return self.every


def spare_from_the_collector() -> None:
    """Keep what exists now (the catalog, the programmed radios) out of garbage collections.

    They live as long as the process, and a full collection walks every
    object it tracks: with 100,000 radios that is a pause of a second or
    more in the scheduler loop, every time one runs. Reference counting
    still frees them when they are let go. What building them freed on the
    way (stored documents, a catalog file) goes back to the system.
    """
    gc.freeze()
    give_back()


# the pauses in progress, of any greenlet, and whether the collector runs once all end:
# one greenlet's pause that ends while another's goes on (a publish within a load that
# yields) must not start the collector under the other
_pauses = 0
_resume = False


@contextmanager
def collector_paused(spare: bool = False):
    """The cyclic garbage collector off while a catalog is decoded, read and imported.

    That allocates millions of containers that live until the import ends, and
    no cycle: the collector would walk them, and the whole document, again and
    again (a quarter of an import's time, and more the larger it is). Other
    greenlets may run meanwhile (an import writes); their cycles wait. Pauses may
    nest and overlap (greenlets): the collector runs again once the last one ends,
    if it ran before the first. `spare`: what exists once the block succeeded is
    kept out of collections (spare_from_the_collector, which follows every import)
    rather than walked once more as the collector starts again; not when it failed,
    as its traceback holds what it built.
    """
    global _pauses, _resume
    if _pauses == 0:
        _resume = gc.isenabled()
    _pauses += 1
    gc.disable()
    try:
        yield
        if spare and _resume:
            gc.freeze()
    finally:
        _pauses -= 1
        if _pauses == 0 and _resume:
            gc.enable()
