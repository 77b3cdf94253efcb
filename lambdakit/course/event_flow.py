"""A live diagram of the three invocation models: where the event waits, who retries.

One lane per model, drawn as boxes from the caller to where the event ends. The box
holding the event right now is highlighted, the function's box counts its attempts and
failures, and the lane says who made the retries. Every lane is drawn from an
:class:`~lambdakit.course.error_table.Observation`, so the picture follows a real run:
pass :meth:`EventFlow.update` as the ``on_update`` of the observers.

>>> from lambdakit.course.event_flow import EventFlow          # doctest: +SKIP
>>> flow = EventFlow(); flow                                    # doctest: +SKIP
>>> observe_async("flaky", {"n": 1}, on_update=flow.update)     # doctest: +SKIP
"""
from __future__ import annotations

import html
import threading
from typing import Any

from .error_table import Observation

__all__ = ["LANES", "EventFlow", "render_lane", "render"]

#: per model: (stage, box title, who holds the event there)
LANES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "synchronous": (
        ("caller", "Caller", "sends the event and waits"),
        ("function", "Function", "runs once, while the caller waits"),
        ("result", "Answer", "success or error, back to the caller"),
    ),
    "asynchronous": (
        ("caller", "Caller", "hands the event over, gets 202"),
        ("queue", "Lambda's event queue", "the event waits here between attempts"),
        ("function", "Function", "invoked by Lambda from the queue"),
        ("done", "Destination / DLQ", "invocation record or the event itself"),
    ),
    "polling": (
        ("queue", "SQS queue", "the message waits here, visible"),
        ("in_flight", "Poller (in flight)", "received; invisible until processed or timed out"),
        ("function", "Function", "invoked synchronously with a batch"),
        ("done", "Deleted / queue's DLQ", "deleted on success, redriven after maxReceiveCount"),
    ),
}
TITLES = {"synchronous": "Synchronous", "asynchronous": "Asynchronous",
          "polling": "Polling (event source mapping)"}
WHO_RETRIES = {"synchronous": "the caller, if it wants to",
               "asynchronous": "Lambda, from its own queue",
               "polling": "the source: SQS makes the message visible again"}

_ACTIVE = "background:#fff3c4;border:2px solid #e0a800"
_IDLE = "background:#f6f8fa;border:1px solid #d0d7de"
_FAILED = "background:#ffe3e3;border:2px solid #cf222e"
_OK = "background:#dafbe1;border:2px solid #1a7f37"


def _box(title: str, text: str, style: str, extra: str = "") -> str:
    return (f"<div class='lk-flow-box' style='{style};border-radius:6px;padding:6px 8px;"
            f"min-width:150px;max-width:190px;font-size:12px'>"
            f"<b>{html.escape(title)}</b><br><span style='color:#57606a'>{html.escape(text)}</span>"
            f"{extra}</div>")


def render_lane(model: str, observation: Observation | None = None) -> str:
    """The HTML of one lane, drawn from ``observation`` (an empty lane when None)."""
    if model not in LANES:
        raise ValueError(f"model must be one of {tuple(LANES)}, got {model!r}")
    obs = observation
    boxes = []
    for stage, title, text in LANES[model]:
        extra = ""
        style = _IDLE
        if obs is not None:
            if stage == "function":
                failed = sum(1 for a in obs.attempts if a.failed)
                extra = (f"<br><span class='lk-flow-attempts'>attempts: {len(obs.attempts)}, "
                         f"failed: {failed}</span>")
            if stage in ("result", "done") and obs.done:
                style = _OK if obs.outcome == "succeeded" else _FAILED
                extra = f"<br><span class='lk-flow-ended'>{html.escape(obs.ended or '')}</span>"
            elif stage == obs.stage and not obs.done:
                style = _ACTIVE
        boxes.append(_box(title, text, style, extra))
    arrow = "<div style='align-self:center;font-size:18px;color:#57606a'>&rarr;</div>"
    if obs is None:
        status = "not run yet"
    elif obs.done:
        status = f"done: {len(obs.attempts)} attempt(s), retried by {obs.retried_by}"
    else:
        where = {stage: title for stage, title, _ in LANES[model]}.get(obs.stage, obs.stage)
        status = f"running: the event is at {where}"
    return (f"<div class='lk-flow-lane' data-model='{model}' style='margin:6px 0'>"
            f"<div><b>{TITLES[model]}</b> &middot; who retries: {WHO_RETRIES[model]} &middot; "
            f"<span class='lk-flow-status'>{html.escape(status)}</span></div>"
            f"<div style='display:flex;gap:6px;align-items:stretch;margin-top:4px'>"
            f"{arrow.join(boxes)}</div></div>")


def render(observations: dict[str, Observation | None]) -> str:
    """The HTML of every lane, in the order synchronous, asynchronous, polling."""
    return "".join(render_lane(model, observations.get(model)) for model in LANES)


class EventFlow:
    """The live diagram: a widget whose lanes are redrawn whenever an observation changes.

    ``update`` is thread-safe and can be passed as ``on_update`` to any observer.
    """

    def __init__(self, models: tuple[str, ...] = tuple(LANES)):
        import ipywidgets as widgets

        unknown = [m for m in models if m not in LANES]
        if unknown:
            raise ValueError(f"unknown models {unknown}; choose from {tuple(LANES)}")
        self.models = models
        self.observations: dict[str, Observation | None] = {m: None for m in models}
        self.widget = widgets.HTML(self._html())
        self.widget.add_class("lk-event-flow")
        self._lock = threading.Lock()

    def _html(self) -> str:
        return "".join(render_lane(m, self.observations[m]) for m in self.models)

    def update(self, observation: Observation) -> None:
        """Redraw ``observation``'s lane (other lanes keep their last state)."""
        with self._lock:
            if observation.model not in self.observations:
                return
            self.observations[observation.model] = observation
            self.widget.value = self._html()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)
