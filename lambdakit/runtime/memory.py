"""Memory use of a worker process, as Lambda's ``Max Memory Used`` reports it."""
from __future__ import annotations

import sys


def _proc_status_kb(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory in MB since it started (0.0 if unknown).

    On Linux this is the kernel's high-water mark (``VmHWM``), so a short spike
    between two polls is still seen. Elsewhere it is the current RSS via psutil,
    which the caller polls and keeps the maximum of.
    """
    if sys.platform.startswith("linux"):
        kb = _proc_status_kb(pid, b"VmHWM:")
        return kb / 1024 if kb is not None else 0.0
    try:
        import psutil
        return psutil.Process(pid).memory_info().rss / (1024 * 1024)
    except Exception:
        return 0.0
