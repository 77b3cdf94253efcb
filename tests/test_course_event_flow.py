"""The live diagram of lesson 06: lanes drawn from observations, redrawn on every update."""
from __future__ import annotations

import re
import threading

import pytest

from lambdakit.course.error_table import Attempt, Observation
from lambdakit.course.event_flow import LANES, EventFlow, render, render_lane


def attempt(status):
    return Attempt("r", 0.0, status, "Event", None, 0.1)


def boxes(markup):
    """(title, style) of each box of a lane."""
    return re.findall(r"<div class='lk-flow-box' style='([^']*)'><b>([^<]*)</b>", markup)


def test_an_empty_lane_has_its_stages_and_nothing_highlighted():
    markup = render_lane("asynchronous")
    titles = [title for _, title in boxes(markup)]
    assert titles == ["Caller", "Lambda&#x27;s event queue", "Function", "Destination / DLQ"]
    assert all("#f6f8fa" in style for style, _ in boxes(markup))
    assert "not run yet" in markup and "who retries: Lambda, from its own queue" in markup


def test_the_box_holding_the_event_is_highlighted_and_attempts_are_counted():
    obs = Observation("asynchronous", "f", stage="queue",
                      attempts=[attempt("error"), attempt("error")], retrier="Lambda")
    markup = render_lane("asynchronous", obs)
    styles = {title: style for style, title in boxes(markup)}
    assert "#e0a800" in styles["Lambda&#x27;s event queue"]  # waiting there for its retry
    assert "#e0a800" not in styles["Function"]
    assert "attempts: 2, failed: 2" in markup
    assert "running: the event is at Lambda&#x27;s event queue" in markup


def test_a_finished_lane_shows_where_the_event_ended_in_red_or_green():
    failed = Observation("polling", "f", stage="done", attempts=[attempt("error")] * 2,
                         retrier="SQS", ended="dead-letter queue dlq of the source queue")
    markup = render_lane("polling", failed)
    styles = {title: style for style, title in boxes(markup)}
    assert "#cf222e" in styles["Deleted / queue&#x27;s DLQ"]
    assert "dead-letter queue dlq of the source queue" in markup
    assert "done: 2 attempt(s), retried by SQS" in markup
    ok = Observation("synchronous", "f", stage="result", attempts=[attempt("success")],
                     ended="returned to the caller: status 200, success")
    styles = {title: style for style, title in boxes(render_lane("synchronous", ok))}
    assert "#1a7f37" in styles["Answer"]


def test_every_lane_renders_and_unknown_models_are_refused():
    markup = render({})
    assert [m for m in re.findall(r"data-model='(\w+)'", markup)] == list(LANES)
    with pytest.raises(ValueError, match="model must be one of"):
        render_lane("smoke-signals")
    with pytest.raises(ValueError, match="unknown models"):
        EventFlow(models=("synchronous", "smoke-signals"))


def test_the_widget_redraws_one_lane_per_update_from_any_thread():
    flow = EventFlow()
    assert flow.widget.value.count("not run yet") == 3
    obs = Observation("asynchronous", "f", stage="function", attempts=[attempt("error")])
    worker = threading.Thread(target=flow.update, args=(obs,))
    worker.start()
    worker.join()
    assert flow.widget.value.count("not run yet") == 2
    assert "attempts: 1, failed: 1" in flow.widget.value
    only_sync = EventFlow(models=("synchronous",))
    only_sync.update(obs)  # a lane it does not draw: ignored
    assert "data-model='asynchronous'" not in only_sync.widget.value
