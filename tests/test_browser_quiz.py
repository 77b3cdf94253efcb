"""The knowledge-check widget in a real browser: long options wrap, the keyboard works inside
the widget (and never moves JupyterLab's cell selection), a wrong answer is marked and hinted.

Reuses test_browser's JupyterLab, Chromium and page fixtures; the notebook under test is
written through JupyterLab's contents API, so the lessons are not involved.
"""
from __future__ import annotations

import json
import urllib.request

import pytest

from test_browser import browser, jupyterlab, open_notebook, page, playwright_api, run_all_cells  # noqa: F401

from lambdakit.course import bank


def _longest(kind):
    """The bank question of ``kind`` with the longest option (or matching choice)."""
    def longest(q):
        return max(len(text) for text in (q.options or q.choices).values())
    return max((q for q in bank.load_all() if q.type == kind), key=longest)


def _put_notebook(base, token, path, sources):
    cells = [{"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
              "execution_count": None} for source in sources]
    content = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
               "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                           "language": "python"}}}
    body = json.dumps({"type": "notebook", "format": "json", "content": content}).encode()
    request = urllib.request.Request(f"{base}/api/contents/{path}?token={token}", data=body,
                                     method="PUT", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)


def _active_cell(page):
    return page.evaluate("""() => [...document.querySelectorAll('.jp-Notebook:not(.lm-mod-hidden) .jp-Cell')]
                                   .findIndex(c => c.classList.contains('jp-mod-active'))""")


def _focused(page):
    return page.evaluate("() => document.activeElement.getAttribute('data-key') || "
                         "document.activeElement.className")


def test_quiz_widget_wraps_long_options_works_from_the_keyboard_and_marks_a_wrong_answer(
        jupyterlab, page):
    base, token = jupyterlab
    single, multiple, matching = _longest("single"), _longest("multiple"), _longest("matching")
    _put_notebook(base, token, "lessons/quiz_widget_check.ipynb", [
        "from lambdakit.course import quiz\n"
        f"quiz.ask({single.id!r}, {multiple.id!r}, {matching.id!r})",
        "print('the cell after the checks')"])
    page.set_viewport_size({"width": 1100, "height": 900})  # narrow enough that long options wrap
    open_notebook(page, base, token, "lessons/quiz_widget_check.ipynb")
    run_all_cells(page)
    questions = page.locator(".jp-Notebook:visible .lk-quiz-question")
    playwright_api.expect(questions).to_have_count(3)
    numbers = [n.strip() for n in questions.locator(".lk-quiz-number").all_inner_texts()]
    assert numbers == [f"Check {bank.number(q)}." for q in (single, multiple, matching)]

    # every option whole: nothing clipped, nothing overlapping, each control inside its option
    wrapped = 0
    for question in questions.all():
        boxes = question.locator(".lk-quiz-option").evaluate_all("""els => els.map(e => {
            const r = e.getBoundingClientRect(), t = e.querySelector('.lk-quiz-option-text');
            const c = e.querySelector('.lk-quiz-control, input'), cr = c.getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                    textClipped: t.scrollHeight > t.clientHeight + 1 || t.scrollWidth > t.clientWidth + 1,
                    textLines: Math.round(t.getBoundingClientRect().height
                                          / parseFloat(getComputedStyle(t).lineHeight)),
                    controlInside: cr.top >= r.top - 1 && cr.bottom <= r.bottom + 1 && cr.width > 0};
        })""")
        assert boxes and not any(b["textClipped"] for b in boxes)
        assert all(b["controlInside"] for b in boxes)
        assert all(a["bottom"] <= b["top"] + 0.5 or a["right"] <= b["left"] + 0.5
                   for a, b in zip(boxes, boxes[1:])), boxes
        wrapped += sum(b["textLines"] >= 2 for b in boxes)
    items = questions.nth(2).locator(".lk-quiz-choices li, .lk-quiz-item")
    assert items.evaluate_all("els => els.every(e => e.scrollWidth <= e.clientWidth + 1)")
    assert wrapped >= 1, "no option was long enough to wrap: the check above proves nothing"

    # keyboard: one tab stop per radio group; arrows move the answer, not the cell selection
    first = questions.first
    radios = first.locator("[role=radio]")
    assert first.locator("[role=radiogroup]").get_attribute("aria-labelledby")
    assert radios.evaluate_all("els => els.filter(e => e.tabIndex === 0).length") == 1
    radios.first.click()
    cell = _active_cell(page)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    keys = list(single.options)
    assert _focused(page) == keys[2]
    assert radios.evaluate_all("els => els.map(e => e.getAttribute('aria-checked'))") == [
        "true" if i == 2 else "false" for i in range(len(keys))]
    assert _active_cell(page) == cell  # JupyterLab never saw the arrows
    cells = page.locator(".jp-Notebook:visible .jp-Cell").count()
    page.keyboard.press("b")  # nor other keys: in command mode B would insert a cell
    assert page.locator(".jp-Notebook:visible .jp-Cell").count() == cells
    page.keyboard.press("ArrowUp")
    assert _focused(page) == keys[1]
    outline = radios.nth(1).evaluate("e => { const s = getComputedStyle(e); "
                                     "return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert outline[0] == "solid" and outline[1] >= 2  # a visible focus ring
    page.keyboard.press("Tab")  # out of the group in one step, to Check
    assert "lk-quiz-check" in _focused(page)

    # a wrong answer, checked from the keyboard: marked, hinted, not explained
    wrong = next(i for i, key in enumerate(keys) if key != single.answer)
    radios.nth(wrong).click()
    first.locator(".lk-quiz-check").focus()
    page.keyboard.press("Enter")
    feedback = first.locator(".lk-quiz-feedback.lk-quiz-wrong")
    feedback.wait_for()
    assert "Not quite" in feedback.inner_text()
    marked = first.locator(".lk-quiz-marked-wrong")
    playwright_api.expect(marked).to_have_count(1)
    assert marked.get_attribute("data-key") == keys[wrong]
    assert "your choice" in marked.inner_text()
    text_width, option_width = marked.evaluate(
        "e => [e.querySelector('.lk-quiz-option-text').getBoundingClientRect().width, "
        "e.getBoundingClientRect().width]")
    assert text_width >= option_width / 2  # the mark never squeezes the option's text
    if single.hint:
        assert single.hint in feedback.inner_text()
    assert first.locator(".lk-quiz-explanation").count() == 0

    # the right answer: explained, and the section's score moves
    radios.nth(keys.index(single.answer)).click()
    first.locator(".lk-quiz-check").click()
    first.locator(".lk-quiz-feedback.lk-quiz-correct .lk-quiz-explanation").wait_for()
    score = page.locator(".jp-Notebook:visible .lk-quiz-score").first
    playwright_api.expect(score).to_contain_text(f"1 of {len(bank.load_section(single.section))}")

    # matching: a wrong row is marked as a row
    match = questions.nth(2)
    rows = match.locator(".lk-quiz-row")
    answer = list(matching.answer.items())
    choice_keys = list(matching.choices)
    for row, (item, right) in zip(rows.all(), answer):
        pick = right if item != answer[0][0] else next(c for c in choice_keys if c != right)
        row.locator("[role=radio]").nth(choice_keys.index(pick)).click()
    match.locator(".lk-quiz-check").click()
    match.locator(".lk-quiz-feedback.lk-quiz-wrong").wait_for()
    playwright_api.expect(match.locator(".lk-quiz-row.lk-quiz-marked-wrong")).to_have_count(1)
    assert match.locator(".lk-quiz-row.lk-quiz-marked-wrong").get_attribute("data-key") == answer[0][0]
