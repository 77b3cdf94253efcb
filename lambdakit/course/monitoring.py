"""Read what Lambda reports about a function: REPORT lines, CloudWatch metrics, alarms.

- :func:`parse_report` turns a ``REPORT`` log line into numbers (Duration, Max Memory Used, ...);
- :func:`log_table` lays out log events one per row, JSON lines read by field;
- :func:`lambda_metrics` reads several ``AWS/Lambda`` metrics of several functions with one
  ``GetMetricData`` call, over one window, into a :class:`MetricsTable`;
- :func:`wait_for_metric` waits (with a deadline) until a metric has reached a value;
- :func:`metrics_chart` draws that table: counts per function, and the longest duration;
- :func:`judge_alarm` evaluates a metric alarm the way CloudWatch would, from the alarm's own
  definition and the metric's data points (the kit's CloudWatch stores alarms but never
  evaluates them).

>>> parse_report("REPORT RequestId: 1\\tDuration: 1.52 ms\\tBilled Duration: 2 ms\\t"
...              "Memory Size: 128 MB\\tMax Memory Used: 31 MB")["Max Memory Used"]
31.0
>>> table = lambda_metrics(["orders"], [("Invocations", "Sum")])  # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import re
import time
from collections.abc import Sequence
from typing import Any

__all__ = ["parse_report", "lambda_metrics", "wait_for_metric", "MetricsTable", "metrics_chart",
           "judge_alarm", "AlarmJudgement", "COMPARISONS", "log_table", "LogTable"]

NAMESPACE = "AWS/Lambda"
#: what the lesson reads by default: (metric, statistic)
DEFAULT_METRICS = (("Invocations", "Sum"), ("Errors", "Sum"), ("Throttles", "Sum"),
                   ("Duration", "Maximum"), ("ConcurrentExecutions", "Maximum"))
_FIELD = re.compile(r"([A-Za-z ]+): ([^\t]+)")


def parse_report(text: str) -> dict[str, float | str]:
    """The fields of the (last) ``REPORT`` line in ``text``, numbers without their units.

    Keys as Lambda writes them: ``Duration``, ``Billed Duration`` (ms), ``Memory Size``,
    ``Max Memory Used`` (MB), ``Init Duration`` (ms, cold starts only), and ``Status`` /
    ``Error Type`` when the environment failed. Raises ``ValueError`` without a REPORT line.
    """
    lines = [line for line in text.splitlines() if line.startswith("REPORT ")]
    if not lines:
        raise ValueError("no REPORT line in the log text")
    fields: dict[str, float | str] = {}
    for part in lines[-1].split("\t"):
        match = _FIELD.fullmatch(part.strip())
        if not match:
            continue
        key, value = match.group(1).strip().removeprefix("REPORT "), match.group(2).strip()
        number = re.fullmatch(r"([0-9.]+) (ms|MB)", value)
        fields[key] = float(number.group(1)) if number else value
    return fields


@dataclasses.dataclass
class MetricsTable:
    """One value per function and metric over one window (None: no data point at all)."""

    functions: list[str]
    metrics: list[tuple[str, str]]  # (metric, statistic)
    values: dict[tuple[str, str], float | None]  # (function, metric) -> value
    start: dt.datetime
    end: dt.datetime

    def value(self, function: str, metric: str) -> float | None:
        """The value of ``metric`` for ``function`` (None when it published nothing)."""
        if (function, metric) not in self.values:
            raise KeyError(f"{metric!r} of {function!r} was not read; read: "
                           f"{', '.join(m for m, _ in self.metrics)}")
        return self.values[(function, metric)]

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = ["function"] + [f"{m} ({s})" for m, s in self.metrics]
        rows = []
        for fn in self.functions:
            row = [fn]
            for metric, _ in self.metrics:
                value = self.values[(fn, metric)]
                row.append("–" if value is None else f"{value:,.0f}" if value >= 10 or
                           float(value).is_integer() else f"{value:,.2f}")
            rows.append(row)
        return head, rows

    def __str__(self) -> str:
        head, rows = self._cells()
        widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(r, widths))) for r in [head] + rows]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head, rows = self._cells()
        cells = "".join(f"<th>{html.escape(c)}</th>" for c in head)
        body = "".join("<tr>" + "".join(
            f"<td style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(c)}</td>"
            for i, c in enumerate(r)) + "</tr>" for r in rows)
        return f"<table><tr>{cells}</tr>{body}</table>"


#: fields of a JSON log line that a LogTable shows in their own columns, or leaves out
_OWN_COLUMNS = {"time", "timestamp", "level", "type", "message", "record"}
_LEFT_OUT = {"stackTrace"}


def _flat(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``{"a": 1, "m": {"b": 2}}`` as ``[("a", "1"), ("m.b", "2")]``."""
    if not isinstance(value, dict):
        return [(prefix, value if isinstance(value, str) else json.dumps(value))]
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        if key not in _LEFT_OUT:
            pairs += _flat(item, f"{prefix}.{key}" if prefix else key)
    return pairs


@dataclasses.dataclass(repr=False)
class LogTable:
    """CloudWatch Logs events, one row each: time (UTC), kind, message, other fields.

    A JSON line is read by field: its ``level`` (or a platform record's ``type``) is the
    kind, its ``message`` the message, and every other field (a platform record's ``record``
    flattened, ``metrics.durationMs``) a ``key=value`` pair; a stack trace is left out. A JSON
    ``message`` inside a JSON line is read the same way, and an exception record shows
    ``errorType: errorMessage`` as its message. A text line keeps its text, the lines of a
    multi-line event joined by `` | ``.
    """

    rows: list[tuple[str, str, str, str]]

    COLUMNS = ("time", "kind", "message", "fields")

    def __str__(self) -> str:
        widths = [max(len(r[i]) for r in [self.COLUMNS, *self.rows]) for i in range(3)]
        return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r[:3], widths)), r[3]]).rstrip()
                         for r in [self.COLUMNS, *self.rows])

    __repr__ = __str__  # a plain console shows the aligned text too

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in self.COLUMNS)
        body = "".join("<tr>" + "".join(
            f"<td style='text-align:left;white-space:pre-wrap'>{html.escape(c)}</td>" for c in r)
            + "</tr>" for r in self.rows)
        return (f"<table class='lk-log-table'><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")


def _log_row(event: dict[str, Any]) -> tuple[str, str, str, str]:
    stamp = event.get("timestamp")
    when = (dt.datetime.fromtimestamp(stamp / 1000, dt.timezone.utc).strftime("%H:%M:%S.%f")[:-3]
            if isinstance(stamp, (int, float)) else "")
    text = str(event.get("message", "")).strip()
    try:
        line = json.loads(text) if text.startswith("{") else None
    except ValueError:
        line = None
    if not isinstance(line, dict):
        parts = [p.strip() for p in text.replace("\r\n", "\r").replace("\n", "\r").split("\r")]
        return when, "text", " | ".join(p for p in parts if p), ""
    kind = str(line.get("type") or line.get("level") or "json")
    message = line.get("message", "")
    extra = {k: v for k, v in line.items() if k not in _OWN_COLUMNS}
    if isinstance(message, str) and message.startswith("{"):
        try:  # a JSON message inside a JSON record (a logger given a JSON string): read it too
            inner = json.loads(message)
        except ValueError:
            inner = None
        if isinstance(inner, dict):
            message = inner.get("message", "")
            extra.update({k: v for k, v in inner.items() if k not in _OWN_COLUMNS})
    if not message and "errorMessage" in extra:  # the runtime's record of an exception
        message = f"{extra.pop('errorType', 'error')}: {extra.pop('errorMessage')}"
    message = message if isinstance(message, str) else json.dumps(message)
    pairs = _flat(line.get("record", {})) + _flat(extra) if extra or "record" in line else []
    return when, kind, message, "  ".join(f"{k}={v}" for k, v in pairs if k)


def log_table(events: Sequence[dict[str, Any]]) -> LogTable:
    """``events`` (from ``filter_log_events`` or ``get_log_events``) as a readable table,
    one event per row: JSON lines by field, text lines as they are.

    >>> found = logs.filter_log_events(logGroupName="/aws/lambda/orders")["events"]  # doctest: +SKIP
    >>> log_table(found)                                                           # doctest: +SKIP
    """
    return LogTable([_log_row(event) for event in events])


def _client(cloudwatch: Any) -> Any:
    if cloudwatch is not None:
        return cloudwatch
    import lambdakit
    return lambdakit.start().client("cloudwatch")


def lambda_metrics(functions: Sequence[str], metrics: Sequence[tuple[str, str]] = DEFAULT_METRICS,
                   *, minutes: int = 15, cloudwatch: Any = None,
                   now: dt.datetime | None = None) -> MetricsTable:
    """Read ``metrics`` (``(name, statistic)`` pairs) of each function over the last ``minutes``.

    One ``GetMetricData`` request with one query per function and metric, each with a single
    period covering the whole window, so ``Average`` is the true average over it. Series are
    the ones published under the ``FunctionName`` dimension alone.

    >>> lambda_metrics(["orders"], [("Errors", "Sum")], minutes=5)   # doctest: +SKIP
    """
    if minutes < 1:
        raise ValueError(f"minutes must be at least 1, not {minutes}")
    if not functions or not metrics:
        raise ValueError("name at least one function and one metric")
    cloudwatch = _client(cloudwatch)
    now = now or dt.datetime.now(dt.timezone.utc)
    end = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    start = end - dt.timedelta(minutes=minutes + 1)
    queries, keys = [], {}
    for i, fn in enumerate(functions):
        for j, (metric, stat) in enumerate(metrics):
            qid = f"q{i}_{j}"
            keys[qid] = (fn, metric)
            queries.append({"Id": qid, "ReturnData": True, "MetricStat": {
                "Metric": {"Namespace": NAMESPACE, "MetricName": metric,
                           "Dimensions": [{"Name": "FunctionName", "Value": fn}]},
                "Period": (minutes + 1) * 60, "Stat": stat}})
    values: dict[tuple[str, str], float | None] = {key: None for key in keys.values()}
    for page in cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=start, EndTime=end):
        for result in page["MetricDataResults"]:
            if result["Values"]:
                values[keys[result["Id"]]] = float(result["Values"][0])
    return MetricsTable(list(functions), list(metrics), values, start, end)


def wait_for_metric(function: str, metric: str, statistic: str = "Sum", *, at_least: float = 1,
                    timeout: float = 30.0, minutes: int = 15, cloudwatch: Any = None) -> float:
    """Wait until ``metric`` (``statistic``) of ``function`` over the last ``minutes`` reaches
    ``at_least``, and return its value; raises ``TimeoutError`` after ``timeout`` seconds.

    Lambda publishes some metrics a moment after the invocation that causes them (an
    asynchronous event is dropped after its last attempt, for instance).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = lambda_metrics([function], [(metric, statistic)], minutes=minutes,
                               cloudwatch=cloudwatch).value(function, metric)
        if value is not None and value >= at_least:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{metric} ({statistic}) of {function} stayed at {value}, "
                               f"below {at_least:g}, for {timeout:g} s")
        time.sleep(0.1)


#: Palette meaning of each count metric in :func:`metrics_chart` (others are drawn hatched).
_METRIC_MEANINGS = {"Invocations": "ran", "Errors": "error", "Throttles": "throttle"}


def metrics_chart(table: MetricsTable, counts: Sequence[str] = ("Invocations", "Errors",
                                                                "Throttles"),
                  duration: str | None = "Duration") -> Any:
    """A bar chart of ``table``: the ``counts`` side by side per function (left) and, if the table
    has it, ``duration`` per function (right, in ms), in the course's colours, the legend below.
    Returns a :class:`~lambdakit.course.charts.Chart`; ``str(chart)`` says what it shows.

    >>> metrics_chart(lambda_metrics(["orders"], minutes=15))   # doctest: +SKIP
    """
    from . import charts

    read = [m for m, _ in table.metrics]
    missing = [m for m in counts if m not in read]
    if missing:
        raise ValueError(f"the table has no {', '.join(missing)}; it has {', '.join(read)}")
    with_duration = duration is not None and duration in read
    minutes = int((table.end - table.start).total_seconds() // 60)
    fig = charts.new_figure(9, 0.45 * len(table.functions) + 2.0)
    axes = fig.subplots(1, 2 if with_duration else 1, squeeze=False,
                        gridspec_kw={"width_ratios": [2, 1]} if with_duration else None)[0]
    height = 0.8 / len(counts)
    positions = range(len(table.functions))
    ax = axes[0]
    hatches = iter(["///", "...", "xxx", "\\\\\\"])
    for k, metric in enumerate(counts):
        values = [table.values[(fn, metric)] or 0 for fn in table.functions]
        meaning = _METRIC_MEANINGS.get(metric)
        style = ({"color": charts.color(meaning)} if meaning else
                 {"facecolor": "white", "edgecolor": charts.color("other"), "hatch": next(hatches)})
        ax.barh([p + k * height for p in positions], values, height=height, label=metric,
                **style)
    ax.set_yticks([p + height * (len(counts) - 1) / 2 for p in positions], table.functions)
    ax.invert_yaxis()
    charts.label(ax, "how often", x=f"count, last {minutes} minutes", y="function")
    ax.grid(axis="x", alpha=0.3)
    if with_duration:
        stat = dict(table.metrics)[duration]
        ax2 = axes[1]
        ax2.barh(list(positions), [table.values[(fn, duration)] or 0 for fn in table.functions],
                 color=charts.color("ran"))
        ax2.set_yticks(list(positions), [""] * len(table.functions))
        ax2.invert_yaxis()
        charts.label(ax2, "how long", x=f"{duration} ({stat}), ms", y="")
        ax2.grid(axis="x", alpha=0.3)
        ax2.sharey(ax)
    fig.suptitle(f"Lambda metrics per function, last {minutes} minutes",
                 fontsize=charts.TITLE_PT)
    charts.legend_outside(fig, ax.get_legend_handles_labels()[0], below=True, ncols=len(counts))

    def said(fn: str) -> str:
        parts = [f"{table.values[(fn, m)] or 0:,.0f} {m}" for m in counts]
        if with_duration:
            value = table.values[(fn, duration)]
            parts.append(f"{duration} {'none' if value is None else f'{value:,.0f} ms'}")
        return f"{fn}: {', '.join(parts)}"

    return charts.Chart(fig, f"Bar chart of Lambda metrics per function over the last {minutes} "
                             f"minutes ({', '.join(counts)}"
                             f"{f'; {duration} in ms' if with_duration else ''}). "
                             + "; ".join(said(fn) for fn in table.functions) + ".")


COMPARISONS = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
_SYMBOLS = {"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": ">=",
            "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "<="}


@dataclasses.dataclass
class AlarmJudgement:
    """What CloudWatch would decide for an alarm now.

    state: ``ALARM``, ``OK`` or ``INSUFFICIENT_DATA``.
    points: one value per evaluated period, oldest first (None: no data in that period).
    breaching: how many of them breach the threshold (missing data counted as
        ``TreatMissingData`` says).
    stored_state: the state the alarm has in the (kit's) CloudWatch, for comparison.
    """

    alarm: str
    state: str
    points: list[float | None]
    breaching: int
    needed: int
    condition: str
    stored_state: str

    @property
    def reason(self) -> str:
        shown = ", ".join("missing" if p is None else f"{p:g}" for p in self.points)
        return (f"{self.breaching} of the last {len(self.points)} periods breached "
                f"({self.condition}; {self.needed} needed): [{shown}]")

    def __str__(self) -> str:
        return (f"alarm {self.alarm}: {self.state} by the alarm's rule\n  {self.reason}\n"
                f"  state stored in CloudWatch: {self.stored_state}")


def judge_alarm(alarm_name: str, *, cloudwatch: Any = None,
                now: dt.datetime | None = None) -> AlarmJudgement:
    """Evaluate metric alarm ``alarm_name`` as CloudWatch does, from its own definition.

    Reads the alarm (metric, dimensions, statistic, period, threshold, comparison,
    ``EvaluationPeriods``, ``DatapointsToAlarm``, ``TreatMissingData``), reads the metric's
    data points for the last ``EvaluationPeriods`` periods (the newest one still filling),
    and applies the rule: ALARM when at least ``DatapointsToAlarm`` periods breach; when
    every period is missing, INSUFFICIENT_DATA with ``TreatMissingData`` ``missing`` (the
    default) and the state unchanged with ``ignore``; otherwise OK. Missing periods count as
    breaching with ``breaching`` and as good with ``notBreaching``.
    Raises ``ValueError`` for an alarm that does not exist or is not a single-metric alarm.
    """
    cloudwatch = _client(cloudwatch)
    found = cloudwatch.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    if not found:
        raise ValueError(f"no metric alarm named {alarm_name!r}")
    alarm = found[0]
    if not alarm.get("MetricName") or not alarm.get("Statistic"):
        raise ValueError(f"{alarm_name!r} is not a single-metric alarm with a Statistic")
    operator = alarm["ComparisonOperator"]
    if operator not in COMPARISONS:
        raise ValueError(f"comparison {operator!r} is not one of {', '.join(COMPARISONS)}")
    period, count = int(alarm["Period"]), int(alarm["EvaluationPeriods"])
    needed = int(alarm.get("DatapointsToAlarm") or count)
    threshold, stat = float(alarm["Threshold"]), alarm["Statistic"]
    now = now or dt.datetime.now(dt.timezone.utc)
    epoch = int(now.timestamp())
    end = dt.datetime.fromtimestamp(epoch - epoch % period + period, dt.timezone.utc)
    start = end - dt.timedelta(seconds=period * count)
    datapoints = cloudwatch.get_metric_statistics(
        Namespace=alarm["Namespace"], MetricName=alarm["MetricName"],
        Dimensions=alarm.get("Dimensions", []), StartTime=start, EndTime=end, Period=period,
        Statistics=[stat])["Datapoints"]
    points: list[float | None] = [None] * count
    for point in datapoints:
        offset = int((point["Timestamp"] - start).total_seconds() // period)
        if 0 <= offset < count:
            points[offset] = float(point[stat])
    compare = COMPARISONS[operator]
    missing = alarm.get("TreatMissingData") or "missing"
    breaching = sum(1 for p in points if p is not None and compare(p, threshold))
    if missing == "breaching":
        breaching += points.count(None)
    if breaching >= needed:
        state = "ALARM"
    elif all(p is None for p in points) and missing == "missing":
        state = "INSUFFICIENT_DATA"
    elif all(p is None for p in points) and missing == "ignore":
        state = alarm.get("StateValue", "INSUFFICIENT_DATA")  # ignore: the state stays as it is
    else:
        state = "OK"
    condition = f"{alarm['MetricName']} {stat} {_SYMBOLS[operator]} {threshold:g}"
    return AlarmJudgement(alarm_name, state, points, breaching, needed, condition,
                          alarm.get("StateValue", "?"))
