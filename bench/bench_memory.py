"""Peak memory of a lesson-like session: the kit's process plus its worker processes.

Run from the repository root::

    python bench/bench_memory.py           # both worker kinds, each in a fresh process
    python bench/bench_memory.py --quick   # fewer invocations, for a smoke run

Each worker kind runs in its own fresh Python process (``--worker KIND``), so
one run's memory does not colour the next. That process starts the kit,
creates three functions, invokes each a few times in turn and then
concurrently (so several execution environments are alive at once), while a
thread samples, every 10 ms, the RSS of the process and of all its children
(psutil). Results are printed and written to ``bench/results.md`` (section
"bench_memory.py").
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil

import _common as c

MB = 1024 * 1024
BUDGET_MB = 1024  # lesson kernel + engine + workers, in a 2 GB Binder session
WORKER_KINDS = ("awslambdaric", "python")
FUNCTIONS = {  # name -> handler source: the shapes lessons use
    "trivial": "import time\n\ndef handler(event, context):\n"
               "    time.sleep(event.get('sleep', 0))\n    return {'ok': True}\n",
    "uses-boto3": "import time, boto3\ns3 = boto3.client('s3')\n\ndef handler(event, context):\n"
                  "    time.sleep(event.get('sleep', 0))\n    return {'buckets': len(s3.list_buckets()['Buckets'])}\n",
    "holds-data": "import time\ntable = [{'id': i, 'name': f'item-{i}'} for i in range(50_000)]\n\n"
                  "def handler(event, context):\n    time.sleep(event.get('sleep', 0))\n"
                  "    return {'rows': len(table)}\n",
}


class Sampler(threading.Thread):
    """Samples this process's RSS and its children's, keeping the sample with the largest total."""

    def __init__(self, interval: float = 0.01):
        super().__init__(daemon=True, name="rss-sampler")
        self.interval, self.me = interval, psutil.Process()
        self.peak = {"total_mb": 0.0, "kit_mb": 0.0, "workers_mb": 0.0, "workers": 0}
        self.kit_peak_mb = self.workers_peak_mb = 0.0
        self.max_workers = 0
        self._done = threading.Event()

    def sample(self) -> None:
        kit = self.me.memory_info().rss / MB
        workers = []
        for child in self.me.children(recursive=True):
            try:
                workers.append(child.memory_info().rss / MB)
            except psutil.Error:  # exited between listing and reading
                pass
        total = kit + sum(workers)
        self.kit_peak_mb = max(self.kit_peak_mb, kit)
        self.workers_peak_mb = max(self.workers_peak_mb, sum(workers))
        self.max_workers = max(self.max_workers, len(workers))
        if total > self.peak["total_mb"]:
            self.peak = {"total_mb": total, "kit_mb": kit, "workers_mb": sum(workers),
                         "workers": len(workers)}

    def run(self) -> None:
        while not self._done.wait(self.interval):
            self.sample()

    def stop(self) -> None:
        self._done.set()
        self.join()
        self.sample()


def workload(kind: str, rounds: int, concurrency: int) -> dict:
    """Run the session in this process; return what the sampler saw."""
    from botocore.config import Config

    baseline_mb = psutil.Process().memory_info().rss / MB
    sampler = Sampler()
    sampler.start()
    import lambdakit
    from lambdakit.settings import Settings
    kit = lambdakit.start(settings=Settings(worker=kind))
    try:
        lam = kit.client("lambda", config=Config(max_pool_connections=4 * concurrency))
        started_mb = psutil.Process().memory_info().rss / MB
        role = kit.execution_role()
        for name, source in FUNCTIONS.items():
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                Handler="lambda_function.handler", MemorySize=256,
                                Code={"ZipFile": lambdakit.zip_code(source)})
        for name in FUNCTIONS:
            lam.get_waiter("function_active_v2").wait(FunctionName=name)

        def invoke(name: str, sleep: float = 0.0) -> None:
            response = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": sleep}))
            assert "FunctionError" not in response, response["Payload"].read()
            response["Payload"].read()

        for _ in range(rounds):  # one at a time: one warm environment per function
            for name in FUNCTIONS:
                invoke(name)
        with ThreadPoolExecutor(concurrency * len(FUNCTIONS)) as pool:  # several environments each
            list(pool.map(lambda n: invoke(n, 0.5), [n for n in FUNCTIONS for _ in range(concurrency)]))
        environments = len(kit.environments())
        for _ in range(rounds):
            for name in FUNCTIONS:
                invoke(name)
        worker_peaks = [r.max_memory_mb for r in kit.records]
    finally:
        kit.stop()
        sampler.stop()
    return {"kind": kind, "baseline_mb": baseline_mb, "started_mb": started_mb,
            "environments": environments, "invocations": len(worker_peaks),
            "max_memory_used_mb": max(worker_peaks),
            "kit_hwm_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "kit_peak_mb": sampler.kit_peak_mb, "workers_peak_mb": sampler.workers_peak_mb,
            "max_workers": sampler.max_workers, "peak": sampler.peak,
            "max_environments": kit.engine.settings.max_environments,
            "left_behind": len(psutil.Process().children(recursive=True))}


def report(results: list[dict], rounds: int, concurrency: int) -> str:
    """The results as a markdown section body."""
    def row(label: str, cell) -> str:
        return f"| {label} | " + " | ".join(cell(r) for r in results) + " |"

    mb = lambda v: f"{v:.0f}"  # noqa: E731
    lines = [*c.header_lines(), "",
             f"One fresh process per worker kind: `lambdakit.start()`, 3 functions (trivial, "
             f"imports boto3 and makes a client, builds a 50,000-row table), each invoked {rounds}x "
             f"in turn, then {concurrency}x concurrently per function (handlers sleep 0.5 s, so "
             f"{concurrency * len(FUNCTIONS)} calls overlap), then {rounds}x in turn again. "
             "RSS sampled every 10 ms with psutil (process + all children). MB = 2^20 bytes.", "",
             "| measure | " + " | ".join(r["kind"] for r in results) + " |",
             "|---|" + "---|" * len(results),
             row("process RSS before importing lambdakit (MB)", lambda r: mb(r["baseline_mb"])),
             row("process RSS after `lambdakit.start()` (MB)", lambda r: mb(r["started_mb"])),
             row("**peak total: kit process + workers (MB)**", lambda r: mb(r["peak"]["total_mb"])),
             row("  kit process RSS at that peak (MB)", lambda r: mb(r["peak"]["kit_mb"])),
             row("  sum of worker RSS at that peak (MB)", lambda r: mb(r["peak"]["workers_mb"])),
             row("  worker processes at that peak", lambda r: str(r["peak"]["workers"])),
             row("kit process peak RSS, sampled / kernel high-water mark (MB)",
                 lambda r: f"{mb(r['kit_peak_mb'])} / {mb(r['kit_hwm_mb'])}"),
             row("largest sum of worker RSS seen (MB)", lambda r: mb(r["workers_peak_mb"])),
             row("largest worker count seen / environments after the concurrent burst",
                 lambda r: f"{r['max_workers']} / {r['environments']}"),
             row("largest Max Memory Used in a REPORT line (MB)", lambda r: str(r["max_memory_used_mb"])),
             row("default max_environments here x mean worker RSS at peak = worst case (MB)",
                 lambda r: f"{r['max_environments']} x {mb(r['peak']['workers_mb'] / max(r['peak']['workers'], 1))}"
                           f" = {mb(r['max_environments'] * r['peak']['workers_mb'] / max(r['peak']['workers'], 1))}"),
             row("worker processes left after `kit.stop()`", lambda r: str(r["left_behind"])),
             row(f"target: peak total < {BUDGET_MB} MB", lambda r: (
                 f"{'PASS' if r['peak']['total_mb'] < BUDGET_MB else 'MISS'} "
                 f"({mb(r['peak']['total_mb'])} MB)")),
             "",
             "Not counted: the Jupyter server process itself (on Binder it shares the 2 GB). "
             "RSS counts shared library pages once per process, so the sum over-states "
             "what the workers use together."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer invocations, for a smoke run")
    parser.add_argument("--worker", choices=WORKER_KINDS,
                        help="run the workload for one kind in this process and print JSON")
    args = parser.parse_args()
    rounds, concurrency = (2, 2) if args.quick else (5, 4)
    if args.worker:
        print(json.dumps(workload(args.worker, rounds, concurrency)))
        return
    results = []
    for kind in WORKER_KINDS:
        command = [sys.executable, os.path.abspath(__file__), "--worker", kind] + (["--quick"] if args.quick else [])
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, timeout=600, check=True)
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    body = report(results, rounds, concurrency)
    title = "bench_memory.py" + (" --quick" if args.quick else "")
    print(f"## {title}\n\n{body}")
    c.write_section(title, body)


if __name__ == "__main__":
    main()
