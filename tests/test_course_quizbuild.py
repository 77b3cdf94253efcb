"""The question bank built into nbgrader quiz notebooks (the grading round trip is in
test_nbgrader_quizzes.py)."""
from __future__ import annotations

import textwrap

import nbformat
import pytest

from lambdakit import cli
from lambdakit.course import bank, quizbuild


def _cells(notebook, suffix):
    return [c for c in notebook.cells if c.metadata["nbgrader"]["grade_id"].endswith(suffix)]


def test_assignment_names_follow_the_sections():
    assert quizbuild.assignment_name("01") == "quiz01_introduction_to_serverless"
    assert quizbuild.assignment_name("02") == "quiz02_how_lambda_runs_your_code"


#: every section the bank has questions for (a new bank file is covered as soon as it exists)
BANK_SECTIONS = sorted({question.section for question in bank.load_all()})


def test_the_written_sections_are_in_the_bank():
    assert {"01", "02", "03", "05", "06", "07"} <= set(BANK_SECTIONS)


@pytest.mark.parametrize("section", BANK_SECTIONS)
def test_every_question_becomes_a_question_an_answer_and_a_one_point_hidden_test(section):
    notebook = quizbuild.quiz_notebook(section)
    questions = bank.load_section(section)
    answers, tests = _cells(notebook, "-answer"), _cells(notebook, "-test")
    assert [c.metadata["nbgrader"]["grade_id"] for c in tests] == [f"{q.id}-test" for q in questions]
    assert len(answers) == len(questions)
    for number, (question, answer, test) in enumerate(zip(questions, answers, tests), start=1):
        assert answer.metadata["nbgrader"]["solution"] and not answer.metadata["nbgrader"]["locked"]
        assert test.metadata["nbgrader"] == {
            "grade": True, "grade_id": f"{question.id}-test", "locked": True, "points": 1,
            "schema_version": 3, "solution": False, "task": False}
        hidden = test.source.split("### BEGIN HIDDEN TESTS")[1]
        assert f"check_answer({question.id!r}".replace("'", '"') in hidden
        # the solution written into the notebook is the bank's answer, by the bank's own rule
        namespace: dict = {}
        exec(answer.source, namespace)
        assert bank.check_answer(question, namespace[f"q{number}"])
        # and the hidden test fails a wrong answer, with the explanation as the message
        with pytest.raises(AssertionError, match="Not correct"):
            exec(hidden.replace("### END HIDDEN TESTS", ""), {f"q{number}": "not an answer"})
    texts = " ".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert all(q.prompt in texts for q in questions)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    nbformat.validate(notebook)


def test_the_markdown_never_gives_the_answer_away():
    for question in bank.load_all():
        notebook = quizbuild.quiz_notebook(question.section)
        number = [q.id for q in bank.load_section(question.section)].index(question.id) + 1
        text = next(c.source for c in notebook.cells
                    if c.metadata["nbgrader"]["grade_id"] == f"{question.id}-text")
        assert f"q{number} = " in text and question.explanation not in text


def test_cli_writes_one_notebook_per_section(tmp_path, capsys):
    assert cli.main(["build-quizzes", "--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.ipynb"))
    assert written == [f"{quizbuild.assignment_name(s)}/{quizbuild.assignment_name(s)}.ipynb"
                       for s in BANK_SECTIONS]
    assert "nbgrader generate_assignment quiz01_introduction_to_serverless" in capsys.readouterr().out
    # rebuilding overwrites, so the notebooks always match the bank
    assert cli.main(["build-quizzes", "--out", str(tmp_path), "--section", "02"]) == 0


def test_cli_refuses_a_section_without_questions(tmp_path, capsys, monkeypatch):
    # a bank of its own that really has no questions for section 02
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    (bank_dir / "01_only.yaml").write_text(textwrap.dedent("""
        section: "01"
        questions:
          - id: only-q1
            type: single
            source: new
            prompt: "Pick one."
            options: {a: "A", b: "B"}
            answer: a
            explanation: "Because."
        """))
    monkeypatch.setenv("LAMBDAKIT_QUIZ_BANK", str(bank_dir))
    out = tmp_path / "out"
    out.mkdir()
    assert cli.main(["build-quizzes", "--out", str(out), "--section", "02"]) == 2
    assert "no questions for section(s) 02; the bank has 01" in capsys.readouterr().err
    assert not list(out.iterdir())
