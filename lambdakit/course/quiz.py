"""Knowledge checks as widgets: choose, check, get a hint or the explanation, retry.

Lessons ask a few questions right where an idea is taught, and end with a review::

    >>> from lambdakit.course import quiz                            # doctest: +SKIP
    >>> quiz.ask("02-async-payload", "02-cold-start")                 # doctest: +SKIP
    >>> quiz.review("02", "02-lifecycle-phases", "02-invocation-models")  # doctest: +SKIP
    >>> quiz.show("02")            # every question of section 02 (practice)  # doctest: +SKIP

Each question is numbered by its place in its section's bank file ("Check 2.4")
and the section's running score is shown. Grading is
:func:`lambdakit.course.bank.check_answer`; every Check is recorded in the
progress store. Feedback follows :class:`Attempt`: a wrong answer marks what
was wrong and shows the question's hint; the explanation comes with a right
answer, after a second wrong try, or on "Show answer".
"""
from __future__ import annotations

import html
import weakref
from typing import Any, Callable

from . import bank
from .progress import ProgressStore
from .sections import title

_WIDE = {"width": "auto"}
# score lines on screen, per section, so every one updates after any check
_SCORES: dict[str, "weakref.WeakSet[Any]"] = {}


class Attempt:
    """The feedback rules for one question, independent of how it is drawn.

    >>> attempt = Attempt(bank.get("02-async-payload"))   # doctest: +SKIP
    >>> attempt.check("b")["explanation"]                 # first wrong try: a hint only
    ''
    """

    def __init__(self, question: bank.Question, store: ProgressStore | None = None):
        self.question, self.store = question, store
        self.wrong_tries = 0
        self.solved = False
        self.revealed = False

    def wrong_parts(self, response: Any) -> list[str]:
        """What was wrong: the chosen wrong options, or the matching rows matched wrongly."""
        q = self.question
        if q.type == "single":
            return [] if response == q.answer else [str(response)]
        if q.type == "multiple":
            return sorted(set(map(str, response)) - set(q.answer))
        return sorted(k for k, v in response.items() if q.answer.get(k) != v)

    def check(self, response: Any) -> dict[str, Any]:
        """Grade ``response``, record it, and say what to show (a dict the widget draws)."""
        q = self.question
        if not complete(q, response):
            return {"state": "incomplete", "message": "Choose your answer first.", "marks": [],
                    "hint": "", "explanation": ""}
        correct = bank.check_answer(q, response)
        (self.store or ProgressStore()).record(q.section, q.id, correct)
        if correct:
            self.solved = True
            return {"state": "correct", "message": "Correct.", "marks": [], "hint": "",
                    "explanation": q.explanation}
        self.wrong_tries += 1
        marks = self.wrong_parts(response)
        if q.type == "multiple" and not marks:
            message = f"Not quite: all you chose is right, but it takes {q.select}."
        elif q.type == "matching":
            message = f"Not quite: {len(marks)} of {len(q.items)} rows are wrong (marked)."
        else:
            message = "Not quite: your choice is marked."
        if self.wrong_tries >= 2:
            self.revealed = True
            return {"state": "wrong", "message": message, "marks": marks, "hint": "",
                    "explanation": q.explanation, "answer": answer_text(q)}
        return {"state": "wrong", "message": message + " Try again.", "marks": marks,
                "hint": q.hint, "explanation": ""}

    def show_answer(self) -> dict[str, Any]:
        """The right answer and the explanation, on request (not recorded as a try)."""
        self.revealed = True
        return {"state": "revealed", "message": "The answer:", "marks": [], "hint": "",
                "explanation": self.question.explanation, "answer": answer_text(self.question)}


def complete(question: bank.Question, response: Any) -> bool:
    """True when the learner has answered every part of ``question``."""
    if question.type == "single":
        return isinstance(response, str) and bool(response)
    if question.type == "multiple":
        return bool(response)
    return isinstance(response, dict) and set(response) == set(question.items) and all(
        value for value in response.values())


def answer_text(question: bank.Question) -> str:
    """The right answer in words."""
    if question.type == "single":
        return question.options[question.answer]
    if question.type == "multiple":
        return "; ".join(question.options[key] for key in question.answer)
    return "; ".join(f"{question.items[k]} → {question.choices[v]}" for k, v in question.answer.items())


def score_text(section: str, store: ProgressStore | None = None) -> str:
    """"Section 02 score: 3 of 14 checks answered right" for the section's bank questions."""
    ids = {q.id for q in bank.load_section(section)}
    done = len((store or ProgressStore()).completed(section) & ids)
    return f"Section {section} score: {done} of {len(ids)} checks answered right"


def _refresh_scores(section: str, store: ProgressStore | None) -> None:
    text = score_text(section, store)
    for widget in list(_SCORES.get(section, ())):
        widget.value = f"<p class='lk-quiz-score-text'>{html.escape(text)}</p>"


def score_widget(section: str, store: ProgressStore | None = None) -> Any:
    """A line with the section's running score, updated after every check in this kernel."""
    import ipywidgets as widgets

    line = widgets.HTML(f"<p class='lk-quiz-score-text'>{html.escape(score_text(section, store))}</p>")
    line.add_class("lk-quiz-score")
    _SCORES.setdefault(section, weakref.WeakSet()).add(line)
    return line


def _selector(question: bank.Question) -> tuple[Any, Callable[[], Any]]:
    """The input widget for a question and a function reading the learner's response."""
    import ipywidgets as widgets

    if question.type == "single":
        radio = widgets.RadioButtons(options=[(text, key) for key, text in question.options.items()],
                                     value=None, layout=_WIDE)
        return radio, lambda: radio.value
    if question.type == "multiple":
        boxes = {key: widgets.Checkbox(value=False, description=text, indent=False, layout=_WIDE)
                 for key, text in question.options.items()}
        return widgets.VBox(list(boxes.values())), lambda: [k for k, box in boxes.items() if box.value]
    menus = {key: widgets.Dropdown(options=[("choose...", None)] +
                                   [(text, choice) for choice, text in question.choices.items()],
                                   value=None)
             for key in question.items}
    rows = [widgets.HBox([widgets.HTML(html.escape(question.items[key]),
                                       layout={"width": "60%"}), menu])
            for key, menu in menus.items()]
    return widgets.VBox(rows), lambda: {k: m.value for k, m in menus.items()}


def _feedback_html(result: dict[str, Any], question: bank.Question) -> str:
    parts = []
    icon = {"correct": "✔ ", "wrong": "✘ "}.get(result["state"], "")
    parts.append(f"<p><b>{icon}{html.escape(result['message'])}</b></p>")
    if result.get("marks") and question.type != "matching":
        chosen = [question.options.get(k, k) for k in result["marks"]]
        parts.append("<p>Not right: " + "; ".join(html.escape(c) for c in chosen) + "</p>")
    if result.get("hint"):
        parts.append(f"<p>Hint: {html.escape(result['hint'])}</p>")
    if result.get("answer"):
        parts.append(f"<p>Answer: {html.escape(result['answer'])}</p>")
    if result.get("explanation"):
        parts.append(f"<p>{html.escape(result['explanation'])}</p>")
    return "".join(parts)


def question_widget(question: bank.Question, store: ProgressStore | None = None) -> Any:
    """A widget for one question; each Check is graded and recorded.

    The returned box exposes ``selector``, ``check_button``, ``answer_button``,
    ``feedback`` and ``response()`` so the widget can be driven from Python (tests do).
    """
    import ipywidgets as widgets

    attempt = Attempt(question, store)
    selector, response = _selector(question)
    prompt = widgets.HTML(f"<p><b>Check {bank.number(question)}.</b> "
                          f"<b>{html.escape(question.prompt)}</b></p>")
    check = widgets.Button(description="Check", button_style="primary", icon="check")
    check.add_class("lk-quiz-check")
    reveal = widgets.Button(description="Show answer")
    reveal.add_class("lk-quiz-show-answer")
    feedback = widgets.HTML("")
    feedback.add_class("lk-quiz-feedback")
    box = widgets.VBox([prompt, selector, widgets.HBox([check, reveal]), feedback],
                       layout={"border": "1px solid #ddd", "padding": "8px", "margin": "8px 0"})
    box.add_class("lk-quiz-question")

    def show(result: dict[str, Any]) -> None:
        feedback.value = _feedback_html(result, question)
        feedback.remove_class("lk-quiz-correct")
        feedback.remove_class("lk-quiz-wrong")
        if result["state"] in ("correct", "wrong"):
            feedback.add_class(f"lk-quiz-{result['state']}")

    def on_check(_button: Any = None) -> None:
        result = attempt.check(response())
        show(result)
        if result["state"] != "incomplete":
            _refresh_scores(question.section, store)

    check.on_click(on_check)
    reveal.on_click(lambda _b: show(attempt.show_answer()))
    box.selector, box.check_button, box.answer_button = selector, check, reveal
    box.feedback, box.response, box.attempt = feedback, response, attempt
    return box


def _questions(question_ids: tuple[str, ...]) -> list[bank.Question]:
    if not question_ids:
        raise ValueError("name at least one question id, e.g. quiz.ask(\"02-async-payload\")")
    return [bank.get(qid) for qid in question_ids]


def ask_widget(*question_ids: str, store: ProgressStore | None = None) -> Any:
    """The box :func:`ask` displays."""
    import ipywidgets as widgets

    questions = _questions(question_ids)
    sections = list(dict.fromkeys(q.section for q in questions))
    children = [question_widget(q, store) for q in questions]
    children += [score_widget(section, store) for section in sections]
    box = widgets.VBox(children)
    box.add_class("lk-quiz-ask")
    return box


def ask(*question_ids: str, store: ProgressStore | None = None) -> None:
    """Ask these bank questions here, numbered, with the section's running score.

    >>> quiz.ask("02-async-payload", "02-cold-start")   # doctest: +SKIP
    """
    from IPython.display import display

    display(ask_widget(*question_ids, store=store))


def review_widget(section: str, *question_ids: str, store: ProgressStore | None = None) -> Any:
    """The box :func:`review` displays."""
    import ipywidgets as widgets

    questions = _questions(question_ids)
    foreign = [q.id for q in questions if q.section != section]
    if foreign:
        raise ValueError(f"review of section {section} got questions of another section: {foreign}")
    header = widgets.HTML(f"<h3>Review: {html.escape(title(section))}</h3>"
                          f"<p>{len(questions)} questions to end the lesson.</p>")
    box = widgets.VBox([header] + [question_widget(q, store) for q in questions]
                       + [score_widget(section, store)])
    box.add_class("lk-quiz-review")
    return box


def review(section: str, *question_ids: str, store: ProgressStore | None = None) -> None:
    """End a lesson: a short review of ``section`` and its score.

    >>> quiz.review("02", "02-lifecycle-phases", "02-invocation-models")   # doctest: +SKIP
    """
    from IPython.display import display

    display(review_widget(section, *question_ids, store=store))


def quiz_widget(section: str, store: ProgressStore | None = None) -> Any:
    """A box with every question of ``section``."""
    import ipywidgets as widgets

    questions = bank.load_section(section)
    note = (f"{len(questions)} questions. Your answers are saved to your progress." if questions
            else "Questions for this section are coming soon.")
    header = widgets.HTML(f"<h3>Knowledge check: {html.escape(title(section))}</h3><p>{note}</p>")
    return widgets.VBox([header] + [question_widget(q, store) for q in questions])


def show(section: str, store: ProgressStore | None = None) -> None:
    """Display the knowledge checks of ``section`` ("01", "02", ...) in the notebook."""
    from IPython.display import display

    display(quiz_widget(section, store))
