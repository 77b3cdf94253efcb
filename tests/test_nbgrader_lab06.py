"""Lab 06 (reliable order processing from SQS) through nbgrader: generate, submit, autograde.

One throw-away course per module, with the repository's nbgrader configuration: the lab is
released once, five submissions are graded in one autograde run, and the tests read the gradebook.
Every graded run sends real orders through a real queue, event source mapping and function.

- ``solution``: the source notebook itself (solutions and hidden tests included): full marks;
- ``untouched``: the release as a student receives it: zero, without crashing or waiting;
- ``whole-batch``: the solution, but the handler lets a poison order fail the whole batch
  (it raises instead of reporting the message), and the mapping cell also redefines the notebook's
  readers (``recorded_orders``, ``peek``, ``queue_depth``) to fake a perfect rush, so that the
  visible pipeline check passes: loses the partial-batch and pipeline points all the same (the
  hidden tests read the table and queues with their own clients, and count deliveries);
- ``not-idempotent``: the solution, but ``record_order`` is a plain put (a duplicate overwrites
  the order): loses the idempotency and pipeline points;
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

ASSIGNMENT = "lab06_reliable_orders"
LAB = ROOT / "labs" / ASSIGNMENT
POINTS = {"test-partial-batch": 2.0, "test-idempotent": 2.0, "test-queue": 2.0,
          "test-mapping": 2.0, "test-pipeline": 2.0}
SOLUTION_CELLS = ["processor-module", "queue", "role-policy", "mapping"]
LOCKED_CELLS = ["setup", "resources", "helpers", "deploy", "rush"]
# The file the lab writes as it runs (%%writefile): planted next to the source to prove it is
# neither released nor used in grading.
WRITTEN_FILES = ("order_processor.py",)
PLANTED = "PLANTED-SOLUTION-FILE-06b3"

# The two mistakes of the partial submissions, as edits of the solution's module cell.
REPORTS_FAILURES = """    failures = []
    for record in event["Records"]:
        try:
            record_order(parse_order(record["body"]), record["messageId"])
        except Exception as error:
            print(f"message {record['messageId']} failed: {error}")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""
FAILS_WHOLE_BATCH = """    for record in event["Records"]:
        record_order(parse_order(record["body"]), record["messageId"])   # a poison order raises
    return {"batchItemFailures": []}
"""
# Appended to the mapping cell: readers that report what the visible pipeline check expects.
FAKE_READERS = """

def queue_depth(queue_url):
    return (0, 0)


def recorded_orders(prefix=""):
    first = {}
    for message_id, body in RUSH_SENT:
        if "poison" not in body:
            first.setdefault(json.loads(body)["order_id"], message_id)
    return {order_id: {"order_id": order_id, "message_id": message_id}
            for order_id, message_id in first.items() if order_id.startswith(prefix)}


def peek(queue_url):
    return [(message_id, body) for message_id, body in RUSH_SENT if "poison" in body]
"""
CONDITIONAL_PUT = """            ConditionExpression="attribute_not_exists(order_id)")
"""
PLAIN_PUT = """            )
"""


def solution_with(source: nbformat.NotebookNode, old: str, new: str) -> nbformat.NotebookNode:
    """The solution notebook with ``old`` replaced by ``new`` in the handler module's cell."""
    edited = copy.deepcopy(source)
    module = cell(edited, "processor-module")
    assert module.source.count(old) == 1, f"the solution's module no longer contains:\n{old}"
    module.source = module.source.replace(old, new)
    return edited


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return released_course(tmp_path_factory.mktemp("nbgrader-lab06"), ASSIGNMENT, LAB,
                           written_files=WRITTEN_FILES, planted=PLANTED,
                           source_directory="labs")


@pytest.fixture(scope="module")
def graded(course):
    """Every submission placed, then one autograde run for all of them."""
    source = nbformat.read(course.source_notebook(), as_version=4)
    release = nbformat.read(course.release_notebook(), as_version=4)
    course.submit("solution", course.source_notebook())
    course.submit("untouched", course.release_notebook())
    whole_batch = solution_with(source, REPORTS_FAILURES, FAILS_WHOLE_BATCH)
    cell(whole_batch, "mapping").source += FAKE_READERS
    course.submit("whole-batch", whole_batch)
    course.submit("not-idempotent", solution_with(source, CONDITIONAL_PUT, PLAIN_PUT))
    course.submit("tampered-release", with_grade_cells(release, "assert True"))
    output = course.autograde()
    return course, output


def test_the_release_has_no_solutions_and_no_hidden_tests(course):
    release = assert_release_is_clean(course, min_distinctive=40)
    assert_solution_stubs(release, nbformat.read(course.source_notebook(), 4), SOLUTION_CELLS, 5)
    # what the learner is given of the module: parse_order whole, the two functions to write empty
    module = cell(release, "processor-module").source
    assert "def parse_order(body):" in module and "raise BadOrder(" in module
    assert "ConditionExpression" not in module and "batchItemFailures" not in module

    assert_graded_cells(release, POINTS, locked=LOCKED_CELLS)
    assert sum(POINTS.values()) == 10


def test_the_solution_scores_full_marks(graded):
    course, output = graded
    assert_full_marks(course, "solution", POINTS, output)


def test_the_untouched_release_scores_zero_without_crashing(graded):
    course, output = graded
    scores = course.scores("untouched")
    assert (scores.score, scores.max_score) == (0.0, 10.0), output
    # It really ran: every test cell failed once, at once, because of the stubs.
    autograded = course.autograded("untouched")
    errors = {c.metadata.nbgrader.grade_id: cell_errors(c) for c in grade_cells(autograded)}
    assert set(errors) == set(POINTS)
    assert all(len(found) == 1 for found in errors.values()), errors
    for grade_id in ("test-partial-batch", "test-idempotent"):
        assert errors[grade_id][0].startswith("NotImplementedError"), errors
    assert errors["test-queue"][0] == "NameError: name 'QUEUE_URL' is not defined", errors
    assert errors["test-mapping"][0] == "NameError: name 'MAPPING_UUID' is not defined", errors
    assert errors["test-pipeline"][0].startswith(
        "AssertionError: create the event source mapping first"), errors


def test_failing_the_whole_batch_loses_the_batch_and_pipeline_points(graded):
    course, output = graded
    assert course.cell_scores("whole-batch") == {
        "test-partial-batch": 0.0, "test-idempotent": 2.0, "test-queue": 2.0,
        "test-mapping": 2.0, "test-pipeline": 0.0}, output
    # the faked readers fooled the visible check; the hidden tests saw the redeliveries
    autograded = course.autograded("whole-batch")
    pipeline_errors = cell_errors(cell(autograded, "test-pipeline"))
    assert len(pipeline_errors) == 1 and "a good order in a batch with a poison one, was delivered" \
        in pipeline_errors[0], pipeline_errors


def test_a_handler_that_is_not_idempotent_loses_those_points(graded):
    course, output = graded
    assert course.cell_scores("not-idempotent") == {
        "test-partial-batch": 2.0, "test-idempotent": 0.0, "test-queue": 2.0,
        "test-mapping": 2.0, "test-pipeline": 0.0}, output
    autograded = course.autograded("not-idempotent")
    assert cell_errors(cell(autograded, "test-idempotent")) == [
        "AssertionError: the second delivery of the same order must return False and write nothing"]


def test_edited_test_cells_are_graded_by_the_original_tests(graded):
    course, output = graded
    assert course.scores("tampered-release").score == 0.0, output
    autograded = course.autograded("tampered-release")
    assert all(c.source != "assert True" for c in grade_cells(autograded))
    assert all("BEGIN HIDDEN TESTS" in c.source for c in grade_cells(autograded)), \
        "the hidden tests run during grading"


def test_feedback_is_generated(graded):
    course, _output = graded
    course.generate_feedback()  # every student at once: one nbgrader start-up
    solved = course.feedback_html("solution").read_text()
    whole_batch = course.feedback_html("whole-batch").read_text()
    assert "Score: 10.0 / 10.0" in solved
    assert "Score: 6.0 / 10.0" in whole_batch
    assert "test-pipeline" in solved


def test_grading_records_no_progress(graded):
    course, _output = graded
    assert not course.progress_db.exists(), \
        "running a submission under nbgrader must not write to the learner progress database"


def test_the_committed_learner_copy_is_the_current_release(course):
    """Learners open assignments/: it must be what `nbgrader generate_assignment` makes."""
    assert_committed_release_is_current(course)
