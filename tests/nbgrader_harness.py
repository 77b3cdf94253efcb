"""A throw-away nbgrader course for tests: generate, submit, autograde, feedback, scores.

Used by the grading round-trip tests of the labs, and reusable for any nbgrader source notebook
(for example the quiz notebooks built from the question bank)::

    course = Course.create(tmp_path, "lab01_first_function", ROOT / "labs" / "lab01_first_function")
    course.generate_assignment()
    course.submit("alice", course.release_notebook())
    course.autograde()
    assert course.scores("alice").score == 0

nbgrader runs as ``sys.executable -m nbgrader ...`` in a subprocess whose working directory is
the course, so it reads the course's own ``nbgrader_config.py`` (the repository's configuration,
with the source folder pointed at the copy). The subprocess finds ``alembic`` next to this
Python, imports the kit from this checkout, keeps progress in a throw-away database and ignores
the user's Jupyter configuration. Nothing else is changed: warnings and logs reach the notebooks
exactly as they would on an instructor's machine. A failing command fails the test with nbgrader's output.
"""
from __future__ import annotations

import copy
import dataclasses
import os
import re
import pathlib
import shutil
import subprocess
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
REPO_CONFIG = ROOT / "nbgrader_config.py"
COMMAND_TIMEOUT_S = 600
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
# The stub that replaces each solution region in a release (nbgrader_config.py: code_stub).
STUB = re.compile(r'# YOUR CODE HERE\n[ ]*raise NotImplementedError\("your turn: replace this line with '
                  r'your code, as the instructions above ask"\)')
COPY_IGNORE = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pyc")


@dataclasses.dataclass(frozen=True)
class CellScore:
    grade_id: str
    score: float
    max_score: float


@dataclasses.dataclass(frozen=True)
class Scores:
    """One student's autograded result for one notebook."""

    score: float
    max_score: float
    cells: dict[str, CellScore]


@dataclasses.dataclass
class Course:
    """An nbgrader course directory holding one source assignment."""

    root: pathlib.Path
    assignment: str
    course_id: str
    source_directory: str
    env: dict[str, str]

    @classmethod
    def create(cls, tmp_path: pathlib.Path, assignment: str, source: pathlib.Path, *,
               source_directory: str = "source", course_id: str = "lambdakit-test",
               base_config: pathlib.Path | None = REPO_CONFIG, extra_config: str = "") -> Course:
        """A course in ``tmp_path/course`` whose assignment ``assignment`` is a copy of ``source``.

        The course's nbgrader_config.py is ``base_config`` (the repository's by default), then
        the course id and source folder of this course, then ``extra_config``.
        """
        root = tmp_path / "course"
        shutil.copytree(source, root / source_directory / assignment, ignore=COPY_IGNORE)
        config = [base_config.read_text() if base_config else "c = get_config()  # noqa: F821",
                  "", "# Overrides for this test course",
                  f"c.CourseDirectory.course_id = {course_id!r}",
                  f"c.CourseDirectory.source_directory = {source_directory!r}",
                  "c.CourseDirectory.release_directory = 'release'",
                  f"c.CourseDirectory.db_url = {'sqlite:///' + str(root / 'gradebook.db')!r}",
                  extra_config]
        (root / "nbgrader_config.py").write_text("\n".join(config) + "\n")

        jupyter_config = tmp_path / "jupyter-config"
        jupyter_config.mkdir(exist_ok=True)
        env = dict(os.environ)
        env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        env["LAMBDAKIT_PROGRESS_DB"] = str(tmp_path / "progress.sqlite3")
        env["JUPYTER_CONFIG_DIR"] = str(jupyter_config)
        return cls(root, assignment, course_id, source_directory, env)

    @property
    def progress_db(self) -> pathlib.Path:
        """Where the kit would record learner progress during nbgrader's runs."""
        return pathlib.Path(self.env["LAMBDAKIT_PROGRESS_DB"])

    # -- running nbgrader ---------------------------------------------------------------------

    def nbgrader(self, *args: str) -> str:
        """Run ``nbgrader <args>`` in the course; return its output, or fail the test showing it."""
        command = [sys.executable, "-m", "nbgrader", *args]
        try:
            done = subprocess.run(command, cwd=self.root, env=self.env, capture_output=True,
                                  text=True, timeout=COMMAND_TIMEOUT_S)
        except subprocess.TimeoutExpired as error:
            raise AssertionError(f"`nbgrader {' '.join(args)}` took more than {COMMAND_TIMEOUT_S} s"
                                 f"\n--- output ---\n{error.stdout or ''}{error.stderr or ''}") from None
        output = done.stdout + done.stderr
        # nbgrader logs some failures (a notebook that can't be converted, ...) and still exits 0.
        failed = done.returncode != 0 or "[ERROR]" in output or "| ERROR]" in output
        assert not failed, (f"`nbgrader {' '.join(args)}` failed (exit status {done.returncode}) "
                            f"in {self.root}\n--- output ---\n{output}")
        return output

    def generate_assignment(self, *options: str) -> str:
        return self.nbgrader("generate_assignment", self.assignment, "--force", *options)

    def autograde(self, student: str | None = None, *options: str) -> str:
        """Autograde every submission of the assignment, or only ``student``'s."""
        student_option = ["--student", student] if student else []
        return self.nbgrader("autograde", self.assignment, *student_option, "--force", *options)

    def generate_feedback(self, student: str | None = None, *options: str) -> str:
        student_option = ["--student", student] if student else []
        return self.nbgrader("generate_feedback", self.assignment, *student_option, "--force",
                             *options)

    # -- folders and notebooks ----------------------------------------------------------------

    def folder(self, step: str, student: str | None = None) -> pathlib.Path:
        """``source``, ``release`` (no student), or ``submitted``/``autograded``/``feedback``."""
        if step == "source":
            return self.root / self.source_directory / self.assignment
        if step == "release":
            return self.root / "release" / self.assignment
        assert student, f"the {step} folder belongs to a student"
        return self.root / step / student / self.assignment

    def notebook_names(self) -> list[str]:
        """The assignment's notebooks (without .ipynb), from the source folder."""
        return sorted(path.stem for path in self.folder("source").glob("*.ipynb"))

    def source_notebook(self, name: str | None = None) -> pathlib.Path:
        return self.folder("source") / f"{name or self._only_notebook()}.ipynb"

    def release_notebook(self, name: str | None = None) -> pathlib.Path:
        return self.folder("release") / f"{name or self._only_notebook()}.ipynb"

    def feedback_html(self, student: str, name: str | None = None) -> pathlib.Path:
        return self.folder("feedback", student) / f"{name or self._only_notebook()}.html"

    def submit(self, student: str, notebook: pathlib.Path | nbformat.NotebookNode,
               name: str | None = None) -> pathlib.Path:
        """Place ``notebook`` (a path or a notebook object) as ``student``'s submission."""
        name = name or self._only_notebook()
        folder = self.folder("submitted", student)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{name}.ipynb"
        if isinstance(notebook, nbformat.NotebookNode):
            nbformat.write(notebook, target)
        else:
            shutil.copyfile(notebook, target)
        return target

    def _only_notebook(self) -> str:
        names = self.notebook_names()
        assert len(names) == 1, f"{self.assignment} has notebooks {names}: name the one you mean"
        return names[0]

    # -- the gradebook ------------------------------------------------------------------------

    def scores(self, student: str, name: str | None = None) -> Scores:
        """Total and per-cell scores of ``student``'s notebook, read from the gradebook."""
        from nbgrader.api import Gradebook

        name = name or self._only_notebook()
        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", self.course_id) as gradebook:
            notebook = gradebook.find_submission_notebook(name, self.assignment, student)
            cells = {grade.name: CellScore(grade.name, float(grade.score), float(grade.max_score))
                     for grade in notebook.grades}
            return Scores(float(notebook.score), float(notebook.max_score), cells)

    def cell_scores(self, student: str, name: str | None = None) -> dict[str, float]:
        """``student``'s score per graded cell: ``{grade_id: points}``."""
        return {grade_id: cell.score for grade_id, cell in self.scores(student, name).cells.items()}

    def autograded(self, student: str, name: str | None = None) -> nbformat.NotebookNode:
        """``student``'s notebook as autograde left it (outputs of every cell, hidden tests in)."""
        name = name or self._only_notebook()
        return nbformat.read(self.folder("autograded", student) / f"{name}.ipynb", as_version=4)


def grade_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The cells of ``notebook`` that carry points (nbgrader autograded tests)."""
    return [cell for cell in notebook.cells if cell.get("metadata", {}).get("nbgrader", {}).get("grade")
            and cell.cell_type == "code"]


def cell(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    """The cell of ``notebook`` whose nbgrader ``grade_id`` is ``grade_id``."""
    return next(c for c in notebook.cells
                if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)


def with_grade_cells(notebook: nbformat.NotebookNode, source: str) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose graded test cells all read ``source`` (a tampering student)."""
    edited = copy.deepcopy(notebook)
    for graded in grade_cells(edited):
        graded.source = source
    return edited


def cell_errors(graded: nbformat.NotebookNode) -> list[str]:
    """The errors a cell's outputs show, as ``"Name: value"``."""
    return [f"{output.ename}: {output.evalue}" for output in graded.outputs
            if output.output_type == "error"]


def assert_graded_cells(notebook: nbformat.NotebookNode, points: dict[str, float],
                        locked: tuple[str, ...] | list[str] = ()) -> None:
    """The graded test cells of ``notebook`` are exactly ``points`` (grade id -> points) and all
    locked, and so is every cell named in ``locked`` (grade ids of the cells that build the lab)."""
    tests = {c.metadata.nbgrader.grade_id: c.metadata.nbgrader for c in grade_cells(notebook)}
    assert {grade_id: meta.points for grade_id, meta in tests.items()} == points
    assert all(meta.locked for meta in tests.values())
    for grade_id in locked:
        assert cell(notebook, grade_id).metadata.nbgrader.locked, grade_id


def assert_solution_stubs(release: nbformat.NotebookNode, source: nbformat.NotebookNode,
                          solution_cells: list[str], regions: int) -> None:
    """The release's solution cells are ``solution_cells`` (grade ids, in order), with one
    ``# YOUR CODE HERE`` stub per solution region of the source (``regions`` of them), and no
    code cell of the release has outputs."""
    stubbed = [c for c in release.cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert [c.metadata.nbgrader.grade_id for c in stubbed] == solution_cells
    source_text = "\n".join(c.source for c in source.cells)
    stubs = sum(c.source.count("# YOUR CODE HERE\n") for c in stubbed)
    assert stubs == len(SOLUTION.findall(source_text)) == regions
    # each stub fails with the message that says what to do (nbgrader_config.py), never bare
    talking = sum(len(STUB.findall(c.source)) for c in stubbed)
    assert talking == regions, f"{regions - talking} stubs without the configured message"
    assert all(not c.get("outputs") for c in release.cells if c.cell_type == "code")


def assert_release_is_clean(course: Course, min_distinctive: int) -> nbformat.NotebookNode:
    """Only the notebook is released, without nbgrader's markers and without any distinctive
    line of a solution or hidden test (one found nowhere else in the source); return it.

    ``min_distinctive`` guards the check itself: the source must have at least that many
    distinctive lines, or the check would prove nothing.
    """
    released = sorted(path.name for path in course.folder("release").iterdir())
    assert released == [f"{course._only_notebook()}.ipynb"], \
        f"only the notebook may be released (files the lab writes must not): {released}"
    source_text = "\n".join(c.source for c in nbformat.read(course.source_notebook(), 4).cells)
    release = nbformat.read(course.release_notebook(), as_version=4)
    release_text = "\n".join(c.source for c in release.cells)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
        assert marker not in release_text
    regions = SOLUTION.findall(source_text) + HIDDEN.findall(source_text)
    outside = SOLUTION.sub("", HIDDEN.sub("", source_text))
    distinctive = {line.strip() for region in regions for line in region.splitlines()
                   if len(line.strip()) >= 20 and line.strip() not in outside}
    assert len(distinctive) > min_distinctive, \
        "the check needs enough solution text to mean something"
    leaked = sorted(line for line in distinctive if line in release_text)
    assert not leaked, f"solution or hidden-test lines in the release: {leaked}"
    return release


def released_course(tmp_path: pathlib.Path, assignment: str, source: pathlib.Path, *,
                    written_files: tuple[str, ...] = (), planted: str = "",
                    **create_options) -> Course:
    """A course (:meth:`Course.create`, ``create_options`` passed on) whose assignment is
    generated: the release a student gets.

    Before generating, each of ``written_files`` (the files the lab writes as it runs, with
    ``%%writefile``) is planted next to the source notebook as a script holding the marker
    ``planted`` that exits at once if run: a solution version left there must be neither
    released nor used in grading.
    """
    course = Course.create(tmp_path, assignment, source, **create_options)
    for name in written_files:
        (course.folder("source") / name).write_text(f"# {planted}\nraise SystemExit('{planted}')\n")
    course.generate_assignment()
    return course


def assert_full_marks(course: Course, student: str, points: dict[str, float], output: str) -> None:
    """``student`` scored every point of every graded cell (``points``: grade id -> points), and
    no cell of the autograded notebook shows an error or writes to stderr (nbgrader gives 0 to
    a test cell that writes to stderr). ``output`` is autograde's, shown when a cell falls short.
    """
    scores = course.scores(student)
    not_full = {c.grade_id: c.score for c in scores.cells.values() if c.score != c.max_score}
    assert not not_full, f"solution cells below full marks: {not_full}\n--- autograde ---\n{output}"
    assert set(scores.cells) == set(points)
    total = sum(points.values())
    assert (scores.score, scores.max_score) == (total, total)
    autograded = nbformat.read(
        course.folder("autograded", student) / f"{course._only_notebook()}.ipynb", 4)
    noisy = {index: out.get("text") or out.get("ename")
             for index, c in enumerate(autograded.cells) if c.cell_type == "code"
             for out in c.outputs if out.output_type == "error" or out.get("name") == "stderr"}
    assert not noisy, f"cells with errors or stderr output while grading: {noisy}"


def assert_committed_release_is_current(course: Course) -> None:
    """Learners open assignments/ (nbgrader's release folder, committed): it must hold only the
    notebook, and that must be what `nbgrader generate_assignment` makes from the source today
    (cell types, sources and nbgrader metadata), never a hand-edited copy."""
    assignment = course.assignment
    committed = ROOT / "assignments" / assignment / f"{assignment}.ipynb"
    assert committed.exists(), f"run `nbgrader generate_assignment {assignment}` and commit it"
    assert sorted(path.name for path in committed.parent.iterdir()) == [committed.name]

    def shape(path):
        notebook = nbformat.read(path, as_version=4)
        return [(c.cell_type, c.source, c.metadata.get("nbgrader")) for c in notebook.cells]

    assert shape(committed) == shape(course.release_notebook()), (
        f"{committed.relative_to(ROOT)} is stale: run `nbgrader generate_assignment "
        f"{assignment} --force` from the repository root and commit the result")
