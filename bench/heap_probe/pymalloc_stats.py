"""pymalloc's arenas as sys._debugmallocstats prints them, as text.

Standard library only: the heap probe's sitecustomize imports it at the start of
a probed interpreter, before the service's own imports (and gevent's patch).
"""

import os
import sys
import tempfile


def pymalloc_stats() -> str:
    """What sys._debugmallocstats writes, caught: it writes to the C stderr (fd 2)."""
    with tempfile.TemporaryFile("w+") as out:
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        return out.read()
