"""Every course notebook runs top to bottom, and is committed without outputs.

Lessons, labs and quizzes are executed headlessly with nbclient, in a fresh
``python3`` kernel whose working directory is the notebook's own folder, with a
throw-away progress database. A failing cell fails the test with its source and
error. Each notebook's execution time is reported at the end of the run.

nbgrader's generated folders (release, submitted, autograded, feedback) are
skipped: only source notebooks are checked here.
"""
from __future__ import annotations

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
_timings: dict[str, float] = {}


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
    lines = ["", "notebook execution times:"]
    lines += [f"  {seconds:6.1f} s  {name}" for name, seconds in sorted(_timings.items())]
    for line in lines:
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)


def _execute(path: pathlib.Path) -> float:
    """Run ``path`` top to bottom; return the seconds it took. Fails the test on any error."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    current: dict[str, object] = {}

    def on_cell_start(cell, cell_index, **_kwargs):
        current.update(cell=cell, index=cell_index)

    client = NotebookClient(nb, kernel_name="python3", timeout=CELL_TIMEOUT_S,
                            resources={"metadata": {"path": str(path.parent)}},
                            on_cell_start=on_cell_start)
    started = time.perf_counter()
    failure = None
    try:
        client.execute()
    except CellExecutionError as error:  # the message already shows the cell and traceback
        failure = str(error)
    except Exception as error:  # CellTimeoutError, DeadKernelError, ...
        cell = current.get("cell")
        failure = (f"{cell.source if cell is not None else '(before the first cell)'}\n\n"
                   f"{type(error).__name__}: {error}")
    if failure is not None:
        pytest.fail(f"{path.relative_to(ROOT)} failed in cell {current.get('index')}:\n\n"
                    + ANSI.sub("", failure), pytrace=False)
    return time.perf_counter() - started


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    # The kernel inherits this environment: the kit importable from any folder,
    # and progress written to a throw-away database.
    python_path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    monkeypatch.setenv("PYTHONPATH", python_path)
    monkeypatch.setenv("LAMBDAKIT_PROGRESS_DB", str(tmp_path / "progress.db"))
    seconds = _execute(path)
    name = str(path.relative_to(ROOT))
    _timings[name] = seconds
    print(f"{name}: {seconds:.1f} s")


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
