"""Every course notebook runs top to bottom, twice, and is committed without outputs.

Lessons, labs and quizzes are executed headlessly with nbclient, in a fresh
``python3`` kernel whose working directory is the notebook's own folder, with a
throw-away progress database. Each notebook runs top to bottom and then again
top to bottom in the SAME kernel, as a learner does who presses Run All a second
time: a creation cell that only works once fails the second pass. A failing cell
fails the test with the notebook, the cell's index, the pass (first or second),
the cell's source and the error. Each pass's execution time is reported at the
end of the run.

nbgrader's generated folders (release, submitted, autograded, feedback) are
skipped: only source notebooks are checked here.
"""
from __future__ import annotations

import contextlib
import os
import pathlib
import re
import time

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
FOLDERS = ("lessons", "labs", "quizzes")
SKIPPED_PARTS = {".ipynb_checkpoints", "release", "submitted", "autograded", "feedback"}
CELL_TIMEOUT_S = 120  # a hang guard, not a speed test (speed is measured in bench/)

ANSI = re.compile(r"\x1b\[[0-9;]*m")
PASSES = ("first", "second")
_timings: dict[str, tuple[float, ...]] = {}


def course_notebooks() -> list[pathlib.Path]:
    """The notebooks under lessons/, labs/ and quizzes/, minus checkpoints and nbgrader output."""
    found = []
    for folder in FOLDERS:
        for path in sorted((ROOT / folder).rglob("*.ipynb")):
            if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts):
                found.append(path)
    return found


NOTEBOOKS = course_notebooks()
IDS = [str(path.relative_to(ROOT)) for path in NOTEBOOKS]


@pytest.fixture(scope="module", autouse=True)
def report_timings(request):
    """Print how long each notebook took, once all have run (shown even when output is captured)."""
    yield
    if not _timings:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    lines = ["", "notebook execution times (first pass + second pass):"]
    lines += [f"  {first:6.1f} s + {second:6.1f} s  {name}"
              for name, (first, second) in sorted(_timings.items())]
    lines.append(f"  second passes added {sum(t[1] for t in _timings.values()):.1f} s in all")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        for line in lines:
            if reporter is not None:
                reporter.write_line(line)
            else:
                print(line)


def _execute_twice(path: pathlib.Path) -> tuple[float, float]:
    """Run ``path`` top to bottom twice in one kernel; return each pass's seconds.

    Fails the test on the first error, naming the notebook, the cell and the pass.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(path.parent)}})
    seconds: list[float] = []
    where: dict[str, object] = {"pass": PASSES[0], "index": None, "cell": None}
    failure = None
    client.reset_execution_trackers()
    with client.setup_kernel():
        try:
            client.wait_for_reply(client.kc.kernel_info())
            for which in PASSES:
                where["pass"] = which
                started = time.perf_counter()
                for index, cell in enumerate(nb.cells):
                    where.update(index=index, cell=cell)
                    client.execute_cell(cell, index,
                                        execution_count=client.code_cells_executed + 1)
                seconds.append(time.perf_counter() - started)
        except CellExecutionError as error:  # the message already shows the cell and traceback
            failure = str(error)
        except Exception as error:  # CellTimeoutError, DeadKernelError, ...
            cell = where["cell"]
            failure = (f"{cell.source if cell is not None else '(before the first cell)'}\n\n"
                       f"{type(error).__name__}: {error}")
    if failure is not None:
        done = "".join(f" (the first pass ran in {s:.1f} s)" for s in seconds[:1])
        pytest.fail(f"{path.relative_to(ROOT)} failed in cell {where['index']} on the "
                    f"{where['pass']} pass (top to bottom, same kernel){done}:\n\n"
                    + ANSI.sub("", failure), pytrace=False)
    return seconds[0], seconds[1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_top_to_bottom_twice(path, tmp_path, monkeypatch):
    # The kernel inherits this environment: the kit importable from any folder,
    # and progress written to a throw-away database.
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", python_path)
    monkeypatch.setenv("LAMBDAKIT_PROGRESS_DB", str(tmp_path / "progress.db"))
    first, second = _execute_twice(path)
    name = str(path.relative_to(ROOT))
    _timings[name] = (first, second)
    print(f"{name}: {first:.1f} s, then {second:.1f} s")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    dirty = [index for index, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.get("outputs") or cell.get("execution_count") is not None)]
    assert not dirty, (f"{path.relative_to(ROOT)}: cells {dirty} have outputs or execution "
                       "counts; clear them (jupyter nbconvert --clear-output --inplace)")
    assert "widgets" not in nb.metadata, f"{path.relative_to(ROOT)} carries saved widget state"


def test_the_lessons_are_found():
    names = [path.name for path in NOTEBOOKS]
    for lesson in ("00_start_here.ipynb", "01_introduction_to_serverless.ipynb",
                   "02_how_lambda_runs_your_code.ipynb"):
        assert lesson in names
    assert not any(SKIPPED_PARTS.intersection(path.parts) for path in NOTEBOOKS)
