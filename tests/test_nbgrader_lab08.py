"""Lab 08 (find the fault in four broken functions) through nbgrader: generate, submit, autograde.

One throw-away course per module, with the repository's nbgrader configuration: the lab is
released once, seven submissions are graded in one autograde run, and the tests read the gradebook.
Every graded run deploys the four broken functions, and the hidden tests invoke them again with
the grader's own clients and read their configuration, role policies and logs.

- ``solution``: the source notebook itself (solutions and hidden tests included): full marks;
- ``untouched``: the release as a student receives it: zero, without crashing or waiting;
- ``timeout-900``: the solution, but the report's timeout "fixed" with the maximum, 900 s: loses
  the timeout points only;
- ``wildcard-policy``: the solution, but the role allowed every action (``"Action": "*"``) on the
  table: loses the role points only;
- ``wrong-diagnosis``: the solution, but the price check diagnosed as an ImportModuleError: loses
  the diagnosis points only;
- ``fake-invoke``: the solution, but instead of fixing the price check's Handler the last answer
  cell redefines the notebook's ``invoke`` helper to return a price, so that the visible check
  passes: loses the handler points all the same (the hidden tests use their own client);
- ``tampered-release``: the release with every test cell replaced by ``assert True``: still zero.
"""
from __future__ import annotations

import copy

import nbformat
import pytest

from nbgrader_harness import (ROOT, assert_committed_release_is_current,
                              assert_full_marks, assert_graded_cells, assert_release_is_clean,
                              assert_solution_stubs,
                              cell, cell_errors, grade_cells, released_course, with_grade_cells)

ASSIGNMENT = "lab08_find_the_fault"
LAB = ROOT / "labs" / ASSIGNMENT
POINTS = {"test-diagnosis": 2.0, "test-timeout": 2.0, "test-memory": 2.0, "test-role": 2.0,
          "test-handler": 2.0}
SOLUTION_CELLS = ["diagnosis", "fix-timeout", "fix-memory", "fix-role", "fix-handler"]
LOCKED_CELLS = ["setup", "deploy", "helpers"]
# The fake-invoke submission's last answer: a helper that always reports a working price check.
FAKE_INVOKE = """
def invoke(name, event=None, show=True):
    return {"status": 200, "function_error": None, "log": "",
            "payload": {"sku": "notebook", "price_cents": 480}}
"""


def solution_with(source: nbformat.NotebookNode, grade_id: str, old: str,
                  new: str) -> nbformat.NotebookNode:
    """The solution notebook with ``old`` replaced by ``new`` in the solution cell ``grade_id``."""
    edited = copy.deepcopy(source)
    answer = cell(edited, grade_id)
    assert answer.source.count(old) == 1, f"the solution's {grade_id} cell no longer contains:\n{old}"
    answer.source = answer.source.replace(old, new)
    return edited


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return released_course(tmp_path_factory.mktemp("nbgrader-lab08"), ASSIGNMENT, LAB,
                           source_directory="labs")


@pytest.fixture(scope="module")
def graded(course):
    """Every submission placed, then one autograde run for all of them."""
    source = nbformat.read(course.source_notebook(), as_version=4)
    release = nbformat.read(course.release_notebook(), as_version=4)
    course.submit("solution", course.source_notebook())
    course.submit("untouched", course.release_notebook())
    course.submit("timeout-900", solution_with(source, "fix-timeout", "Timeout=3)", "Timeout=900)"))
    course.submit("wildcard-policy", solution_with(
        source, "fix-role", '"Action": "dynamodb:PutItem"', '"Action": "*"'))
    course.submit("wrong-diagnosis", solution_with(
        source, "diagnosis", 'PRICE_FUNCTION: "Runtime.HandlerNotFound"',
        'PRICE_FUNCTION: "Runtime.ImportModuleError"'))
    fake_invoke = copy.deepcopy(source)
    cell(fake_invoke, "fix-handler").source = FAKE_INVOKE
    course.submit("fake-invoke", fake_invoke)
    course.submit("tampered-release", with_grade_cells(release, "assert True"))
    output = course.autograde()
    return course, output


def test_the_release_has_no_solutions_and_no_hidden_tests(course):
    release = assert_release_is_clean(course, min_distinctive=30)
    assert_solution_stubs(release, nbformat.read(course.source_notebook(), 4), SOLUTION_CELLS, 5)
    release_text = "\n".join(c.source for c in release.cells)
    for answer in ("Runtime.OutOfMemory", "ClientError", "Runtime.HandlerNotFound",
                   "lambda_function.lambda_handler", "put_role_policy(", "Timeout=3",
                   "MemorySize=256"):
        assert answer not in release_text, f"the release gives away {answer!r}"

    assert_graded_cells(release, POINTS, locked=LOCKED_CELLS)
    assert sum(POINTS.values()) == 10


def test_the_solution_scores_full_marks(graded):
    course, output = graded
    assert_full_marks(course, "solution", POINTS, output)


def test_the_untouched_release_scores_zero_without_crashing(graded):
    course, output = graded
    scores = course.scores("untouched")
    assert (scores.score, scores.max_score) == (0.0, 10.0), output
    # It really ran: every test cell failed once, at once: no diagnosis, and the functions still
    # fail when invoked (the hidden tests never ran, nor waited)
    errors = {c.metadata.nbgrader.grade_id: cell_errors(c)
              for c in grade_cells(course.autograded("untouched"))}
    assert set(errors) == set(POINTS)
    assert all(len(found) == 1 for found in errors.values()), errors
    assert errors["test-diagnosis"] == ["NameError: name 'ERROR_TYPES' is not defined"], errors
    for grade_id, error_type in [("test-timeout", "Sandbox.Timedout"),
                                 ("test-memory", "Runtime.OutOfMemory"),
                                 ("test-role", "ClientError"),
                                 ("test-handler", "Runtime.HandlerNotFound")]:
        assert errors[grade_id][0].startswith("AssertionError: still failing: "), errors
        assert error_type in errors[grade_id][0], errors


def test_a_timeout_of_900_seconds_loses_the_timeout_points(graded):
    course, output = graded
    assert course.cell_scores("timeout-900") == {**POINTS, "test-timeout": 0.0}, output
    assert cell_errors(cell(course.autograded("timeout-900"), "test-timeout")) == [
        "AssertionError: a Timeout of 900 s is far more than the work needs"]


def test_a_wildcard_action_loses_the_role_points(graded):
    course, output = graded
    assert course.cell_scores("wildcard-policy") == {**POINTS, "test-role": 0.0}, output
    errors = cell_errors(cell(course.autograded("wildcard-policy"), "test-role"))
    assert len(errors) == 1 and errors[0].startswith("AssertionError: no wildcards: "), errors


def test_a_wrong_diagnosis_loses_the_diagnosis_points(graded):
    course, output = graded
    assert course.cell_scores("wrong-diagnosis") == {**POINTS, "test-diagnosis": 0.0}, output
    assert cell_errors(cell(course.autograded("wrong-diagnosis"), "test-diagnosis")) == [
        "AssertionError: lab08-price-check: 'Runtime.ImportModuleError' is not the errorType in "
        "its answer; look again"]


def test_faking_the_helper_does_not_fool_the_hidden_tests(graded):
    course, output = graded
    assert course.cell_scores("fake-invoke") == {**POINTS, "test-handler": 0.0}, output
    errors = cell_errors(cell(course.autograded("fake-invoke"), "test-handler"))
    assert errors == ["AssertionError: lambda_function.handler"], \
        f"the visible check passes, the hidden test reads the real Handler: {errors}"


def test_edited_test_cells_are_graded_by_the_original_tests(graded):
    course, output = graded
    assert course.scores("tampered-release").score == 0.0, output
    notebook = course.autograded("tampered-release")
    assert all(c.source != "assert True" for c in grade_cells(notebook))
    assert all("BEGIN HIDDEN TESTS" in c.source for c in grade_cells(notebook)), \
        "the hidden tests run during grading"


def test_feedback_is_generated(graded):
    course, _output = graded
    course.generate_feedback()  # every student at once: one nbgrader start-up
    assert "Score: 10.0 / 10.0" in course.feedback_html("solution").read_text()
    assert "Score: 8.0 / 10.0" in course.feedback_html("timeout-900").read_text()


def test_grading_records_no_progress(graded):
    course, _output = graded
    assert not course.progress_db.exists(), \
        "running a submission under nbgrader must not write to the learner progress database"


def test_the_committed_learner_copy_is_the_current_release(course):
    """Learners open assignments/: it must be what `nbgrader generate_assignment` makes."""
    assert_committed_release_is_current(course)
