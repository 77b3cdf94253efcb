"""Speed of the discrete-event simulator: 1,000,000 simulated requests per scenario, on one core.

Run from the repository root::

    python bench/bench_simulator.py           # four scenarios of 1,000,000 requests, best of 3
    python bench/bench_simulator.py --quick   # 100,000 requests, one run, for a smoke run

Each scenario is one call of :func:`lambdakit.simulator.simulate` (arrival
generation, the event loop through the concurrency model, percentiles, the time
series and the cost all included), timed with ``perf_counter`` and
``process_time`` in this single-threaded process. The target, 1,000,000
requests in under 5 s, is reported as PASS or MISS, not asserted. Results are
printed and written to ``bench/results.md`` (section "bench_simulator.py").
"""
from __future__ import annotations

import argparse
import gc
import platform
import resource
import subprocess
import time

import _common as c

from lambdakit.concurrency import legacy_burst
from lambdakit.simulator import ConstantRate, Fixed, LogNormal, Spike, Workload, simulate

TARGET_S = 5.0


def _scenarios(n: int) -> list[tuple[str, dict]]:
    seconds = n / 2000  # 2,000 requests per second
    return [
        ("constant rate 2,000/s, fixed 100 ms, Init 250 ms",
         dict(arrivals=ConstantRate(2000, seconds=seconds), duration_ms=Fixed(100), init_ms=Fixed(250))),
        ("Poisson 2,000/s, log-normal duration (median 100 ms) and Init",
         dict(arrivals=ConstantRate(2000, seconds=seconds, poisson=True), duration_ms=LogNormal(100, 0.5),
              init_ms=LogNormal(250, 0.3))),
        ("reserved 100 under 2,000/s of 100 ms (half throttled), provisioned 50",
         dict(arrivals=ConstantRate(2000, seconds=seconds), duration_ms=Fixed(100), reserved=100,
              provisioned=50)),
        ("two functions, legacy burst, spikes of 5,000 on a 1,000/s base each",
         dict(arrivals=[Workload(name, ConstantRate(1000, seconds=seconds) + Spike(5000, at=seconds / 2),
                                 LogNormal(200, 0.4), Fixed(300)) for name in ("a", "b")],
              account_limit=3000, scaling=legacy_burst("us-east-1"))),
    ]


def _machine() -> list[str]:
    def run(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return "n/a"

    model = next((line.split(":", 1)[1].strip() for line in run("lscpu").splitlines()
                  if line.startswith("Model name")), "n/a")
    return [f"- `lscpu | grep 'Model name'`: {model}", f"- `nproc`: {run('nproc')}",
            f"- Python {platform.python_version()} ({platform.python_implementation()})"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 requests, one run")
    args = parser.parse_args()
    n, repeats = (100_000, 1) if args.quick else (1_000_000, 3)

    rows = []
    for name, kwargs in _scenarios(n):
        arrivals = kwargs.pop("arrivals")
        walls, cpus = [], []
        for _ in range(repeats):
            gc.collect()
            wall0, cpu0 = time.perf_counter(), time.process_time()
            result = simulate(arrivals, seed=1, **kwargs)
            walls.append(time.perf_counter() - wall0)
            cpus.append(time.process_time() - cpu0)
        best = min(walls)
        verdict = "PASS" if best < TARGET_S * result.requests / 1_000_000 else "MISS"
        rows.append((name, result, best, max(walls), min(cpus)))
        print(f"{name}: {result.requests:,} requests in {best:.2f} s (best of {repeats}), "
              f"{result.requests / best:,.0f} requests/s, {verdict}")

    header = [line for line in c.header_lines() if not line.startswith(("- versions", "- Python"))]
    lines = [*_machine(), *header, "",
             f"Each scenario: one `simulate(...)` call, seed 1, {n:,} requests (approximately, for Poisson "
             f"arrivals), best and worst of {repeats} run(s) in one process; CPU = `process_time` of the "
             f"best run (single-threaded). Peak RSS of the benchmark process at the end: "
             f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB.", "",
             "| scenario | requests | ran / throttled / cold starts | wall s, best (worst) | CPU s | "
             "µs per request | target < 5 s per 1M |",
             "|---|---|---|---|---|---|---|"]
    for name, result, best, worst, cpu in rows:
        per_million = best * 1_000_000 / result.requests
        verdict = "PASS" if per_million < TARGET_S else "MISS"
        lines.append(f"| {name} | {result.requests:,} | {result.invocations:,} / {result.throttles:,} / "
                     f"{result.cold_starts:,} | {best:.2f} ({worst:.2f}) | {cpu:.2f} | "
                     f"{best * 1e6 / result.requests:.2f} | {verdict} ({per_million:.2f} s per 1M) |")
    title = "bench_simulator.py" + (" --quick" if args.quick else "")
    c.write_section(title, "\n".join(lines))
    print(f"written to {c.RESULTS} (section {title!r})")


if __name__ == "__main__":
    main()
