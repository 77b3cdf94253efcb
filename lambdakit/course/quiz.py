"""Knowledge checks as widgets: choose, check, get a hint or the explanation, retry.

Lessons ask a few questions right where an idea is taught, and end with a review::

    >>> from lambdakit.course import quiz                            # doctest: +SKIP
    >>> quiz.ask("02-async-payload", "02-cold-start")                 # doctest: +SKIP
    >>> quiz.review("02", "02-lifecycle-phases", "02-invocation-models")  # doctest: +SKIP
    >>> quiz.practice()            # the practice notebook: pick a section, see a summary  # doctest: +SKIP
    >>> quiz.show("02")            # every question of section 02                          # doctest: +SKIP

Each question is numbered by its place in its section's bank file ("Check 2.4")
and the section's running score is shown. Grading is
:func:`lambdakit.course.bank.check_answer`; every Check is recorded in the
progress store. Feedback follows :class:`Attempt`: a wrong answer marks what
was wrong and shows the question's hint; the explanation comes with a right
answer, after a second wrong try, or on "Show answer". The widget's front end
is ``quiz_widget.js`` / ``quiz_widget.css`` (anywidget); Python keeps grading
and recording, so tests drive a widget by setting ``value`` and calling ``check()``.
"""
from __future__ import annotations

import html
import pathlib
import weakref
from typing import Any

from . import bank
from .progress import ProgressStore
from .sections import SECTIONS, title

# scores and summaries on screen (widgets with a ``_lk_refresh(section)``), so every one
# updates after any check in this kernel
_LIVE: "weakref.WeakSet[Any]" = weakref.WeakSet()


class Attempt:
    """The feedback rules for one question, independent of how it is drawn.

    >>> attempt = Attempt(bank.get("02-async-payload"))   # doctest: +SKIP
    >>> attempt.check("b")["explanation"]   # first wrong try: a hint only  # doctest: +SKIP
    ''
    """

    def __init__(self, question: bank.Question, store: ProgressStore | None = None,
                 record: bool = True):
        self.question, self.store, self.record = question, store, record
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
            message = {"single": "Choose your answer first.",
                       "multiple": f"Choose {q.select} answers first.",
                       "matching": "Match every row first."}[q.type]
            return {"state": "incomplete", "message": message, "marks": [],
                    "hint": "", "explanation": ""}
        correct = bank.check_answer(q, response)
        if self.record:
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
            message = (f"Not quite: {len(marks)} of {len(q.items)} "
                       f"{'row is' if len(marks) == 1 else 'rows are'} wrong (marked).")
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
        return {"state": "revealed", "message": "Here is the right answer, and why.", "marks": [], "hint": "",
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


def _refresh_scores(section: str) -> None:
    for widget in list(_LIVE):
        widget._lk_refresh(section)


def score_widget(section: str, store: ProgressStore | None = None) -> Any:
    """A line with the section's running score, updated after every check in this kernel."""
    import ipywidgets as widgets

    line = widgets.HTML()
    line.add_class("lk-quiz-score")

    def refresh(changed: str | None = None) -> None:
        if changed in (None, section):
            line.value = f"<p class='lk-quiz-score-text'>{html.escape(score_text(section, store))}</p>"

    refresh()
    line._lk_refresh = refresh
    _LIVE.add(line)
    return line


def summary_rows(store: ProgressStore | None = None) -> list[tuple[str, str, int, int]]:
    """(section, title, answered right, questions) for every section with questions."""
    store = store or ProgressStore()
    rows = []
    for section in SECTIONS:
        ids = {q.id for q in bank.load_section(section.id)}
        if ids:
            rows.append((section.id, section.title, len(store.completed(section.id) & ids), len(ids)))
    return rows


def summary_html(store: ProgressStore | None = None) -> str:
    """The practice summary: a table of each section's score and the overall score."""
    rows = summary_rows(store)
    right, total = sum(r[2] for r in rows), sum(r[3] for r in rows)
    body = "".join(f"<tr><td>{sid} {html.escape(name)}</td><td>{done} of {count}</td></tr>"
                   for sid, name, done, count in rows)
    return ("<table><caption>Your score: answered right at least once</caption>"
            "<thead><tr><th scope='col'>Section</th><th scope='col'>Score</th></tr></thead>"
            f"<tbody>{body}</tbody><tfoot><tr><th scope='row'>Overall</th>"
            f"<td><b>{right} of {total}</b></td></tr></tfoot></table>")


_HERE = pathlib.Path(__file__).resolve().parent


def _widget_class() -> type:
    """The widget class, built on first use so importing this module needs no anywidget."""
    global _QuizWidget
    if _QuizWidget is None:
        import anywidget
        import traitlets

        class QuizWidget(anywidget.AnyWidget):
            """One knowledge check: the front end (quiz_widget.js) draws ``spec`` and reports
            ``value`` (the learner's choice) and presses of Check (``checks``) and Show
            answer (``reveals``); Python grades, records, and sends back ``result``."""

            _esm = _HERE / "quiz_widget.js"
            _css = _HERE / "quiz_widget.css"
            spec = traitlets.Dict().tag(sync=True)
            value = traitlets.Any(None, allow_none=True).tag(sync=True)
            checks = traitlets.Int(0).tag(sync=True)
            reveals = traitlets.Int(0).tag(sync=True)
            result = traitlets.Dict().tag(sync=True)

            def check(self) -> dict[str, Any]:
                """Press Check (as the learner does); returns the result shown."""
                self.checks += 1
                return self.result

            def show_answer(self) -> dict[str, Any]:
                """Press Show answer; returns the result shown."""
                self.reveals += 1
                return self.result

        _QuizWidget = QuizWidget
    return _QuizWidget


_QuizWidget: type | None = None
_Picker: type | None = None


def picker(label: str, options: list[tuple[str, str]], value: str | None = None) -> Any:
    """A labelled menu whose keys stay with it (arrows change the choice, never the cell).

    ``options`` are (value, text) pairs; read or set ``.value``; ``.observe`` it like any widget.

    >>> picker("Section:", [("01", "01 Introduction"), ("02", "02 How Lambda runs")])  # doctest: +SKIP
    """
    global _Picker
    if _Picker is None:
        import anywidget
        import traitlets

        class Picker(anywidget.AnyWidget):
            _esm = _HERE / "quiz_picker.js"
            _css = _HERE / "quiz_widget.css"
            label = traitlets.Unicode("").tag(sync=True)
            options = traitlets.List().tag(sync=True)
            value = traitlets.Unicode("").tag(sync=True)

            @traitlets.validate("value")
            def _known(self, proposal: Any) -> str:
                if proposal["value"] not in [value for value, _ in self.options]:
                    raise traitlets.TraitError(f"{proposal['value']!r} is not one of the choices")
                return proposal["value"]

        _Picker = Picker
    if not options:
        raise ValueError("a menu needs at least one option")
    pairs = [[str(v), str(t)] for v, t in options]
    return _Picker(label=label, options=pairs, value=str(value if value is not None else pairs[0][0]))


def spec(question: bank.Question, number: str | None = None) -> dict[str, Any]:
    """What the front end draws for ``question`` (options as [key, text] pairs, in bank order)."""
    return {"id": question.id, "type": question.type, "prompt": question.prompt,
            "number": bank.number(question) if number is None else number,
            "select": question.select,
            "options": [[k, v] for k, v in question.options.items()],
            "items": [[k, v] for k, v in question.items.items()],
            "choices": [[k, v] for k, v in question.choices.items()]}


def _shown(result: dict[str, Any], question: bank.Question, explanation_html: str | None) -> dict[str, Any]:
    """The result as the front end draws it: explanation as (escaped) HTML, right keys to mark."""
    shown = {k: v for k, v in result.items() if k != "explanation"}
    if result.get("explanation"):
        shown["explanation_html"] = explanation_html or html.escape(result["explanation"])
    if result.get("explanation") or result["state"] == "correct":
        answer = question.answer
        shown["right_keys"] = ([answer] if question.type == "single" else
                               list(answer) if question.type == "multiple" else
                               sorted(k for k in answer if result["state"] == "correct"
                                      or k not in result.get("marks", [])))
    return shown


def question_widget(question: bank.Question, store: ProgressStore | None = None, *,
                    number: str | None = None, record: bool = True,
                    explanation_html: str | None = None) -> Any:
    """A widget for one question; each Check is graded (bank.check_answer) and recorded.

    Drive it from Python as the learner would::

        >>> w = question_widget(bank.get("02-async-payload"))   # doctest: +SKIP
        >>> w.value = "b"; w.check()["state"]                  # doctest: +SKIP
        'wrong'
    """
    widget = _widget_class()(spec=spec(question, number))
    widget.attempt = Attempt(question, store, record=record)

    def on_check(_change: Any) -> None:
        result = widget.attempt.check(widget.value)
        widget.result = _shown(result, question, explanation_html)
        if result["state"] != "incomplete" and record:
            _refresh_scores(question.section)

    def on_reveal(_change: Any) -> None:
        widget.result = _shown(widget.attempt.show_answer(), question, explanation_html)

    widget.observe(on_check, names="checks")
    widget.observe(on_reveal, names="reveals")
    return widget


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
    score = [score_widget(section, store)] if questions else []
    return widgets.VBox([header] + [question_widget(q, store) for q in questions] + score)


def show(section: str, store: ProgressStore | None = None) -> None:
    """Display the knowledge checks of ``section`` ("01", "02", ...) in the notebook."""
    from IPython.display import display

    display(quiz_widget(section, store))


def practice_widget(section: str = "01", store: ProgressStore | None = None) -> Any:
    """The box :func:`practice` displays: a section picker, a live summary, the questions."""
    import ipywidgets as widgets

    choices = [("All sections", "all")] + [(f"{sid} {name}", sid) for sid, name, _, _ in summary_rows(store)]
    if section not in dict((value, label) for label, value in choices):
        raise ValueError(f"no questions for section {section!r}; choose one of "
                         f"{[value for _, value in choices]}")
    pick = picker("Section:", [(value, label) for label, value in choices], section)
    summary = widgets.HTML()
    summary.add_class("lk-quiz-summary")
    summary._lk_refresh = lambda _section=None: setattr(summary, "value", summary_html(store))
    summary._lk_refresh()
    _LIVE.add(summary)
    questions = widgets.VBox()

    def show(_change: Any = None) -> None:
        chosen = [sid for _, sid in choices[1:]] if pick.value == "all" else [pick.value]
        questions.children = [quiz_widget(sid, store) for sid in chosen]

    pick.observe(show, names="value")
    show()
    box = widgets.VBox([pick, summary, questions])
    box.add_class("lk-quiz-practice")
    box.pick, box.summary, box.questions = pick, summary, questions
    return box


def practice(section: str = "01", store: ProgressStore | None = None) -> None:
    """Practise: pick a section (or all of them), answer its checks, watch the summary move.

    >>> quiz.practice()          # section 01 first; choose another in the menu   # doctest: +SKIP
    >>> quiz.practice("all")     # every question of the course                     # doctest: +SKIP
    """
    from IPython.display import display

    display(practice_widget(section, store))
