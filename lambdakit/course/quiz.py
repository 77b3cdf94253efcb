"""Knowledge checks as widgets: choose, check, see right or wrong with the explanation, retry.

>>> from lambdakit.course import quiz      # doctest: +SKIP
>>> quiz.show("02")                        # every question of section 02

Grading is :func:`lambdakit.course.bank.check_answer`; every check is recorded
in the progress store. The widgets carry CSS classes (``lk-quiz-question``,
``lk-quiz-check``, ``lk-quiz-feedback``, ``lk-quiz-correct``/``lk-quiz-wrong``)
that the browser test uses.
"""
from __future__ import annotations

import html
from typing import Any, Callable

from . import bank
from .progress import ProgressStore
from .sections import title

_WIDE = {"width": "auto"}


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


def _complete(question: bank.Question, response: Any) -> bool:
    if question.type == "single":
        return response is not None
    if question.type == "multiple":
        return bool(response)
    return all(value is not None for value in response.values())


def question_widget(question: bank.Question, store: ProgressStore | None = None) -> Any:
    """A widget for one question; each Check is graded and recorded.

    The returned box exposes ``selector``, ``check_button``, ``feedback`` and
    ``response()`` so the widget can be driven from Python (tests do).
    """
    import ipywidgets as widgets

    selector, response = _selector(question)
    prompt = widgets.HTML(f"<p><b>{html.escape(question.prompt)}</b></p>")
    check = widgets.Button(description="Check", button_style="primary", icon="check")
    check.add_class("lk-quiz-check")
    feedback = widgets.HTML("")
    feedback.add_class("lk-quiz-feedback")
    box = widgets.VBox([prompt, selector, check, feedback],
                       layout={"border": "1px solid #ddd", "padding": "8px", "margin": "8px 0"})
    box.add_class("lk-quiz-question")

    def on_check(_button: Any = None) -> None:
        answer = response()
        if not _complete(question, answer):
            feedback.value = "<p>Choose your answer first.</p>"
            return
        correct = bank.check_answer(question, answer)
        (store or ProgressStore()).record(question.section, question.id, correct)
        verdict = ("<b style='color:#1a7f37'>✔ Correct.</b>" if correct else
                   "<b style='color:#b42318'>✘ Not quite.</b> Read why, then try again.")
        feedback.value = f"<p>{verdict}</p><p>{html.escape(question.explanation)}</p>"
        feedback.remove_class("lk-quiz-correct")
        feedback.remove_class("lk-quiz-wrong")
        feedback.add_class("lk-quiz-correct" if correct else "lk-quiz-wrong")

    check.on_click(on_check)
    box.selector, box.check_button, box.feedback, box.response = selector, check, feedback, response
    return box


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
