"""Lab 05 (protect the database) through nbgrader: generate, submit, autograde, feedback.

One throw-away course per module, with the repository's nbgrader configuration: the lab is
released once, five submissions are graded in one autograde run, and the tests read the gradebook.

- ``solution``: the source notebook itself (solutions and hidden tests included): full marks;
- ``untouched``: the release as a student receives it: zero, without crashing;
- ``partial``: the release with only the backoff client (its two cells) solved: the backoff points only;
- ``tampered-release``: the release with every test cell replaced by ``assert True``: still zero;
- ``tampered-solution``: the solution with every test cell replaced by ``assert False``, and the
  locked database cell rewritten to accept 100 connections: still full marks (nbgrader restores
  locked cells from its own copy).
"""
from __future__ import annotations

import copy
import re

import nbformat
import pytest

from nbgrader_harness import (ROOT, SOLUTION, assert_committed_release_is_current,
                              assert_full_marks, assert_graded_cells, assert_release_is_clean,
                              cell, cell_errors, grade_cells, released_course, with_grade_cells)

ASSIGNMENT = "lab05_protect_the_database"
LAB = ROOT / "labs" / ASSIGNMENT
POINTS = {"test-overload": 1.0, "test-reserved": 2.0, "test-backoff-retries": 2.0,
          "test-backoff-gives-up": 2.0, "test-nothing-lost": 3.0}
SOLUTION_CELLS = ["metric-total", "reserve", "no-retries", "backoff", "big-sale"]
# Files the lab writes as it runs (%%writefile): planted next to the source to prove they are
# neither released nor used in grading.
WRITTEN_FILES = ("order_db.py", "orders_handler.py")
PLANTED = "PLANTED-SOLUTION-FILE-5c1e"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return released_course(tmp_path_factory.mktemp("nbgrader-lab05"), ASSIGNMENT, LAB,
                           written_files=WRITTEN_FILES, planted=PLANTED,
                           source_directory="labs")


@pytest.fixture(scope="module")
def graded(course):
    """Every submission placed, then one autograde run for all of them."""
    source = nbformat.read(course.source_notebook(), as_version=4)
    release = nbformat.read(course.release_notebook(), as_version=4)
    partial = copy.deepcopy(release)
    for grade_id in ("no-retries", "backoff"):
        partial.cells[partial.cells.index(cell(partial, grade_id))] = copy.deepcopy(
            cell(source, grade_id))
    tampered_solution = with_grade_cells(source, "assert False")
    database = cell(tampered_solution, "database-module")
    assert "MAX_CONNECTIONS = 3\n" in database.source
    database.source = database.source.replace("MAX_CONNECTIONS = 3\n", "MAX_CONNECTIONS = 100\n")

    course.submit("solution", course.source_notebook())
    course.submit("untouched", course.release_notebook())
    course.submit("partial", partial)
    course.submit("tampered-release", with_grade_cells(release, "assert True"))
    course.submit("tampered-solution", tampered_solution)
    output = course.autograde()
    return course, output


def test_the_release_has_no_solutions_and_no_hidden_tests(course):
    release = assert_release_is_clean(course, min_distinctive=60)
    release_text = "\n".join(cell.source for cell in release.cells)
    source_text = "\n".join(cell.source for cell in nbformat.read(course.source_notebook(), 4).cells)

    solution_cells = [cell for cell in release.cells
                      if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert [cell.metadata.nbgrader.grade_id for cell in solution_cells] == SOLUTION_CELLS
    stubs = re.findall(r"# YOUR CODE HERE\n[ ]*raise NotImplementedError\(\)", release_text)
    assert len(stubs) == len(SOLUTION.findall(source_text)) == 5
    assert all(not cell.get("outputs") for cell in release.cells if cell.cell_type == "code")

    # the cells that build the lab (database, handler, deployment, helpers) are locked too
    assert_graded_cells(release, POINTS, locked=("setup", "database-module", "handler-module",
                                                 "deploy", "helpers", "fake-lambda"))
    assert sum(POINTS.values()) == 10


def test_the_solution_scores_full_marks(graded):
    course, output = graded
    assert_full_marks(course, "solution", POINTS, output)


def test_the_untouched_release_scores_zero_without_crashing(graded):
    course, output = graded
    scores = course.scores("untouched")
    assert (scores.score, scores.max_score) == (0.0, 10.0), output
    assert all(cell.score == 0 for cell in scores.cells.values())
    # It really ran: every test cell failed once, because of the stubs (no timeout, no dead kernel).
    autograded = course.autograded("untouched")
    errors = {cell.metadata.nbgrader.grade_id: cell_errors(cell) for cell in grade_cells(autograded)}
    assert set(errors) == set(POINTS)
    assert all(len(found) == 1 for found in errors.values()), errors
    for grade_id in ("test-overload", "test-backoff-retries", "test-backoff-gives-up"):
        assert "NotImplementedError" in errors[grade_id][0], errors
    assert errors["test-reserved"][0].startswith("AssertionError: the reserved concurrency"), errors
    assert errors["test-nothing-lost"][0].startswith("AssertionError"), errors


def test_points_are_per_step(graded):
    course, _output = graded
    scores = course.scores("partial")
    assert {grade_id: cell.score for grade_id, cell in scores.cells.items()} == {
        "test-overload": 0.0, "test-reserved": 0.0, "test-backoff-retries": 2.0,
        "test-backoff-gives-up": 2.0, "test-nothing-lost": 0.0}


def test_edited_test_cells_are_graded_by_the_original_tests(graded):
    course, output = graded
    assert course.scores("tampered-release").score == 0.0, output
    assert course.scores("tampered-solution").score == 10.0, output
    autograded = course.autograded("tampered-release")
    assert all(cell.source != "assert True" for cell in grade_cells(autograded))
    assert any("BEGIN HIDDEN TESTS" in cell.source for cell in grade_cells(autograded)), \
        "the hidden tests run during grading"
    # the locked database cell was restored too: the database accepted 3 connections, not 100
    restored = course.autograded("tampered-solution")
    assert "MAX_CONNECTIONS = 3\n" in cell(restored, "database-module").source


def test_feedback_is_generated(graded):
    course, _output = graded
    course.generate_feedback()  # every student at once: one nbgrader start-up
    solved = course.feedback_html("solution").read_text()
    untouched = course.feedback_html("untouched").read_text()
    assert "Score: 10.0 / 10.0" in solved
    assert "Score: 0.0 / 10.0" in untouched
    assert "test-nothing-lost" in solved and "NotImplementedError" in untouched


def test_grading_records_no_progress(graded):
    course, _output = graded
    assert not course.progress_db.exists(), \
        "running a submission under nbgrader must not write to the learner progress database"


def test_the_committed_learner_copy_is_the_current_release(course):
    """Learners open assignments/: it must be what `nbgrader generate_assignment` makes."""
    assert_committed_release_is_current(course)
