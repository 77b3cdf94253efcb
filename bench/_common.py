"""Helpers shared by the benchmarks: statistics, machine description, results file."""
from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import re
import shlex
import sys

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(BENCH_DIR)
RESULTS = os.path.join(BENCH_DIR, "results.md")

if REPO_ROOT not in sys.path:  # run as `python bench/x.py` without PYTHONPATH
    sys.path.insert(0, REPO_ROOT)


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation, as numpy's default."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    """p50, p99, mean and n of a list of samples."""
    return {"p50": percentile(values, 50), "p99": percentile(values, 99),
            "mean": sum(values) / len(values) if values else float("nan"), "n": len(values)}


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (ValueError, OSError, AttributeError):
        return float("nan")


def _os_name() -> str:
    try:
        with open("/etc/os-release") as f:
            fields = dict(line.rstrip().split("=", 1) for line in f if "=" in line)
        return f"{fields.get('PRETTY_NAME', '').strip(chr(34))}, kernel {platform.release()}"
    except OSError:
        return platform.platform()


def load_average() -> str:
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "n/a"


def versions(*packages: str) -> str:
    out = []
    for name in packages:
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def header_lines() -> list[str]:
    """Command, date, machine and package versions, as markdown bullet lines."""
    cores = os.cpu_count() or 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    lines = [
        f"- command: `{shlex.join(['python', *sys.argv])}` (from the repository root)",
        f"- date: {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M UTC}",
        f"- machine: {_cpu_model()}, {cores} cores, {_ram_gb():.1f} GB RAM, {_os_name()}",
        f"- Python {platform.python_version()} ({sys.executable})",
        f"- versions: {versions('moto', 'boto3', 'botocore', 'awslambdaric', 'werkzeug', 'python-lambda-local', 'psutil')}",
        f"- load average at start (1, 5, 15 min): {load_average()}",
    ]
    if load > 0.5 * cores:
        lines.append(f"- **the machine was busy (load {load:.1f} on {cores} cores): "
                     "treat these figures as upper bounds**")
    return lines


def write_section(title: str, body: str, path: str = RESULTS) -> None:
    """Replace the ``## title`` section of the results file (or append it)."""
    text = ""
    if os.path.exists(path):
        with open(path) as f:
            text = f.read()
    if not text:
        text = "# Benchmark results\n\nWritten by the scripts in `bench/` (see `bench/README.md`).\n"
    section = f"## {title}\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def ms(value: float) -> str:
    return f"{value:.2f}"
