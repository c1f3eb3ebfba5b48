"""Memory that a start-up or an import freed, given back to the system.

Reading and decoding 100,000 stored radios and timelines, or a catalog file,
leaves megabytes freed inside the C allocator, which keeps them for the
process: resident for good, though nothing uses them. glibc's malloc_trim
hands back the free pages. Elsewhere (musl, macOS) there is no such call,
and this does nothing.
"""

import ctypes
import ctypes.util
import logging

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
