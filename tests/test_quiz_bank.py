"""The question bank teaches: hints nudge without telling, length gives nothing away, and every
question is asked once, in its own lesson, right where the idea is taught.

(a) every question has a hint that does not contain the correct option's text (nor copies
    the explanation);
(b) per section and over the whole bank, "the correct option is strictly the longest" happens
    no more often than chance would make it (sum of 1/len(options) over the single-choice
    questions); for multiple-choice questions, "the correct options are exactly the longest
    ones" no more often than chance either;
(c) every bank question of section NN is asked exactly once by quiz.ask / quiz.review in lesson
    NN (read from the notebook's code cells), and every id a lesson asks for exists.
"""
from __future__ import annotations

import ast
import math

import nbformat
import pytest

from lambdakit.course import bank
from lambdakit.course.sections import SECTIONS, lesson

SECTION_IDS = [section.id for section in SECTIONS]


def _correct_texts(question: bank.Question) -> list[str]:
    if question.type == "single":
        return [question.options[question.answer]]
    if question.type == "multiple":
        return [question.options[key] for key in question.answer]
    return [f"{question.items[k]} {question.choices[v]}" for k, v in question.answer.items()]


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).strip(" .")


@pytest.mark.parametrize("section", SECTION_IDS)
def test_every_question_has_a_hint_that_does_not_give_the_answer_away(section):
    problems = []
    for question in bank.load_section(section):
        hint = _normal(question.hint)
        if not hint:
            problems.append(f"{question.id}: no hint")
            continue
        given = [text for text in _correct_texts(question) if _normal(text) in hint]
        if given:
            problems.append(f"{question.id}: the hint contains the answer {given[0]!r}")
        if hint in _normal(question.explanation):
            problems.append(f"{question.id}: the hint is a copy of (part of) the explanation")
    assert not problems, "\n".join(problems)


def _longest_is_correct(questions: list[bank.Question]) -> tuple[int, float, list[str]]:
    """How many single-choice questions have the correct option strictly longest, and chance."""
    hits, chance = [], 0.0
    for q in questions:
        if q.type != "single":
            continue
        chance += 1 / len(q.options)
        right = len(q.options[q.answer])
        if all(right > len(text) for key, text in q.options.items() if key != q.answer):
            hits.append(q.id)
    return len(hits), chance, hits


def _longest_set_is_correct(questions: list[bank.Question]) -> tuple[int, float, list[str]]:
    """How many multiple-choice questions have exactly the longest options correct, and chance."""
    hits, chance = [], 0.0
    for q in questions:
        if q.type != "multiple":
            continue
        chance += 1 / math.comb(len(q.options), len(q.answer))
        shortest_right = min(len(q.options[key]) for key in q.answer)
        if all(shortest_right > len(text) for key, text in q.options.items() if key not in q.answer):
            hits.append(q.id)
    return len(hits), chance, hits


@pytest.mark.parametrize("section", SECTION_IDS + ["whole bank"])
def test_the_longest_option_is_right_no_more_often_than_chance(section):
    questions = bank.load_all() if section == "whole bank" else bank.load_section(section)
    count, chance, hits = _longest_is_correct(questions)
    assert count <= chance, (f"{section}: the correct option is the strictly longest in {count} "
                             f"single-choice questions, chance is {chance:.2f}: {hits}")
    count, chance, hits = _longest_set_is_correct(questions)
    assert count <= max(chance, 1), (f"{section}: the correct options are exactly the longest in "
                                     f"{count} multiple-choice questions, chance is {chance:.2f}: {hits}")


def test_the_length_rule_counts_what_it_says():
    def single(qid, options, answer):
        return bank.Question(id=qid, section="09", type="single", prompt="p", explanation="e",
                             source="new", answer=answer, options=options)
    questions = [single("long-right", {"a": "a much longer right answer", "b": "short", "c": "tiny"}, "a"),
                 single("tie", {"a": "same", "b": "same"}, "a"),
                 single("short-right", {"a": "ok", "b": "a long wrong answer"}, "a")]
    count, chance, hits = _longest_is_correct(questions)
    assert (count, hits) == (1, ["long-right"]) and chance == pytest.approx(1 / 3 + 1 / 2 + 1 / 2)


def _asked(notebook) -> list[tuple[str, str | None, list[str], int]]:
    """(function, review's section, question ids, cell index) for each quiz.ask / quiz.review."""
    calls = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))  # magics are not Python
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("ask", "review")
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "quiz"):
                literals = [arg.value for arg in node.args
                            if isinstance(arg, ast.Constant) and isinstance(arg.value, str)]
                assert len(literals) == len(node.args), (
                    f"cell {index}: quiz.{node.func.attr} takes question ids as string literals")
                section = literals.pop(0) if node.func.attr == "review" and literals else None
                calls.append((node.func.attr, section, literals, index))
    return calls


@pytest.mark.parametrize("section", SECTION_IDS)
def test_each_lesson_asks_every_question_of_its_section_exactly_once(section):
    path = lesson(section)
    assert path is not None, f"lesson {section} is missing"
    calls = _asked(nbformat.read(path, as_version=4))
    known = {q.id for q in bank.load_all()}
    asked = [qid for _, _, ids, _ in calls for qid in ids]
    assert not [qid for qid in asked if qid not in known], "asked but not in the bank"
    reviews = [(sec, ids) for kind, sec, ids, _ in calls if kind == "review"]
    assert reviews and all(sec == section for sec, _ in reviews), (
        f"lesson {section} should end with quiz.review({section!r}, ...)")
    assert all(2 <= len(ids) <= 5 for _, ids in reviews), "a review asks 2 to 5 questions"
    assert any(kind == "ask" for kind, *_ in calls), "checks belong where the idea is taught"
    ours = [q.id for q in bank.load_section(section)]
    twice = sorted({qid for qid in asked if asked.count(qid) > 1})
    missing = [qid for qid in ours if qid not in asked]
    assert not twice and not missing, f"asked more than once: {twice}; never asked: {missing}"


def test_the_notebook_reader_finds_ask_and_review_calls():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('from lambdakit.course import quiz\nquiz.ask("a", "b")'),
        nbformat.v4.new_markdown_cell('quiz.ask("not code")'),
        nbformat.v4.new_code_cell('%matplotlib inline\nquiz.review("02", "c", "d")')])
    assert _asked(notebook) == [("ask", None, ["a", "b"], 0), ("review", "02", ["c", "d"], 2)]
    with pytest.raises(AssertionError, match="string literals"):
        _asked(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("quiz.ask(*ids)")]))


@pytest.mark.parametrize("section", SECTION_IDS)
def test_checks_are_numbered_in_the_order_the_lesson_asks_them(section):
    """A check's number is its place in the bank file, so the file follows the lesson (6.4 is
    never asked after 6.14)."""
    path = lesson(section)
    asked = [qid for _, _, ids, _ in _asked(nbformat.read(path, as_version=4)) for qid in ids]
    in_bank = [q.id for q in bank.load_section(section)]
    assert asked == in_bank, (f"quizzes/bank/{section}_*.yaml lists its questions in another "
                              f"order than lesson {section} asks them: {asked}")
