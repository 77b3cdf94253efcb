"""Lab 01 through nbgrader: generate, submit, autograde, feedback, with the repository's config.

One throw-away course per module: the lab is released once, five submissions are graded in one
autograde run, and the tests read the gradebook. The submissions:

- ``solution``: the source notebook itself (solutions and hidden tests included): full marks;
- ``untouched``: the release as a student receives it: zero, without crashing;
- ``partial``: the release with only the pricing module solved: the pricing points only;
- ``tampered-release``: the release with every test cell replaced by ``assert True``: still zero;
- ``tampered-solution``: the solution with every test cell replaced by ``assert False``: still full.
"""
from __future__ import annotations

import copy

import nbformat
import pytest

from nbgrader_harness import (ROOT, SOLUTION, assert_committed_release_is_current,
                              assert_full_marks, assert_graded_cells, assert_release_is_clean,
                              cell as graded_cell, grade_cells, released_course, with_grade_cells)

ASSIGNMENT = "lab01_first_function"
LAB = ROOT / "labs" / ASSIGNMENT
POINTS = {"test-quote": 2.0, "test-validation": 2.0, "test-handler-ok": 2.0,
          "test-handler-errors": 2.0, "test-deployed": 2.0}
# Files the lab writes as it runs. Running the source notebook leaves solution versions of them
# next to it; the fixture plants such files to prove they are neither released nor used in grading.
WRITTEN_FILES = ("pricing.py", "order_handler.py")
PLANTED = "PLANTED-SOLUTION-FILE-7f3a"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return released_course(tmp_path_factory.mktemp("nbgrader"), ASSIGNMENT, LAB,
                           written_files=WRITTEN_FILES, planted=PLANTED,
                           source_directory="labs")


@pytest.fixture(scope="module")
def graded(course):
    """Every submission placed, then one autograde run for all of them."""
    source = nbformat.read(course.source_notebook(), as_version=4)
    release = nbformat.read(course.release_notebook(), as_version=4)
    partial = copy.deepcopy(release)
    for index, cell in enumerate(partial.cells):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "pricing-module":
            partial.cells[index] = copy.deepcopy(graded_cell(source, "pricing-module"))

    course.submit("solution", course.source_notebook())
    course.submit("untouched", course.release_notebook())
    course.submit("partial", partial)
    course.submit("tampered-release", with_grade_cells(release, "assert True"))
    course.submit("tampered-solution", with_grade_cells(source, "assert False"))
    output = course.autograde()
    return course, output


def test_the_release_has_no_solutions_and_no_hidden_tests(course):
    release = assert_release_is_clean(course, min_distinctive=40)
    release_text = "\n".join(cell.source for cell in release.cells)
    source_text = "\n".join(cell.source for cell in nbformat.read(course.source_notebook(), 4).cells)

    solution_cells = [cell for cell in release.cells
                      if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert [cell.metadata.nbgrader.grade_id for cell in solution_cells] == \
        ["pricing-module", "handler-module", "call-function"]
    assert release_text.count("# YOUR CODE HERE\n    raise NotImplementedError()") == \
        len(SOLUTION.findall(source_text)) == 4
    assert all(not cell.get("outputs") for cell in release.cells if cell.cell_type == "code")

    assert_graded_cells(release, POINTS)


def test_the_solution_scores_full_marks(graded):
    course, output = graded
    assert_full_marks(course, "solution", POINTS, output)


def test_the_untouched_release_scores_zero_without_crashing(graded):
    course, output = graded
    scores = course.scores("untouched")
    assert (scores.score, scores.max_score) == (0.0, 10.0), output
    assert all(cell.score == 0 for cell in scores.cells.values())
    # It really ran: every test cell failed because of the stubs (no timeout, no dead kernel).
    autograded = course.autograded("untouched")
    errors = [[f"{output.ename}: {output.evalue}" for output in cell.outputs
               if output.output_type == "error"] for cell in grade_cells(autograded)]
    assert len(errors) == len(POINTS)
    assert all(len(cell) == 1 and "NotImplementedError" in cell[0] for cell in errors), errors


def test_points_are_per_step(graded):
    course, _output = graded
    scores = course.scores("partial")
    assert {grade_id: cell.score for grade_id, cell in scores.cells.items()} == {
        "test-quote": 2.0, "test-validation": 2.0, "test-handler-ok": 0.0,
        "test-handler-errors": 0.0, "test-deployed": 0.0}


def test_edited_test_cells_are_graded_by_the_original_tests(graded):
    course, output = graded
    assert course.scores("tampered-release").score == 0.0, output
    assert course.scores("tampered-solution").score == 10.0, output
    autograded = course.autograded("tampered-release")
    assert all(cell.source != "assert True" for cell in grade_cells(autograded))
    assert any("BEGIN HIDDEN TESTS" in cell.source for cell in grade_cells(autograded)), \
        "the hidden tests run during grading"


def test_feedback_is_generated(graded):
    course, _output = graded
    course.generate_feedback()  # every student at once: one nbgrader start-up, not two
    solved = course.feedback_html("solution").read_text()
    untouched = course.feedback_html("untouched").read_text()
    assert "Score: 10.0 / 10.0" in solved
    assert "Score: 0.0 / 10.0" in untouched
    assert "test-deployed" in solved and "NotImplementedError" in untouched


def test_grading_records_no_progress(graded):
    course, _output = graded
    assert not course.progress_db.exists(), \
        "running a submission under nbgrader must not write to the learner progress database"


def test_the_committed_learner_copy_is_the_current_release(course):
    """Learners open assignments/: it must be what `nbgrader generate_assignment` makes."""
    assert_committed_release_is_current(course)
