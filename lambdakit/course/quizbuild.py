"""The question bank as nbgrader-gradable quiz notebooks, for classrooms.

>>> from lambdakit.course import quizbuild                # doctest: +SKIP
>>> quizbuild.build("labs")                               # one notebook per section

Each question becomes three cells: the question (read-only), an answer cell
where the student writes a Python value (``q3 = "b"``, ``q4 = {"a", "c", "e"}``,
``q5 = {"x": "i", "y": "v"}``), and a hidden test worth one point that calls
:func:`lambdakit.course.bank.check_answer`, the same rule the widgets use. The
notebooks are nbgrader *source* notebooks: ``nbgrader generate_assignment``
removes the solutions and the hidden tests. They are generated, never edited:
the bank in ``quizzes/bank`` is the only copy of a question.
"""
from __future__ import annotations

import json
import pathlib
import re
from typing import Any

from . import bank
from .sections import SECTIONS, title

NBGRADER_SCHEMA = 3


def assignment_name(section: str) -> str:
    """The nbgrader assignment (and notebook) name of a section's quiz.

    >>> assignment_name("02")
    'quiz02_how_lambda_runs_your_code'
    """
    slug = re.sub(r"[^a-z0-9]+", "_", title(section).lower()).strip("_")
    return f"quiz{section}_{slug}"


def _literal(question: bank.Question) -> str:
    """The correct answer written as Python source."""
    if question.type == "single":
        return json.dumps(question.answer)
    if question.type == "multiple":
        return "{" + ", ".join(json.dumps(a) for a in question.answer) + "}"
    return "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}"
                           for k, v in question.answer.items()) + "}"


def _table_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _question_markdown(number: int, question: bank.Question) -> str:
    lines = [f"### Question {number} ({question.type})", "", question.prompt, ""]
    if question.type in ("single", "multiple"):
        lines += [f"- `{key}`: {text}" for key, text in question.options.items()]
        shape = (f'one option id as a string: `q{number} = "<option>"`'
                 if question.type == "single" else
                 f"a set of {question.select} option ids: `q{number} = {{"
                 + ", ".join(['"<option>"'] * (question.select or 1)) + "}`")
    else:
        lines += ["| item | text |", "|---|---|"]
        lines += [f"| `{key}` | {_table_cell(text)} |" for key, text in question.items.items()]
        lines += ["", "| choice | text |", "|---|---|"]
        lines += [f"| `{key}` | {_table_cell(text)} |" for key, text in question.choices.items()]
        shape = (f"a dict from every item id to a choice id: "
                 f'`q{number} = {{"<item>": "<choice>", ...}}`')
    lines += ["", f"Answer in the cell below with {shape}."]
    return "\n".join(lines)


def _cell(kind: str, source: str, grade_id: str, *, solution: bool = False,
          grade: bool = False, locked: bool = False, points: int = 0) -> Any:
    import nbformat

    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_code_cell
    cell = make(source)
    meta: dict[str, Any] = {"grade": grade, "grade_id": grade_id, "locked": locked,
                            "schema_version": NBGRADER_SCHEMA, "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    cell.metadata["nbgrader"] = meta
    return cell


def quiz_notebook(section: str) -> Any:
    """The nbgrader source notebook for ``section``'s questions (an ``nbformat`` notebook)."""
    import nbformat

    questions = bank.load_section(section)
    if not questions:
        raise ValueError(f"section {section!r} has no questions in the bank ({bank.bank_dir()})")
    cells = [_cell("markdown", "\n".join([
        f"# Quiz {section}: {title(section)}", "",
        f"{len(questions)} questions, one point each. Write each answer as a Python value in the "
        "cell under the question, replacing the placeholder, then run the cell. Option ids are "
        "the short letters in backticks. The grader checks your answers with hidden tests; "
        "run the whole notebook once before you submit (Kernel > Restart Kernel and Run All Cells)."]),
        "intro", locked=True)]
    for number, question in enumerate(questions, start=1):
        qid = question.id
        cells.append(_cell("markdown", _question_markdown(number, question), f"{qid}-text",
                           locked=True))
        cells.append(_cell("code", f"### BEGIN SOLUTION\nq{number} = {_literal(question)}\n"
                                   "### END SOLUTION", f"{qid}-answer", solution=True))
        explanation = json.dumps(f"Not correct. {question.explanation}")
        cells.append(_cell("code", "\n".join([
            f"# Question {number} is graded by a hidden test.",
            "### BEGIN HIDDEN TESTS",
            "from lambdakit.course.bank import check_answer",
            f"assert check_answer({json.dumps(qid)}, q{number}), {explanation}",
            "### END HIDDEN TESTS"]), f"{qid}-test", grade=True, locked=True, points=1))
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata.update({
        "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                       "language": "python"},
        "language_info": {"name": "python"},
        "lambdakit": {"generated_from": f"quizzes/bank (section {section})"}})
    return notebook


def build(out_dir: str | pathlib.Path, sections: list[str] | None = None) -> list[pathlib.Path]:
    """Write one quiz notebook per section (default: every section with questions) under
    ``out_dir/<assignment>/<assignment>.ipynb``; return the paths written.

    ``out_dir`` is normally nbgrader's source folder (``labs`` in this repository),
    so ``nbgrader generate_assignment <assignment>`` releases a quiz directly.
    """
    import nbformat

    available = {q.section for q in bank.load_all()}
    if sections is None:
        sections = [s.id for s in SECTIONS if s.id in available]
    unknown = [s for s in sections if s not in available]
    if unknown:
        raise ValueError(f"no questions for section(s) {', '.join(unknown)}; the bank has "
                         f"{', '.join(sorted(available))}")
    written = []
    for section in sections:
        name = assignment_name(section)
        path = pathlib.Path(out_dir) / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(quiz_notebook(section), path)
        written.append(path)
    return written
