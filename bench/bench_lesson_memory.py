"""Peak memory of a real lesson: its kernel, the engine in it and the engine's worker processes.

Run from the repository root::

    python bench/bench_lesson_memory.py           # the four runs below (about two minutes)
    python bench/bench_lesson_memory.py --quick   # one run: the lesson at Binder's setting
    python bench/bench_lesson_memory.py --quick --lesson lessons/06_invocation_models_and_event_sources.ipynb

Lesson 02 (``lessons/02_how_lambda_runs_your_code.ipynb``) is the heaviest: it
starts the kit in its kernel, deploys seven functions and runs bursts of
concurrent invocations, so several execution environments (worker processes,
children of the kernel) are alive at once. The notebook is executed headlessly
with nbclient, in a fresh ``python3`` kernel per run, with the repository root on
``PYTHONPATH`` and a throw-away progress database, as ``tests/test_notebooks.py``
does. Meanwhile a thread samples, every 20 ms, the memory of the kernel and of all
its descendants with psutil: RSS, and USS and PSS where the platform has them
(``memory_full_info``). Summed RSS counts the pages that processes share (the
Python interpreter, libraries) once per process, so it over-states the total;
summed PSS splits each shared page between the processes that map it, so it adds
up to what the group really uses; summed USS counts only private pages, a floor.

Runs, each in a fresh kernel:

* the lesson as committed, with ``max_environments`` at this machine's default;
* the lesson as committed, with ``LAMBDAKIT_MAX_ENVIRONMENTS=16``: what the kit
  sizes itself to under Binder's 2 GB limit (one environment per 128 MB);
* the lesson plus its "Try these" exercises (appended as extra cells of the
  in-memory copy, the committed notebook is not touched), up to the sliders'
  maximum burst (40 requests, 12 at once), at 16 and at 8 environments.

Results are printed and written to ``bench/results.md`` (section
"bench_lesson_memory.py"). The nbclient process that drives the notebook stands
in for the Jupyter server and is not counted.

``--all-open`` measures a learner who leaves every lesson open::

    python bench/bench_lesson_memory.py --all-open

Each lesson under ``lessons/`` runs top to bottom in a kernel of its own, one after
the other, and every kernel stays alive, as nine open notebook tabs keep nine kernels
(``LAMBDAKIT_MAX_ENVIRONMENTS`` at Binder's setting, one progress database for all).
Memory is then read twice: right after the last lesson finished, and after the
kernels sat idle for ``--idle-wait`` seconds (default: the kit's idle timeout plus a
minute, so idle execution environments have been reclaimed). The figure that counts
is the sum of PSS over the kernels and all their descendants: shared pages (the
interpreter, libraries) are split between the processes mapping them, so the sum is
what the group occupies, which is what a container's memory limit charges. USS (only
private pages) is the floor, summed RSS an over-estimate.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time

import psutil

import _common as c
from bench_memory import BUDGET_MB, MB

LESSON = os.path.join(c.REPO_ROOT, "lessons", "02_how_lambda_runs_your_code.ipynb")
BINDER_MEMORY = 2 * 1024 ** 3  # mybinder.org's memory limit per session
#: A hang guard, and the longest a missed wake-up in the notebook client can stall a run (see
#: ``driver_stalls``). Well below LAMBDAKIT_IDLE_TIMEOUT (300 s), so a stall never lets the kit
#: shut idle environments down in the middle of a run, which would hide memory.
CELL_TIMEOUT_S = 60
#: The lesson's "Try these" list, then the sliders' largest burst: (requests, at once, pause).
EXERCISES = [(12, 3, 0.8), (12, 3, 0.1), (12, 12, 0.0), (12, 1, 0.5), (40, 12, 0.0)]


def binder_max_environments() -> int:
    """What ``lambdakit.settings`` computes for the default under Binder's 2 GB limit."""
    import lambdakit.settings as settings
    original = settings.memory_limit_bytes
    settings.memory_limit_bytes = lambda: BINDER_MEMORY  # as if read from Binder's cgroup
    try:
        return settings._default_max_environments()
    finally:
        settings.memory_limit_bytes = original


def _memory(proc: psutil.Process) -> tuple[float, float, float]:
    """(RSS, PSS, USS) of one process in MB; PSS and USS are nan where the platform lacks them."""
    try:
        full = proc.memory_full_info()
    except psutil.AccessDenied:
        return proc.memory_info().rss / MB, float("nan"), float("nan")
    pss, uss = (getattr(full, name, float("nan")) for name in ("pss", "uss"))
    return full.rss / MB, pss / MB, uss / MB


def _vm_hwm_mb(pid: int) -> float:
    """The kernel's own high-water mark of RSS (Linux), 0 elsewhere."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeSampler(threading.Thread):
    """Samples the kernels this process started and all their descendants.

    Keeps, for RSS, PSS and USS, the sample with the largest sum, with its split
    (kernel / workers) and the cell that was running; and the largest kernel-alone
    figures and worker count seen in any sample.
    """

    METRICS = ("rss", "pss", "uss")

    def __init__(self, interval: float = 0.02):
        super().__init__(daemon=True, name="lesson-memory-sampler")
        self.interval, self.me = interval, psutil.Process()
        self.cell: int | None = None  # set by the notebook client's on_cell_start hook
        self.peaks = {m: {"total_mb": 0.0} for m in self.METRICS}
        self.kernel_peak = dict.fromkeys(self.METRICS, 0.0)
        self.kernel_hwm_mb = 0.0
        self.max_workers = 0
        self.samples, self.busy_s = 0, 0.0
        self.first = self.last = 0.0
        self._done = threading.Event()

    def sample(self) -> None:
        started = time.perf_counter()
        kernels, workers = [], []
        for kernel in self.me.children():
            try:
                kernels.append((kernel, _memory(kernel)))
                self.kernel_hwm_mb = max(self.kernel_hwm_mb, _vm_hwm_mb(kernel.pid))
                for worker in kernel.children(recursive=True):
                    try:
                        workers.append((worker, _memory(worker)))
                    except psutil.Error:  # exited between listing and reading
                        pass
            except psutil.Error:
                pass
        if not kernels:
            return
        self.samples += 1
        self.first, self.last = self.first or started, started
        self.max_workers = max(self.max_workers, len(workers))
        for i, metric in enumerate(self.METRICS):
            kernel = sum(m[i] for _, m in kernels)
            workers_sum = sum(m[i] for _, m in workers)
            self.kernel_peak[metric] = max(self.kernel_peak[metric], kernel)
            if kernel + workers_sum > self.peaks[metric]["total_mb"]:
                self.peaks[metric] = {
                    "total_mb": kernel + workers_sum, "kernel_mb": kernel,
                    "workers_mb": workers_sum, "workers": len(workers), "cell": self.cell,
                    "largest_worker_mb": max((m[i] for _, m in workers), default=0.0)}
        self.busy_s += time.perf_counter() - started

    def run(self) -> None:
        cost = 0.0
        while not self._done.wait(max(self.interval - cost, 0.001)):  # one sample per interval
            started = time.perf_counter()
            self.sample()
            cost = time.perf_counter() - started

    @property
    def mean_interval_ms(self) -> float:
        return 1000 * (self.last - self.first) / max(self.samples - 1, 1)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _kernel_seconds(cell) -> float:
    """How long the kernel was busy with a cell, from its own message time stamps."""
    import datetime as dt
    timing = cell.metadata.get("execution", {})
    try:
        busy, idle = (dt.datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                      for k in ("iopub.status.busy", "iopub.status.idle"))
    except (KeyError, ValueError):
        return 0.0
    return (idle - busy).total_seconds()


def driver_stalls(walls: dict[int, float], kernel_s: dict[int, float]) -> list[tuple[int, float]]:
    """Code cells the client finished more than 2 s after the kernel did (should be none)."""
    return [(i, wall - kernel_s.get(i, 0.0)) for i, wall in sorted(walls.items())
            if wall - kernel_s.get(i, 0.0) > 2.0]


class SlicedPollClient:
    """Makes a NotebookClient wait for kernel messages in short polls instead of one long one.

    nbclient awaits a cell's reply with one zmq poll whose timeout is the cell timeout.
    Here, now and then (mostly after the burst cells) that poll missed its wake-up and
    returned only when the timeout expired, the reply long since waiting: a silent stall
    of exactly ``timeout`` minus the cell's time, with the kernel idle. A stall of 300 s
    let the kit shut idle environments down mid-run, hiding memory. A fresh poll sees a
    waiting message at once, so polling in slices bounds a missed wake-up to one slice.
    """

    SLICE_S = 0.25

    @classmethod
    def wrap(cls, client) -> None:
        from queue import Empty
        original = client.async_start_new_kernel_client

        async def start_new_kernel_client():
            kc = await original()
            for channel in (kc.shell_channel, kc.iopub_channel):
                channel.get_msg = cls._sliced(channel.get_msg, Empty)
            return kc

        client.async_start_new_kernel_client = start_new_kernel_client

    @classmethod
    def _sliced(cls, get_msg, empty):
        async def get(timeout: float | None = None):
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                left = cls.SLICE_S if deadline is None else max(deadline - time.monotonic(), 0.0)
                try:
                    return await get_msg(timeout=min(cls.SLICE_S, left))
                except empty:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise
        return get


def sections(nb) -> list[str]:
    """For each cell index, the title of the ``## `` section it belongs to."""
    titles, current = [], "top"
    for cell in nb.cells:
        first = cell.source.lstrip().splitlines()[0] if cell.source.strip() else ""
        if cell.cell_type == "markdown" and first.startswith("## "):
            current = first[3:].strip()
        titles.append(current)
    return titles


def exercise_cells() -> list:
    """The lesson's "Try these" bursts as extra code cells (for the in-memory copy only)."""
    import nbformat
    cells = [nbformat.v4.new_markdown_cell("## Added by bench/bench_lesson_memory.py: the 'Try these' bursts")]
    for requests, at_once, pause in EXERCISES:
        cells.append(nbformat.v4.new_code_cell(
            f'burst_explorer("slow-hello", requests={requests}, concurrency={at_once}, pause_s={pause})'))
    cells.append(nbformat.v4.new_code_cell("print(len(kit.environments()), 'environments alive')"))
    return cells


def run_lesson(max_environments: int | None, exercises: bool) -> dict:
    """Execute the lesson once in a fresh kernel, sampling its process tree."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(LESSON, as_version=4)
    lesson_cells = len(nb.cells)
    if exercises:
        nb.cells.extend(exercise_cells())
    sampler = TreeSampler()
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "LAMBDAKIT_PROGRESS_DB",
                                            "LAMBDAKIT_MAX_ENVIRONMENTS")}
    with tempfile.TemporaryDirectory(prefix="bench-lesson-") as tmp:
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [c.REPO_ROOT, saved["PYTHONPATH"]]))
        os.environ["LAMBDAKIT_PROGRESS_DB"] = os.path.join(tmp, "progress.db")
        if max_environments is None:
            os.environ.pop("LAMBDAKIT_MAX_ENVIRONMENTS", None)
        else:
            os.environ["LAMBDAKIT_MAX_ENVIRONMENTS"] = str(max_environments)
        from lambdakit.settings import Settings
        effective = Settings().max_environments  # what the kernel will compute, same env

        starts: dict[int, float] = {}
        walls: dict[int, float] = {}  # code cell -> seconds, as the client saw it

        def on_cell_start(cell, cell_index, **_kwargs):
            sampler.cell = cell_index
            starts[cell_index] = time.perf_counter()

        def on_cell_executed(cell, cell_index, **_kwargs):
            walls[cell_index] = time.perf_counter() - starts[cell_index]

        client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                                resources={"metadata": {"path": os.path.dirname(LESSON)}},
                                on_cell_start=on_cell_start, on_cell_executed=on_cell_executed)
        SlicedPollClient.wrap(client)
        sampler.start()
        started = time.perf_counter()
        try:
            client.execute()
        finally:
            seconds = time.perf_counter() - started
            sampler.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    errors = [o for cell in nb.cells if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    kernel_s = {i: _kernel_seconds(cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    return {"max_environments": effective, "set": max_environments, "exercises": exercises,
            "lesson_cells": lesson_cells, "seconds": seconds, "cells_s": sum(kernel_s.values()),
            "slowest": max(kernel_s.items(), key=lambda kv: kv[1]),
            "stalls": driver_stalls(walls, kernel_s), "peaks": sampler.peaks,
            "kernel_peak": sampler.kernel_peak, "kernel_hwm_mb": sampler.kernel_hwm_mb,
            "max_workers": sampler.max_workers, "samples": sampler.samples,
            "mean_interval_ms": sampler.mean_interval_ms, "sections": sections(nb),
            "sample_cost_ms": 1000 * sampler.busy_s / max(sampler.samples, 1),
            "driver_rss_mb": psutil.Process().memory_info().rss / MB}


def report(results: list[dict]) -> str:
    """The results as a markdown section body."""
    def row(label: str, cell) -> str:
        return f"| {label} | " + " | ".join(cell(r) for r in results) + " |"

    mb = lambda v: "n/a" if v != v else f"{v:.0f}"  # noqa: E731  (nan -> n/a)

    def label(r: dict) -> str:
        env = f"{r['max_environments']} envs" + (" (default here)" if r["set"] is None else "")
        return ("lesson + exercises" if r["exercises"] else "lesson") + f", {env}"

    def cell(r: dict, metric: str) -> str:
        index = r["peaks"][metric].get("cell")
        if index is None:
            return "-"
        where = "exercises" if index >= r["lesson_cells"] else r["sections"][index]
        return f"{index} ({where})"

    def split(metric: str):
        return lambda r: (f"{mb(r['peaks'][metric]['kernel_mb'])} + {mb(r['peaks'][metric]['workers_mb'])}"
                          f" ({r['peaks'][metric]['workers']} workers)")

    memory = psutil.virtual_memory()
    lines = [*c.header_lines(), f"- cores (`nproc`): {os.cpu_count()}; memory: {memory.total / 2**30:.1f} GB "
             f"total, {memory.available / 2**30:.1f} GB available at the end; `max_environments` "
             f"Binder's 2 GB would give: {binder_max_environments()}", "",
             f"`{os.path.relpath(LESSON, c.REPO_ROOT)}` executed top to bottom with nbclient in a "
             "fresh `python3` kernel per run (`PYTHONPATH` = repository root, "
             "`LAMBDAKIT_PROGRESS_DB` in a temporary folder). *Exercises* = the lesson's "
             "\"Try these\" bursts appended as extra cells: "
             + ", ".join(f"{r} requests {a} at once pause {p} s" for r, a, p in EXERCISES)
             + ". Memory of the kernel and all its descendants (the engine runs in the kernel; "
             "workers are its child processes) sampled with psutil every 20 ms. MB = 2^20 bytes. "
             "Sum of PSS is the fair total for processes that share pages.", "",
             "| measure | " + " | ".join(label(r) for r in results) + " |",
             "|---|" + "---|" * len(results),
             row("`LAMBDAKIT_MAX_ENVIRONMENTS`", lambda r: "unset" if r["set"] is None else str(r["set"])),
             row("execution time: all cells, in the kernel (s)", lambda r: f"{r['cells_s']:.1f}"),
             row("  slowest cell, index: seconds in the kernel", lambda r: (
                 f"{r['slowest'][0]}: {r['slowest'][1]:.1f}")),
             row("wall time, kernel start to shutdown (s)", lambda r: f"{r['seconds']:.1f}"),
             row("  client stalls (cell: seconds after the kernel finished)", lambda r: ", ".join(
                 f"{i}: {s:.0f}" for i, s in r["stalls"]) or "none"),
             row("**peak total PSS: kernel + workers (MB)**", lambda r: mb(r["peaks"]["pss"]["total_mb"])),
             row("  split at that peak: kernel + workers (MB)", split("pss")),
             row("peak total USS (MB)", lambda r: mb(r["peaks"]["uss"]["total_mb"])),
             row("peak total RSS (MB)", lambda r: mb(r["peaks"]["rss"]["total_mb"])),
             row("  split at that peak: kernel + workers (MB)", split("rss")),
             row("  largest worker RSS at that peak (MB)", lambda r: mb(r["peaks"]["rss"]["largest_worker_mb"])),
             row("  cell running at that peak (index)", lambda r: cell(r, "rss")),
             row("peak worker processes", lambda r: str(r["max_workers"])),
             row("kernel alone: peak RSS / PSS / USS (MB)", lambda r: " / ".join(
                 mb(r["kernel_peak"][m]) for m in ("rss", "pss", "uss"))),
             row("kernel alone: RSS high-water mark, VmHWM (MB)", lambda r: mb(r["kernel_hwm_mb"])),
             row("samples / mean interval / cost of one sample (ms)", lambda r: (
                 f"{r['samples']} / {r['mean_interval_ms']:.0f} / {r['sample_cost_ms']:.1f}")),
             row(f"target: peak total < {BUDGET_MB} MB (RSS, the strictest)", lambda r: (
                 f"{'PASS' if r['peaks']['rss']['total_mb'] < BUDGET_MB else 'MISS'} "
                 f"({mb(r['peaks']['rss']['total_mb'])} MB)")),
             "",
             "Not counted: the Jupyter server (here the nbclient driver process, "
             f"{mb(results[-1]['driver_rss_mb'])} MB RSS at the end; on Binder the Jupyter server "
             "shares the 2 GB).", *binder_verdict(results)]
    return "\n".join(lines)


def binder_verdict(results: list[dict]) -> list[str]:
    """One paragraph on what the runs at Binder's setting mean for a 2 GB session."""
    binder = binder_max_environments()
    at_binder = [r for r in results if r["max_environments"] == binder]
    if not at_binder:
        return []
    worst = max(at_binder, key=lambda r: r["peaks"]["rss"]["total_mb"])
    kernel = max(r["kernel_peak"]["rss"] for r in results)
    biggest = max(r["peaks"]["rss"]["largest_worker_mb"] for r in results)
    return ["", f"At Binder's setting ({binder} environments, what the kit computes from the 2 GB "
            f"limit) the largest peak was {worst['peaks']['rss']['total_mb']:.0f} MB RSS "
            f"({worst['peaks']['pss']['total_mb']:.0f} MB PSS) with {worst['max_workers']} workers. "
            f"Arithmetic worst case, every one of the {binder} environments as large as the largest "
            f"worker seen ({biggest:.0f} MB RSS, a handler that imports boto3) next to the largest "
            f"kernel ({kernel:.0f} MB): {kernel + binder * biggest:.0f} MB RSS, an over-estimate since "
            "RSS counts shared pages once per process."]


def _tree_memory(kernel: psutil.Process) -> dict:
    """RSS, PSS and USS (MB) of one kernel and, summed, of its descendants, and their count."""
    own = _memory(kernel)
    children = []
    for child in kernel.children(recursive=True):
        try:
            children.append(_memory(child))
        except psutil.Error:  # exited between listing and reading
            pass
    return {"kernel": dict(zip(TreeSampler.METRICS, own)),
            "children": {m: sum(c[i] for c in children) for i, m in enumerate(TreeSampler.METRICS)},
            "processes": len(children)}


def lessons() -> list[str]:
    """Every lesson notebook, in course order."""
    folder = os.path.join(c.REPO_ROOT, "lessons")
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".ipynb")]


def run_all_open(idle_wait_s: float) -> dict:
    """Run every lesson in its own kernel, keep them all, and read their memory (see module doc)."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    binder = binder_max_environments()
    kernels, runs = [], []
    with tempfile.TemporaryDirectory(prefix="bench-all-open-") as tmp:
        env = {**os.environ,
               "PYTHONPATH": os.pathsep.join(filter(None, [c.REPO_ROOT, os.environ.get("PYTHONPATH")])),
               "LAMBDAKIT_PROGRESS_DB": os.path.join(tmp, "progress.db"),
               "LAMBDAKIT_MAX_ENVIRONMENTS": str(binder)}
        from lambdakit.settings import Settings
        saved = os.environ.copy()
        os.environ.update(env)
        try:
            settings = Settings()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        try:
            for path in lessons():
                km = KernelManager(kernel_name="python3")
                km.start_kernel(cwd=os.path.dirname(path), env=env)
                kernels.append(km)
                nb = nbformat.read(path, as_version=4)
                client = NotebookClient(nb, km=km, timeout=4 * CELL_TIMEOUT_S, allow_errors=True,
                                        resources={"metadata": {"path": os.path.dirname(path)}})
                started = time.perf_counter()
                client.execute()
                errors = [o.get("ename", "?") for cell in nb.cells if cell.cell_type == "code"
                          for o in cell.get("outputs", []) if o.get("output_type") == "error"]
                client.kc.stop_channels()
                runs.append({"lesson": os.path.relpath(path, c.REPO_ROOT),
                             "seconds": time.perf_counter() - started, "errors": errors,
                             "pid": km.provisioner.pid})
                print(f"{runs[-1]['lesson']}: {runs[-1]['seconds']:.0f} s, "
                      f"{len(errors)} cell errors", file=sys.stderr)
            time.sleep(5)  # let the last lesson's background work settle
            after_running = {r["lesson"]: _tree_memory(psutil.Process(r["pid"])) for r in runs}
            print(f"after running: {_total(after_running, 'pss'):.0f} MB PSS; waiting "
                  f"{idle_wait_s:.0f} s idle", file=sys.stderr)
            time.sleep(idle_wait_s)
            after_idle = {r["lesson"]: _tree_memory(psutil.Process(r["pid"])) for r in runs}
        finally:
            for km in kernels:
                km.shutdown_kernel(now=False)
    return {"runs": runs, "after_running": after_running, "after_idle": after_idle,
            "idle_wait_s": idle_wait_s, "idle_timeout_s": settings.idle_timeout,
            "max_environments": binder, "driver_rss_mb": psutil.Process().memory_info().rss / MB}


def _total(snapshot: dict, metric: str) -> float:
    return sum(t["kernel"][metric] + t["children"][metric] for t in snapshot.values())


def report_all_open(result: dict) -> str:
    """The --all-open results as a markdown section body."""
    snaps = (("after running", result["after_running"]),
             (f"after {result['idle_wait_s']:.0f} s idle", result["after_idle"]))
    lines = [*c.header_lines(), "",
             f"Every lesson in `lessons/` run top to bottom, one after the other, each in its own "
             f"`python3` kernel started with jupyter_client; all the kernels kept alive, as open "
             f"notebook tabs keep them (`LAMBDAKIT_MAX_ENVIRONMENTS={result['max_environments']}`, "
             f"what the kit computes under Binder's 2 GB; idle timeout "
             f"{result['idle_timeout_s']:.0f} s). Memory read with psutil (`memory_full_info`) "
             "5 s after the last lesson and again after the idle wait. PSS splits each shared page "
             "between the processes that map it, so summed over the kernels and their children "
             "it is what they occupy together (what a container's limit charges); USS (private "
             "pages only) is a floor; RSS counts shared pages once per process. MB = 2^20 bytes.",
             "", "| lesson | run (s) | cell errors | "
             + " | ".join(f"{name}: kernel PSS + children PSS (processes)" for name, _ in snaps) + " |",
             "|---|---|---|" + "---|" * len(snaps)]
    for run in result["runs"]:
        cells = []
        for _, snap in snaps:
            t = snap[run["lesson"]]
            cells.append(f"{t['kernel']['pss']:.0f} + {t['children']['pss']:.0f} ({t['processes']})")
        lines.append(f"| `{run['lesson']}` | {run['seconds']:.0f} | {len(run['errors']) or 'none'} | "
                     + " | ".join(cells) + " |")
    for metric, label in (("pss", "**total PSS (MB)**"), ("uss", "total USS (MB)"),
                          ("rss", "total RSS (MB)")):
        lines.append(f"| {label} | | | " + " | ".join(
            f"{_total(snap, metric):.0f}" for _, snap in snaps) + " |")
    lines.append("| kernels alone, PSS (MB) | | | " + " | ".join(
        f"{sum(t['kernel']['pss'] for t in snap.values()):.0f}" for _, snap in snaps) + " |")
    worst = max(_total(snap, "pss") for _, snap in snaps)
    lines += ["", f"Not counted: the Jupyter server (here the nbclient driver, "
              f"{result['driver_rss_mb']:.0f} MB RSS). Largest total: {worst:.0f} MB PSS, "
              f"{'within' if worst < BINDER_MEMORY / MB else 'over'} Binder's 2048 MB "
              f"({BINDER_MEMORY / MB - worst:.0f} MB left for the Jupyter server)."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one run: the lesson as committed, at Binder's max_environments")
    parser.add_argument("--lesson", default=None,
                        help="another lesson notebook (path from the repository root); its runs "
                             "leave out lesson 02's exercises")
    parser.add_argument("--all-open", action="store_true",
                        help="every lesson run in its own kernel, all kept open; memory summed")
    parser.add_argument("--idle-wait", type=float, default=None,
                        help="with --all-open: seconds to wait idle before the second reading "
                             "(default: the kit's idle timeout plus 60 s)")
    parser.add_argument("--title", default="",
                        help="with --all-open: a label for the results section (before/after)")
    args = parser.parse_args()
    if args.all_open:
        from lambdakit.settings import Settings
        wait = args.idle_wait if args.idle_wait is not None else Settings().idle_timeout + 60
        result = run_all_open(wait)
        body = report_all_open(result)
        title = "bench_lesson_memory.py --all-open" + (f" ({args.title})" if args.title else "")
        print(f"## {title}\n\n{body}")
        c.write_section(title, body)
        return
    global LESSON
    if args.lesson:
        LESSON = os.path.join(c.REPO_ROOT, args.lesson)
    binder = binder_max_environments()
    if args.quick:
        runs = [(binder, False)]
    else:
        runs = [(None, False), (binder, False), (binder, True), (8, True)]
        if args.lesson:
            runs = [(None, False), (binder, False)]
    results = []
    for max_environments, exercises in runs:
        result = run_lesson(max_environments, exercises)
        print(f"max_environments={result['max_environments']} exercises={exercises}: "
              f"peak RSS {result['peaks']['rss']['total_mb']:.0f} MB, "
              f"PSS {result['peaks']['pss']['total_mb']:.0f} MB, "
              f"{result['max_workers']} workers, {result['seconds']:.1f} s", file=sys.stderr)
        results.append(result)
    body = report(results)
    title = ("bench_lesson_memory.py" + (" --quick" if args.quick else "")
             + (f" --lesson {args.lesson}" if args.lesson else ""))
    print(f"## {title}\n\n{body}")
    c.write_section(title, body)


if __name__ == "__main__":
    main()
