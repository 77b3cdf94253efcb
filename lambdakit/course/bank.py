"""The question bank: YAML files in ``quizzes/bank`` (one per section), loaded and checked.

Three question types::

    single    options {id: text}, answer: one id
    multiple  options {id: text}, answer: [ids], select: how many ("Select THREE.")
    matching  items {id: text}, choices {id: text}, answer: {item id: choice id}

Every question has an ``id`` unique across the bank, a ``prompt``, a ``hint``
(shown after a wrong answer: a nudge, not the answer), an ``explanation``
(shown once the question is answered right, after a second wrong try, or on
"Show answer") and a ``source``. :func:`check_answer` is the one place that
grades a response: the widgets and the nbgrader quiz notebooks both call it.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
from functools import lru_cache
from typing import Any

TYPES = ("single", "multiple", "matching")
_NUMBER_WORDS = {2: "TWO", 3: "THREE", 4: "FOUR", 5: "FIVE"}


@dataclasses.dataclass(frozen=True)
class Question:
    """One knowledge check."""

    id: str
    section: str
    type: str
    prompt: str
    explanation: str
    source: str
    answer: Any
    options: dict[str, str] = dataclasses.field(default_factory=dict)
    items: dict[str, str] = dataclasses.field(default_factory=dict)
    choices: dict[str, str] = dataclasses.field(default_factory=dict)
    select: int | None = None
    hint: str = ""


def bank_dir() -> pathlib.Path:
    """Where the bank lives: ``LAMBDAKIT_QUIZ_BANK``, else ``quizzes/bank`` beside the package."""
    override = os.environ.get("LAMBDAKIT_QUIZ_BANK")
    if override:
        return pathlib.Path(override)
    return pathlib.Path(__file__).resolve().parents[2] / "quizzes" / "bank"


def _fail(path: pathlib.Path, qid: str, message: str) -> ValueError:
    return ValueError(f"{path.name}: question {qid!r}: {message}")


def _question(path: pathlib.Path, section: str, raw: dict[str, Any]) -> Question:
    qid = str(raw.get("id") or "?")
    kind = raw.get("type")
    if kind not in TYPES:
        raise _fail(path, qid, f"unknown type {kind!r} (use one of {', '.join(TYPES)})")
    for field in ("id", "prompt", "explanation", "source", "answer"):
        if not raw.get(field):
            raise _fail(path, qid, f"missing {field}")
    options = {str(k): str(v) for k, v in (raw.get("options") or {}).items()}
    items = {str(k): str(v) for k, v in (raw.get("items") or {}).items()}
    choices = {str(k): str(v) for k, v in (raw.get("choices") or {}).items()}
    answer = raw["answer"]
    select = raw.get("select")
    if kind == "single":
        answer = str(answer)
        if answer not in options:
            raise _fail(path, qid, f"answer {answer!r} is not among the options")
    elif kind == "multiple":
        answer = sorted(str(a) for a in answer)
        if not set(answer) <= set(options):
            raise _fail(path, qid, f"answer {answer} is not among the options")
        if select != len(answer):
            raise _fail(path, qid, f"select is {select} but the answer has {len(answer)} options")
        word = _NUMBER_WORDS.get(len(answer), str(len(answer)))
        if f"Select {word}" not in raw["prompt"]:
            raise _fail(path, qid, f"the prompt must say 'Select {word}.'")
    else:
        answer = {str(k): str(v) for k, v in dict(answer).items()}
        if set(answer) != set(items):
            raise _fail(path, qid, "the answer must match every item exactly once")
        if not set(answer.values()) <= set(choices):
            raise _fail(path, qid, "the answer uses a choice that does not exist")
    return Question(id=qid, section=section, type=kind, prompt=str(raw["prompt"]).strip(),
                    explanation=str(raw["explanation"]).strip(), source=str(raw["source"]),
                    answer=answer, options=options, items=items, choices=choices, select=select,
                    hint=str(raw.get("hint") or "").strip())


def load_file(path: pathlib.Path) -> list[Question]:
    """The questions in one bank file, validated."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    section = str(data.get("section") or "")
    if not section:
        raise ValueError(f"{path.name}: missing 'section'")
    return [_question(path, section, raw) for raw in data.get("questions") or []]


@lru_cache(maxsize=4)
def _load(directory: str) -> tuple[Question, ...]:
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for path in sorted(pathlib.Path(directory).glob("*.yaml")):
        for question in load_file(path):
            if question.id in seen:
                raise _fail(path, question.id, f"duplicate id (also in {seen[question.id]})")
            seen[question.id] = path.name
            questions.append(question)
    return tuple(questions)


def load_all() -> list[Question]:
    """Every question in the bank, in file order."""
    return list(_load(str(bank_dir())))


def load_section(section: str) -> list[Question]:
    """The questions of one section ("01", "02", ...)."""
    return [q for q in load_all() if q.section == section]


def get(question_id: str) -> Question:
    """One question by id."""
    for question in load_all():
        if question.id == question_id:
            return question
    raise KeyError(f"no question {question_id!r} in the bank")


def number(question: Question | str) -> str:
    """The question's number, "2.4" for the fourth question in section 02's bank file.

    >>> number("02-async-payload")   # doctest: +SKIP
    '2.3'
    """
    if isinstance(question, str):
        question = get(question)
    ids = [q.id for q in load_section(question.section)]
    return f"{int(question.section)}.{ids.index(question.id) + 1}"


def check_answer(question: Question | str, response: Any) -> bool:
    """True when ``response`` answers ``question`` (or its id) correctly.

    single: an option id; multiple: a collection of option ids; matching: a
    mapping of item id to choice id.

    >>> check_answer("02-async-payload", "c")
    True
    """
    if isinstance(question, str):
        question = get(question)
    if question.type == "single":
        return isinstance(response, str) and response == question.answer
    if question.type == "multiple":
        return (isinstance(response, (list, tuple, set, frozenset))
                and sorted(set(map(str, response))) == question.answer
                and len(set(response)) == len(response))
    return isinstance(response, dict) and {str(k): str(v) for k, v in response.items()} == question.answer
