"""py-spy profiles of the service under load: the top frames of each scenario."""

import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path


sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    PYTHON,
    Process,
)

PROFILES: dict[str, str] = {}


def profile(process: Process, seconds: float, name: str, workdir: Path) -> subprocess.Popen | None:
    """Start py-spy on the process for `seconds` (non-blocking); None without py-spy."""
    pyspy = shutil.which("py-spy") or str(Path(PYTHON).parent / "py-spy")
    if not os.path.exists(pyspy):
        return None
    raw = workdir / (name.replace("/", " per ") + ".raw")
    proc = subprocess.Popen(
        [
            pyspy,
            "record",
            "--pid",
            str(process.pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--nonblocking",
            "--format",
            "raw",
            "-o",
            str(raw),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc.raw_path, proc.profile_name = raw, name
    return proc


def finish_profile(proc: subprocess.Popen | None, top: int = 10) -> None:
    if proc is None:
        return
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
    if not proc.raw_path.exists():
        return
    PROFILES[proc.profile_name] = top_frames(proc.raw_path, top)


SKIP = (
    "<module>",
    "_run_code",
    "_run_module_as_main",
    "main (yascheduler/app/cli.py",
    "run (gevent/",
    "run (yascheduler/app/cli.py",
    "serve (yascheduler/app/cli.py",
)


def top_frames(raw_path: Path, top: int) -> str:
    """The top frames of a py-spy raw (collapsed stacks) profile: by own time and by total time."""
    own, total, samples = Counter(), Counter(), 0
    for line in raw_path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        count = int(count)
        samples += count
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    lines = [f"{samples} samples", "  own time:"]
    lines += [f"    {c / samples * 100:5.1f}%  {f}" for f, c in own.most_common(top)]
    lines.append("  total time (frames below the entry point):")
    shown = 0
    for frame, count in total.most_common():
        if any(frame.startswith(s) or s in frame for s in SKIP):
            continue
        lines.append(f"    {count / samples * 100:5.1f}%  {frame}")
        shown += 1
        if shown == top:
            break
    return "\n".join(lines)
