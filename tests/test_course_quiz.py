"""The question bank, its one grading rule and the quiz widgets (progress: test_course_progress.py)."""
from __future__ import annotations

import textwrap

import pytest

from lambdakit.course import bank, quiz
from lambdakit.course.progress import ProgressStore
from lambdakit.course.sections import SECTIONS


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.sqlite3")


def test_each_written_section_has_enough_questions_of_every_type():
    written = sorted({q.section for q in bank.load_all()})
    assert {section.id for section in SECTIONS} == set(written)
    for section in written:
        questions = bank.load_section(section)
        assert len(questions) >= 6
        assert {q.type for q in questions} == set(bank.TYPES)
        assert all(q.explanation and q.source for q in questions)
    sources = " ".join(q.source for q in bank.load_all())
    for check in range(1, 11):  # every knowledge check of the notes, in its section's own words
        assert f"knowledge check {check}" in sources


def test_the_practice_notebook_offers_every_section_and_keeps_a_live_summary(store):
    import nbformat

    notebook = nbformat.read(bank.bank_dir().parent / "practice.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert "quiz.practice()" in code
    box = quiz.practice_widget(store=store)
    assert [value for value, _ in box.pick.options] == ["all"] + [s.id for s in SECTIONS]
    assert [w.spec["id"] for w in box.questions.children[0].children[1:-1]] == [
        q.id for q in bank.load_section("01")]  # section 01 first, one section at a time
    total = len(bank.load_all())
    assert f"<b>0 of {total}</b>" in box.summary.value
    box.pick.value = "02"
    question = next(w for w in box.questions.children[0].children if getattr(w, "spec", {}).get("id")
                    == "02-async-payload")
    question.value = "c"
    question.check()
    assert f"<b>1 of {total}</b>" in box.summary.value  # the summary moves after a check
    assert f"02 How Lambda runs your code</td><td>1 of {len(bank.load_section('02'))}" in box.summary.value
    box.pick.value = "all"
    assert sum(len(section.children) - 2 for section in box.questions.children) == total
    with pytest.raises(ValueError, match="no questions for section '99'"):
        quiz.practice_widget("99", store)


@pytest.mark.parametrize("question_id, right, wrong", [
    ("02-async-payload", "c", "b"),
    ("01-lambda-features", ["e", "a", "d", "b"], ["a", "b", "c", "d"]),
    ("02-lifecycle-phases", {"x": "i", "y": "v", "z": "s"}, {"x": "v", "y": "i", "z": "s"}),
])
def test_check_answer(question_id, right, wrong):
    assert bank.check_answer(question_id, right)
    assert not bank.check_answer(question_id, wrong)
    assert not bank.check_answer(question_id, None)


def test_multiple_select_needs_exactly_the_right_set():
    assert not bank.check_answer("01-lambda-features", ["a", "b", "d"])
    assert not bank.check_answer("01-lambda-features", ["a", "b", "d", "e", "f"])
    assert not bank.check_answer("01-lambda-features", "abde")


GOOD = """
  - id: q1
    type: single
    source: new
    prompt: "Pick one."
    options: {a: "A", b: "B"}
    answer: a
    explanation: "Because."
"""


@pytest.mark.parametrize("broken, message", [
    (GOOD.replace("answer: a", "answer: z"), "answer 'z' is not among the options"),
    (GOOD.replace('explanation: "Because."', ""), "missing explanation"),
    (GOOD.replace("type: single", "type: essay"), "unknown type 'essay'"),
    (GOOD + GOOD, "duplicate id"),
    (GOOD.replace("type: single", "type: multiple").replace("answer: a", "answer: [a, b]\n    select: 3"),
     "select is 3 but the answer has 2"),
    (GOOD.replace("type: single", "type: multiple").replace("answer: a", "answer: [a, b]\n    select: 2"),
     "the prompt must say 'Select TWO.'"),
])
def test_bank_validation_names_the_file_and_question(tmp_path, monkeypatch, broken, message):
    (tmp_path / "09_broken.yaml").write_text('section: "09"\nquestions:' + textwrap.dedent(broken))
    monkeypatch.setenv("LAMBDAKIT_QUIZ_BANK", str(tmp_path))
    with pytest.raises(ValueError, match=message) as info:
        bank.load_all()
    assert "09_broken.yaml" in str(info.value) and "'q1'" in str(info.value)


def _hinted(question_id, hint="Think about who waits for the answer."):
    """The bank question with a known hint."""
    import dataclasses

    return dataclasses.replace(bank.get(question_id), hint=hint)


def test_first_wrong_try_marks_the_choice_and_hints_without_the_explanation(store):
    question = _hinted("02-async-payload")
    widget = quiz.question_widget(question, store)
    assert widget.check()["state"] == "incomplete"  # nothing chosen: nothing recorded
    assert "Choose your answer first" in widget.result["message"] and store.summary()[1].attempts == 0
    widget.value = "b"
    result = widget.check()
    assert result["state"] == "wrong" and result["marks"] == ["b"]
    assert result["hint"] == "Think about who waits for the answer."
    assert "explanation_html" not in result and "answer" not in result and "right_keys" not in result
    assert [r.attempts for r in store.summary() if r.section == "02"] == [1]
    assert store.completed("02") == set()


def test_second_wrong_try_explains_and_shows_the_answer(store):
    widget = quiz.question_widget(_hinted("02-async-payload"), store)
    widget.value = "b"
    widget.check()
    widget.value = "a"
    result = widget.check()
    assert result["state"] == "wrong" and result["marks"] == ["a"] and not result["hint"]
    assert "256 KB to 1 MB" in result["explanation_html"] and result["right_keys"] == ["c"]
    assert result["answer"] == bank.get("02-async-payload").options["c"]
    assert [r.attempts for r in store.summary() if r.section == "02"] == [2]


def test_show_answer_explains_without_recording_a_try(store):
    widget = quiz.question_widget(_hinted("02-async-payload"), store)
    result = widget.show_answer()
    assert result["state"] == "revealed" and "256 KB to 1 MB" in result["explanation_html"]
    assert result["right_keys"] == ["c"]
    assert [r.attempts for r in store.summary() if r.section == "02"] == [0]


def test_right_answer_explains_records_and_updates_the_score(store):
    score = quiz.score_widget("02", store)
    total = len(bank.load_section("02"))
    assert f"0 of {total}" in score.value
    widget = quiz.question_widget(bank.get("02-async-payload"), store)
    widget.value = "c"
    result = widget.check()
    assert result["state"] == "correct" and result["marks"] == [] and not result["hint"]
    assert "256 KB to 1 MB" in result["explanation_html"]
    assert store.completed("02") == {"02-async-payload"}
    assert f"Section 02 score: 1 of {total}" in score.value  # every score line on screen moves


def test_explanations_are_escaped(store):
    import dataclasses

    question = dataclasses.replace(bank.get("02-async-payload"), explanation="<script>x</script>")
    widget = quiz.question_widget(question, store)
    widget.value = "c"
    assert widget.check()["explanation_html"] == "&lt;script&gt;x&lt;/script&gt;"


def test_multiple_choice_marks_only_the_wrong_choices(store):
    question = bank.get("02-invocation-models")
    right = question.answer
    wrong = next(key for key in question.options if key not in right)
    widget = quiz.question_widget(question, store)
    widget.value = right[:-1] + [wrong]
    result = widget.check()
    assert result["state"] == "wrong" and result["marks"] == [wrong]
    widget.value = right[:-1]  # all right but one short: nothing to mark, and it says so
    result = widget.check()
    assert result["marks"] == [] and f"it takes {question.select}" in result["message"]
    widget.value = list(reversed(right))
    assert widget.check()["state"] == "correct"
    assert store.completed("02") == {"02-invocation-models"}


def test_matching_marks_the_wrong_rows(store):
    question = bank.get("02-lifecycle-phases")
    widget = quiz.question_widget(question, store)
    widget.value = {"x": "i"}
    assert widget.check()["message"] == "Match every row first."
    widget.value = {"x": "v", "y": "v", "z": "s"}
    result = widget.check()
    assert result["state"] == "wrong" and result["marks"] == ["x"]
    assert "1 of 3 row is wrong" in result["message"]
    widget.value = {"x": "s", "y": "i", "z": "v"}
    result = widget.check()  # second wrong try: the rows that were right stay marked right
    assert result["marks"] == ["x", "y", "z"] and result["right_keys"] == []
    widget.value = dict(question.answer)
    assert widget.check()["state"] == "correct"
    assert store.completed("02") == {"02-lifecycle-phases"}


def test_ask_numbers_questions_by_their_place_in_the_bank_file(store):
    ids = [q.id for q in bank.load_section("02")]
    box = quiz.ask_widget(ids[3], ids[0], store=store)
    assert [w.spec["number"] for w in box.children[:2]] == ["2.4", "2.1"]
    assert "Section 02 score: 0 of" in box.children[2].value
    with pytest.raises(KeyError, match="no question 'nope'"):
        quiz.ask_widget("nope", store=store)
    with pytest.raises(ValueError, match="at least one question"):
        quiz.ask_widget(store=store)


def test_review_ends_a_lesson_with_its_score_and_refuses_other_sections(store):
    ids = [q.id for q in bank.load_section("02")][:2]
    box = quiz.review_widget("02", *ids, store=store)
    assert "Review" in box.children[0].value and len(box.children) == 4
    assert "lk-quiz-score" in box.children[-1]._dom_classes
    with pytest.raises(ValueError, match="another section"):
        quiz.review_widget("01", *ids, store=store)


def test_quiz_widget_shows_every_question_of_a_section(store):
    box = quiz.quiz_widget("01", store)
    assert len(box.children) == 2 + len(bank.load_section("01"))  # header, questions, score


def test_a_menu_accepts_only_its_choices():
    import traitlets

    menu = quiz.picker("Run:", [("slow", "slow"), ("busy", "busy")])
    assert menu.value == "slow" and menu.label == "Run:"
    menu.value = "busy"
    with pytest.raises(traitlets.TraitError, match="'gone' is not one of the choices"):
        menu.value = "gone"
    with pytest.raises(ValueError, match="at least one option"):
        quiz.picker("Run:", [])
