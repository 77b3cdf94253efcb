"""Lab 03 (least privilege) through nbgrader: generate, submit, autograde, feedback.

One throw-away course per module, with the repository's nbgrader configuration: the lab is
released once, every submission is graded in one autograde run, and the tests read the gradebook.

- ``solution``: the source notebook itself (solutions and hidden tests included): full marks;
- ``untouched``: the release as a student receives it: zero, without crashing;
- ``broad-role``: the role may do ``dynamodb:*`` on ``*``: no points for the role (parts 1 and the
  customers table), full points for the S3 permission;
- ``extra-read``: the right statement plus a "harmless" GetItem on the orders table: the visible
  check passes, the hidden test takes the role's points;
- ``extra-managed``: the right inline policy, and AmazonDynamoDBReadOnlyAccess attached too: the
  same;
- ``broad-s3``: the right role; S3 allowed for the bucket without ``SourceAccount``: no points for
  the S3 permission;
- ``tampered-release``: the release with every test cell replaced by ``assert True``: still zero;
- ``tampered-solution``: the solution with every test cell replaced by ``assert False``, and the
  locked role cell rewritten to attach AdministratorAccess: still full marks (nbgrader restores
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

ASSIGNMENT = "lab03_least_privilege"
LAB = ROOT / "labs" / ASSIGNMENT
POINTS = {"test-role-policy": 3.0, "test-only-orders-table": 2.0, "test-s3-invoke": 3.0,
          "test-s3-conditions": 2.0}
ROLE_POINTS = ("test-role-policy", "test-only-orders-table")
S3_POINTS = ("test-s3-invoke", "test-s3-conditions")
SOLUTION_CELLS = ["role-policy", "s3-permission"]
LOCKED_CELLS = ("setup", "resources", "role", "deploy")

ROLE_POLICY = """
policy = {{"Version": "2012-10-17", "Statement": {statements}}}
iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="write-orders", PolicyDocument=json.dumps(policy))
"""
PUT_ORDERS = '{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": ORDERS_TABLE_ARN}'
BROAD_ROLE = ROLE_POLICY.format(statements='[{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]')
EXTRA_READ = ROLE_POLICY.format(statements=f"""[{PUT_ORDERS},
    {{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ORDERS_TABLE_ARN}}]""")
EXTRA_MANAGED = ROLE_POLICY.format(statements=f"[{PUT_ORDERS}]") + (
    'iam.attach_role_policy(RoleName=ROLE_NAME, '
    'PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")\n')
BROAD_S3 = """
lam.add_permission(FunctionName=FUNCTION_NAME, StatementId="s3", Action="lambda:InvokeFunction",
                   Principal="s3.amazonaws.com", SourceArn=BUCKET_ARN)
"""
ADMIN = 'iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")'


def _answered(notebook: nbformat.NotebookNode, **answers: str) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose solution cells ``grade_id=source`` hold these answers."""
    edited = copy.deepcopy(notebook)
    for grade_id, source in answers.items():
        cell(edited, grade_id.replace("_", "-")).source = source.strip("\n")
    return edited


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return released_course(tmp_path_factory.mktemp("nbgrader-lab03"), ASSIGNMENT, LAB,
                           source_directory="labs")


@pytest.fixture(scope="module")
def graded(course):
    """Every submission placed, then one autograde run for all of them."""
    source = nbformat.read(course.source_notebook(), as_version=4)
    release = nbformat.read(course.release_notebook(), as_version=4)
    solved_s3 = cell(source, "s3-permission").source
    solved_role = cell(source, "role-policy").source

    tampered_solution = with_grade_cells(source, "assert False")
    cell(tampered_solution, "role").source += "\n" + ADMIN + "\n"

    course.submit("solution", course.source_notebook())
    course.submit("untouched", course.release_notebook())
    course.submit("broad-role", _answered(release, role_policy=BROAD_ROLE, s3_permission=solved_s3))
    course.submit("extra-read", _answered(release, role_policy=EXTRA_READ, s3_permission=solved_s3))
    course.submit("extra-managed", _answered(release, role_policy=EXTRA_MANAGED,
                                             s3_permission=solved_s3))
    course.submit("broad-s3", _answered(release, role_policy=solved_role, s3_permission=BROAD_S3))
    course.submit("tampered-release", with_grade_cells(release, "assert True"))
    course.submit("tampered-solution", tampered_solution)
    output = course.autograde()
    return course, output


def test_the_release_has_no_solutions_and_no_hidden_tests(course):
    release = assert_release_is_clean(course, min_distinctive=25)
    release_text = "\n".join(cell.source for cell in release.cells)
    source_text = "\n".join(cell.source for cell in nbformat.read(course.source_notebook(), 4).cells)

    solution_cells = [cell for cell in release.cells
                      if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    assert [cell.metadata.nbgrader.grade_id for cell in solution_cells] == SOLUTION_CELLS
    stubs = re.findall(r"# YOUR CODE HERE\n[ ]*raise NotImplementedError\(\)", release_text)
    assert len(stubs) == len(SOLUTION.findall(source_text)) == 2
    assert all(not cell.get("outputs") for cell in release.cells if cell.cell_type == "code")

    assert_graded_cells(release, POINTS, locked=LOCKED_CELLS)  # the cells that build the lab too
    assert sum(POINTS.values()) == 10


def test_the_solution_scores_full_marks(graded):
    course, output = graded
    assert_full_marks(course, "solution", POINTS, output)


def test_the_untouched_release_scores_zero_without_crashing(graded):
    course, output = graded
    scores = course.scores("untouched")
    assert (scores.score, scores.max_score) == (0.0, 10.0), output
    # It really ran: every test cell failed once, with the message that says what to do.
    errors = {cell.metadata.nbgrader.grade_id: cell_errors(cell)
              for cell in grade_cells(course.autograded("untouched"))}
    assert set(errors) == set(POINTS)
    assert all(len(found) == 1 for found in errors.values()), errors
    assert errors["test-role-policy"][0].startswith(
        "AssertionError: put an inline policy named write-orders"), errors
    assert errors["test-only-orders-table"][0].startswith(
        "AssertionError: first make the function able to write"), errors
    assert errors["test-s3-invoke"][0].startswith("AssertionError: S3 should be allowed"), errors
    assert errors["test-s3-conditions"][0].startswith(
        "AssertionError: add exactly one statement for s3.amazonaws.com, found 0"), errors
    # the two solution cells raised NotImplementedError, and nothing else failed
    autograded = course.autograded("untouched")
    for grade_id in SOLUTION_CELLS:
        assert [error.split(":")[0] for error in cell_errors(cell(autograded, grade_id))] == \
            ["NotImplementedError"]


def test_a_broad_role_loses_the_role_points(graded):
    course, output = graded
    scores = course.cell_scores("broad-role")
    assert scores == {**POINTS, "test-role-policy": 0.0, "test-only-orders-table": 0.0}, output
    autograded = course.autograded("broad-role")
    [visible] = cell_errors(cell(autograded, "test-role-policy"))
    assert visible.startswith("AssertionError: no wildcards: the Action of"), visible
    [contained] = cell_errors(cell(autograded, "test-only-orders-table"))
    assert "the function wrote to the customers table" in contained, contained


@pytest.mark.parametrize("student", ["extra-read", "extra-managed"])
def test_hidden_tests_take_the_points_of_any_extra_grant(graded, student):
    course, output = graded
    assert course.cell_scores(student) == {**POINTS, "test-role-policy": 0.0}, output
    [error] = cell_errors(cell(course.autograded(student), "test-role-policy"))
    expected = {"extra-read": "only dynamodb:PutItem may be allowed",
                "extra-managed": "only AWSLambdaBasicExecutionRole may be attached"}[student]
    assert expected in error, error


def test_a_permission_without_source_account_loses_the_s3_points(graded):
    course, output = graded
    assert course.cell_scores("broad-s3") == {
        **POINTS, "test-s3-invoke": 0.0, "test-s3-conditions": 0.0}, output
    autograded = course.autograded("broad-s3")
    [invoke] = cell_errors(cell(autograded, "test-s3-invoke"))
    assert "a bucket in another account may invoke the function" in invoke, invoke
    [conditions] = cell_errors(cell(autograded, "test-s3-conditions"))
    assert "the statement needs SourceAccount=ACCOUNT" in conditions, conditions


def test_edited_test_cells_are_graded_by_the_original_tests(graded):
    course, output = graded
    assert course.scores("tampered-release").score == 0.0, output
    assert course.scores("tampered-solution").score == 10.0, output
    autograded = course.autograded("tampered-release")
    assert all(cell.source != "assert True" for cell in grade_cells(autograded))
    assert any("BEGIN HIDDEN TESTS" in cell.source for cell in grade_cells(autograded)), \
        "the hidden tests run during grading"
    # the locked role cell was restored too: no AdministratorAccess was attached
    assert "AdministratorAccess" not in cell(course.autograded("tampered-solution"), "role").source


def test_feedback_is_generated(graded):
    course, _output = graded
    course.generate_feedback()  # every student at once: one nbgrader start-up
    solved = course.feedback_html("solution").read_text()
    untouched = course.feedback_html("untouched").read_text()
    broad = course.feedback_html("broad-role").read_text()
    assert "Score: 10.0 / 10.0" in solved
    assert "Score: 0.0 / 10.0" in untouched
    assert "Score: 5.0 / 10.0" in broad and "no wildcards" in broad
    assert "test-s3-conditions" in solved and "write-orders" in untouched


def test_grading_records_no_progress(graded):
    course, _output = graded
    assert not course.progress_db.exists(), \
        "running a submission under nbgrader must not write to the learner progress database"


def test_the_committed_learner_copy_is_the_current_release(course):
    """Learners open assignments/: it must be what `nbgrader generate_assignment` makes."""
    assert_committed_release_is_current(course)



def test_the_source_notebook_is_committed_without_outputs():
    notebook = nbformat.read(LAB / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert all(not cell.outputs and cell.execution_count is None
               for cell in notebook.cells if cell.cell_type == "code")
    assert sorted(path.name for path in LAB.iterdir() if path.name != "__pycache__") == \
        [f"{ASSIGNMENT}.ipynb"], "the lab writes no files next to it"
