"""Bursts of requests and the timeline they leave: which environment ran what, and when.

Three helpers for the lessons on execution environments:

- :func:`run_burst` sends requests to a function in waves, as real callers would,
  and returns what the kit recorded about each one;
- :func:`plot_timeline` draws those records, one row per execution environment,
  with the Init (cold start) part of each request in its own colour;
- :func:`burst_explorer` puts both behind three sliders and a Run button.

>>> import lambdakit                                                # doctest: +SKIP
>>> from lambdakit.course.timeline import run_burst, plot_timeline, summarize
>>> rows = run_burst("slow-hello", requests=12, concurrency=3, pause_s=0.5)   # doctest: +SKIP
>>> print(summarize(rows))                                          # doctest: +SKIP
12 requests, 3 execution environments, 3 cold starts, p50 latency 305 ms
>>> plot_timeline(rows)                                             # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import json
import statistics
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from . import charts, controls

__all__ = ["BurstRow", "BurstSummary", "run_burst", "summarize", "plot_timeline",
           "describe_timeline",
           "burst_explorer", "BurstExplorer", "find_record"]

#: Colours of the timeline, from the course palette: Init (cold start) work, handler work,
#: and the marker of a new environment (a cold start too).
INIT_COLOR = charts.color("cold_start")
INVOKE_COLOR = charts.color("ran")
COLD_COLOR = charts.color("cold_start")
MAX_IN_FLIGHT = 64


@dataclasses.dataclass
class BurstRow:
    """One request of a burst: how it was sent and what the kit recorded about it.

    Every field of the kit's invocation record (``environment_id``, ``cold``,
    ``init_ms``, ``duration_ms``, ...) can be read directly from the row, e.g.
    ``row.cold``. A request Lambda refused (for example with a 429 throttle)
    has ``record=None`` and the error code in ``error``.

    wave: which wave the request was sent in (0 is the first).
    sent_at: when the caller sent it (unix seconds).
    latency_ms: how long the caller waited for the answer.
    """

    request_id: str | None
    wave: int
    sent_at: float
    latency_ms: float
    record: Any = None
    error: str | None = None

    def __getattr__(self, name: str) -> Any:
        record = self.__dict__.get("record")
        if record is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(record, name)


@dataclasses.dataclass
class BurstSummary:
    """The headline numbers of a burst.

    >>> print(BurstSummary(requests=4, environments=2, cold_starts=2, p50_ms=12.0))
    4 requests, 2 execution environments, 2 cold starts, p50 latency 12 ms
    """

    requests: int
    environments: int
    cold_starts: int
    p50_ms: float | None
    errors: int = 0

    def __str__(self) -> str:
        p50 = "n/a" if self.p50_ms is None else f"{self.p50_ms:.0f} ms"
        text = (f"{self.requests} requests, {self.environments} execution environment"
                f"{'' if self.environments == 1 else 's'}, {self.cold_starts} cold start"
                f"{'' if self.cold_starts == 1 else 's'}, p50 latency {p50}")
        if self.errors:
            text += f", {self.errors} refused"
        return text


def _check(requests: int, concurrency: int, pause_s: float) -> None:
    if int(requests) != requests or requests < 1:
        raise ValueError(f"requests must be a whole number of at least 1, got {requests!r}")
    if int(concurrency) != concurrency or concurrency < 1:
        raise ValueError(f"concurrency must be a whole number of at least 1, got {concurrency!r}")
    if pause_s < 0:
        raise ValueError(f"pause_s must not be negative, got {pause_s!r}")


def run_burst(function_name: str, requests: int = 12, concurrency: int = 3,
              pause_s: float = 0.5, payload: Any = None, client: Any = None) -> list[BurstRow]:
    """Send ``requests`` synchronous invocations in waves and return what happened to each.

    Every ``pause_s`` seconds a wave of ``concurrency`` requests is sent at the
    same moment. A wave does not wait for the previous one to finish (real
    users don't wait for each other either), so if the function takes longer
    than the pause, waves overlap and Lambda needs more execution environments.
    ``pause_s=0`` sends every request at once.

    function_name: the function to invoke (name or ARN).
    requests: how many requests in total.
    concurrency: how many requests each wave sends together.
    pause_s: seconds between the starts of two waves.
    payload: the event (any JSON-serialisable value; default ``{}``).
    client: a boto3 Lambda client; default: one bound to the running kit.

    Returns one :class:`BurstRow` per request, in the order they were sent,
    each carrying the kit's record of that invocation (matched by request id).

    >>> rows = run_burst("hello", requests=6, concurrency=2, pause_s=0.2)   # doctest: +SKIP
    >>> sorted({row.environment_id for row in rows})                        # doctest: +SKIP
    ['3f1c0a9b7e21', 'a80d5c2e9f14']
    """
    _check(requests, concurrency, pause_s)
    import lambdakit
    from botocore.config import Config
    from botocore.exceptions import ClientError

    kit = lambdakit.start()
    in_flight = min(requests, MAX_IN_FLIGHT)
    if client is None:
        client = kit.client("lambda", config=Config(max_pool_connections=in_flight,
                                                    retries={"max_attempts": 1}))
    body = json.dumps({} if payload is None else payload)
    waves = [list(range(start, min(start + concurrency, requests)))
             for start in range(0, requests, concurrency)]
    rows: list[BurstRow | None] = [None] * requests

    def send(index: int, wave: int, go: threading.Event) -> None:
        go.wait()
        sent = time.time()
        began = time.perf_counter()
        try:
            response = client.invoke(FunctionName=function_name, Payload=body)
            response["Payload"].read()
            request_id, error = response["ResponseMetadata"]["RequestId"], None
        except ClientError as exc:
            request_id = exc.response.get("ResponseMetadata", {}).get("RequestId")
            error = exc.response.get("Error", {}).get("Code", type(exc).__name__)
        rows[index] = BurstRow(request_id=request_id, wave=wave, sent_at=sent,
                               latency_ms=(time.perf_counter() - began) * 1000, error=error)

    with ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="burst") as pool:
        futures = []
        first = time.perf_counter()
        for number, wave in enumerate(waves):
            go = threading.Event()  # released once the whole wave is queued: one moment
            futures += [pool.submit(send, index, number, go) for index in wave]
            delay = first + number * pause_s - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            go.set()
        for future in futures:
            future.result()

    by_id = {record.request_id: record for record in kit.records}
    for row in rows:
        if row is not None and row.error is None:
            row.record = by_id.get(row.request_id)
    return [row for row in rows if row is not None]


def find_record(request_id: str, timeout: float = 10.0) -> Any:
    """The kit's record of one invocation, waiting up to ``timeout`` seconds for it.

    A synchronous invocation is recorded before its answer comes back; an
    asynchronous (``Event``) one only once it has run in the background, so
    this waits for it. Raises ``LookupError`` if no record shows up in time.

    >>> response = lam.invoke(FunctionName="hello", InvocationType="Event")   # doctest: +SKIP
    >>> find_record(response["ResponseMetadata"]["RequestId"]).invocation_type  # doctest: +SKIP
    'Event'
    """
    import lambdakit

    kit = lambdakit.start()
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        for record in reversed(kit.records):
            if record.request_id == request_id:
                return record
        if time.monotonic() >= deadline:
            raise LookupError(f"no invocation with request id {request_id} "
                              f"was recorded within {timeout} s")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _latency_ms(row: Any) -> float:
    latency = getattr(row, "latency_ms", None)
    if latency is not None:
        return float(latency)
    return (row.end_time - row.start_time) * 1000


def _has_record(row: Any) -> bool:
    if isinstance(row, BurstRow):
        return row.record is not None
    return getattr(row, "environment_id", None) is not None


def summarize(rows: Iterable[Any]) -> BurstSummary:
    """Environments used, cold starts and median latency of a burst (or of any records).

    Accepts :class:`BurstRow` objects or the kit's own records (``kit.records``).
    """
    rows = list(rows)
    ran = [row for row in rows if _has_record(row)]
    latencies = [_latency_ms(row) for row in ran]
    return BurstSummary(
        requests=len(rows),
        environments=len({row.environment_id for row in ran}),
        cold_starts=sum(1 for row in ran if row.cold),
        p50_ms=statistics.median(latencies) if latencies else None,
        errors=len(rows) - len(ran))


def _segments(row: Any) -> tuple[float, float, float]:
    """(init start, invoke start, invoke end) in unix seconds."""
    end = row.end_time
    invoke_start = end - row.duration_ms / 1000
    init_start = invoke_start - (row.init_ms or 0) / 1000
    return init_start, invoke_start, end


def plot_timeline(records: Sequence[Any], ax: Any = None,
                  title: str | None = None) -> charts.Chart:
    """Draw a timeline: one row per execution environment, one bar per request.

    Each bar is split into the Init part (the cold-start colour; only on a cold
    start, marked with a triangle where the new environment began) and the Invoke
    part (the handler running). The x axis is milliseconds since the first request
    arrived.

    records: :class:`BurstRow` objects from :func:`run_burst`, or the kit's own
        records (``kit.records``); refused requests are left out.
    ax: a matplotlib Axes to draw into; by default a new figure is made.
    title: the chart's title (default: the summary line).

    Returns a :class:`~lambdakit.course.charts.Chart` (Jupyter shows it when it is a
    cell's result); ``str(chart)`` says what it shows.

    >>> chart = plot_timeline(run_burst("hello", requests=6))   # doctest: +SKIP
    >>> print(chart)                                             # doctest: +SKIP
    Timeline of 6 requests on 2 execution environments ...
    """
    ran = [row for row in records if _has_record(row)]
    environments: list[str] = []
    for row in sorted(ran, key=lambda r: _segments(r)[0]):
        if row.environment_id not in environments:
            environments.append(row.environment_id)
    if ax is None:
        fig = charts.new_figure(9, 0.45 * max(len(environments), 2) + 1.8)
        ax = fig.add_subplot()
    origin = min((min(row.start_time, _segments(row)[0]) for row in ran), default=0.0)
    for row in ran:
        y = environments.index(row.environment_id)
        init_start, invoke_start, end = _segments(row)
        if row.cold and row.init_ms:
            ax.barh(y, row.init_ms, left=(init_start - origin) * 1000, height=0.6,
                    color=INIT_COLOR, edgecolor="white", linewidth=0.5)
            ax.plot((init_start - origin) * 1000, y - 0.38, marker="v", color=COLD_COLOR,
                    markersize=7, linestyle="none")
        ax.barh(y, max(row.duration_ms, 0.5), left=(invoke_start - origin) * 1000, height=0.6,
                color=INVOKE_COLOR, edgecolor="white", linewidth=0.5)
    ax.set_yticks(range(len(environments)),
                  [f"env {i + 1}  ({env[:6]})" for i, env in enumerate(environments)])
    ax.set_ylim(len(environments) - 0.5 if environments else 1, -0.75)
    span = max(((row.end_time - origin) * 1000 for row in ran), default=1.0)
    ax.set_xlim(-0.015 * span, 1.02 * span)
    charts.label(ax, title if title is not None else str(summarize(records)),
                 x="time since the first request arrived (ms)", y="execution environment")
    ax.grid(axis="x", alpha=0.3)
    charts.legend_outside(ax, [
        charts.handle("cold_start", "Init (cold start)"),
        charts.handle("ran", "Invoke (your handler)"),
        charts.handle("cold_start", "new environment", kind="marker", marker="v")])
    return charts.Chart(ax.figure, describe_timeline(records, environments))


def describe_timeline(records: Sequence[Any], environments: Sequence[str] | None = None) -> str:
    """The timeline in words: requests per environment, cold starts and their Init, latency."""
    ran = [row for row in records if _has_record(row)]
    if environments is None:
        environments = list(dict.fromkeys(row.environment_id for row in ran))
    summary = summarize(records)
    per_env = ", ".join(
        f"env {i + 1} ran {sum(1 for row in ran if row.environment_id == env)}"
        for i, env in enumerate(environments))
    inits = [row.init_ms for row in ran if row.cold and row.init_ms]
    init_text = (f"; Init took {min(inits):.0f} to {max(inits):.0f} ms before the handler "
                 f"could start" if inits else "")
    refused = f" {summary.errors} refused requests are not drawn." if summary.errors else ""
    return (f"Timeline chart of {summary.requests} requests on {summary.environments} execution "
            f"environment{'' if summary.environments == 1 else 's'}, one row each, x axis in "
            f"milliseconds since the first request arrived: {per_env}. "
            f"{summary.cold_starts} cold start{'' if summary.cold_starts == 1 else 's'}"
            f"{init_text}; the other requests found a warm environment. "
            f"Median (p50) latency {'n/a' if summary.p50_ms is None else f'{summary.p50_ms:.0f} ms'}."
            f"{refused}")


class BurstExplorer:
    """Sliders, a Run button and a live timeline for :func:`run_burst`.

    Made by :func:`burst_explorer`; displays itself in Jupyter. ``run()`` does
    what the button does (handy without a browser); ``rows``, ``summary`` and
    ``figure`` hold the latest results.
    """

    def __init__(self, function_name: str, requests: int = 12, concurrency: int = 3,
                 pause_s: float = 0.5, payload: Any = None):
        import ipywidgets as w

        _check(requests, concurrency, pause_s)
        self.function_name = function_name
        self.payload = payload
        self.rows: list[BurstRow] = []
        self.summary: BurstSummary | None = None
        self.figure: Any = None
        style = {"description_width": "200px"}  # wide enough for the whole label
        layout = w.Layout(width="540px")
        self.requests = w.IntSlider(value=requests, min=1, max=40, description="requests in total",
                                    style=style, layout=layout)
        self.concurrency = w.IntSlider(value=concurrency, min=1, max=12,
                                       description="sent at once (a wave)", style=style,
                                       layout=layout)
        self.pause = w.FloatSlider(value=pause_s, min=0.0, max=2.0, step=0.1,
                                   readout_format=".1f", description="pause between waves (s)",
                                   style=style, layout=layout)
        self.button = w.Button(description="Run burst", button_style="primary", icon="play")
        self.status = w.HTML()
        self.output = w.Output()
        self.button.on_click(lambda _button: self.run())
        self.widget = w.VBox([controls.slider_names(), self.requests, self.concurrency, self.pause,
                              w.HBox([self.button, self.status]), self.output])

    def run(self) -> BurstSummary:
        """Run a burst with the sliders' values and redraw the timeline and summary."""
        from IPython.display import display

        self.button.disabled = True
        self.status.value = "&nbsp;running..."
        try:
            self.rows = run_burst(self.function_name, self.requests.value,
                                  self.concurrency.value, self.pause.value, self.payload)
            self.summary = summarize(self.rows)
            self.figure = plot_timeline(self.rows)
            self.status.value = f"&nbsp;<b>{self.summary}</b>"
            self.output.clear_output(wait=True)
            with self.output:
                display(self.figure)
        except Exception as exc:
            self.status.value = f"&nbsp;<span style='color:#c00'>{type(exc).__name__}: {exc}</span>"
            raise
        finally:
            self.button.disabled = False
        return self.summary

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def burst_explorer(function_name: str, requests: int = 12, concurrency: int = 3,
                   pause_s: float = 0.5, payload: Any = None, run: bool = True) -> BurstExplorer:
    """An interactive burst: three sliders, a Run button, the timeline and a summary.

    function_name: the function to invoke.
    requests, concurrency, pause_s: the sliders' starting values (see :func:`run_burst`).
    payload: the event each request sends.
    run: run one burst straight away, so there is a timeline to look at.

    >>> burst_explorer("slow-hello")     # doctest: +SKIP
    """
    explorer = BurstExplorer(function_name, requests, concurrency, pause_s, payload)
    if run:
        explorer.run()
    return explorer
