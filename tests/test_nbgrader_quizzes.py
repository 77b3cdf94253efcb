"""A quiz notebook built from the question bank, through nbgrader: generate, submit, autograde,
feedback.

One throw-away course: ``lambdakit build-quizzes`` writes section 02's quiz, nbgrader releases
it, four submissions are graded in one autograde run:

- ``solution``: the generated source notebook: full marks;
- ``untouched``: the release as a student receives it: zero, without crashing;
- ``one-wrong``: every answer right but question 1's: one point less;
- ``tampered``: as ``one-wrong``, with question 1's locked test cell rewritten to set the right
  answer after the fact: still one point less, because the original hidden test grades it.
"""
from __future__ import annotations

import copy
import re

import nbformat
import pytest

from lambdakit.course import bank, quizbuild
from nbgrader_harness import Course, cell

SECTION = "02"
ASSIGNMENT = quizbuild.assignment_name(SECTION)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    built = tmp_path_factory.mktemp("built")
    quizbuild.build(built, [SECTION])
    course = Course.create(tmp_path_factory.mktemp("nbgrader"), ASSIGNMENT, built / ASSIGNMENT)
    course.generate_assignment()
    return course


@pytest.fixture(scope="module")
def graded(course):
    questions = bank.load_section(SECTION)
    source = nbformat.read(course.source_notebook(), as_version=4)
    release = nbformat.read(course.release_notebook(), as_version=4)
    one_wrong = copy.deepcopy(release)
    for question in questions:  # the student's answers: the solutions, without the markers
        answer = SOLUTION.search(cell(source, f"{question.id}-answer").source).group(1)
        cell(one_wrong, f"{question.id}-answer").source = answer
    first = questions[0]
    cell(one_wrong, f"{first.id}-answer").source = 'q1 = {"nothing"}'
    tampered = copy.deepcopy(one_wrong)
    right = SOLUTION.search(cell(source, f"{first.id}-answer").source).group(1)
    cell(tampered, f"{first.id}-test").source = right

    course.submit("solution", course.source_notebook())
    course.submit("untouched", course.release_notebook())
    course.submit("one-wrong", one_wrong)
    course.submit("tampered", tampered)
    course.autograde()
    return course, questions


def test_the_release_has_no_answers_and_no_hidden_tests(course):
    release = nbformat.read(course.release_notebook(), as_version=4)
    text = "\n".join(cell.source for cell in release.cells)
    assert "BEGIN HIDDEN TESTS" not in text and "check_answer" not in text
    assert "BEGIN SOLUTION" not in text
    for number, question in enumerate(bank.load_section(SECTION), start=1):
        answer_cell = cell(release, f"{question.id}-answer")
        assert "YOUR CODE HERE" in answer_cell.source and f"q{number} =" not in answer_cell.source
        assert question.prompt in cell(release, f"{question.id}-text").source


def test_the_solution_scores_full_marks(graded):
    course, questions = graded
    scores = course.scores("solution")
    assert scores.max_score == len(questions)
    assert scores.score == scores.max_score


def test_the_untouched_release_scores_zero(graded):
    course, questions = graded
    scores = course.scores("untouched")
    assert (scores.score, scores.max_score) == (0, len(questions))


def test_one_wrong_answer_costs_one_point_even_when_its_test_cell_is_rewritten(graded):
    course, questions = graded
    for student in ("one-wrong", "tampered"):
        scores = course.scores(student)
        assert scores.score == len(questions) - 1, student
        assert scores.cells[f"{questions[0].id}-test"].score == 0, student


def test_feedback_shows_the_explanation_of_a_wrong_answer(graded):
    course, questions = graded
    course.generate_feedback("one-wrong")
    html = course.feedback_html("one-wrong").read_text(encoding="utf-8")
    assert "Not correct." in html
    first_words = questions[0].explanation.split(".")[0]
    assert first_words in html
