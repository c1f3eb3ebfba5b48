"""Memory that a start-up or an import freed, given back to the system; what they
built kept out of garbage collections.

Reading and decoding 100,000 stored radios and timelines, or a catalog file,
leaves megabytes freed inside the C allocator, which keeps them for the
process: resident for good, though nothing uses them. glibc's malloc_trim
hands back the free pages. Elsewhere (musl, macOS) there is no such call,
and this does nothing.
"""

import ctypes
import ctypes.util
import gc
import logging
from contextlib import contextmanager

log = logging.getLogger("yascheduler.memory")


def _malloc_trim():
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_TRIM = _malloc_trim()


def give_back() -> None:
    """Return the C allocator's free pages to the system, where it can (glibc)."""
    if _TRIM is not None:
        _TRIM(0)


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


@contextmanager
def collector_paused(spare: bool = False):
    """The cyclic garbage collector off while a catalog is decoded, read and imported.

    That allocates millions of containers that live until the import ends, and
    no cycle: the collector would walk them, and the whole document, again and
    again (a quarter of an import's time, and more the larger it is). Other
    greenlets may run meanwhile (an import writes); their cycles wait. Nested, the
    outer one enables it again. `spare`: what exists once the block succeeded is
    kept out of collections (spare_from_the_collector, which follows every import)
    rather than walked once more as the collector starts again; not when it failed,
    as its traceback holds what it built.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if spare and enabled:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()
