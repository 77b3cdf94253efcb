"""Measure a function's duration, then chart what other memory sizes would cost on AWS.

- :func:`measure` invokes a deployed function a few times and reports the handler's
  duration as the kit recorded it (the REPORT line's Duration);
- :func:`plot_power_tuning` draws duration and cost across memory sizes from
  :func:`lambdakit.costs.power_tuning`, the measured size marked, every other point
  labelled as a projection;
- :func:`power_tuning_explorer` adds sliders for how CPU-bound the code is and the architecture.

The kit runs every function at your computer's full speed whatever its MemorySize,
so locally the duration does not shrink with memory. On AWS, CPU share grows with
memory (one vCPU at 1,769 MB); the projection applies that documented rule to your
measurement. Measure on AWS before you decide (AWS Lambda Power Tuning does that).

>>> from lambdakit.costs import power_tuning
>>> from lambdakit.course.power_tuning import plot_power_tuning
>>> fig = plot_power_tuning(power_tuning(duration_ms=800, measured_at_mb=128))
>>> fig.axes[0].get_title()
'measured at 128 MB; every other point is a projection'
"""
from __future__ import annotations

import dataclasses
import json
import statistics
from typing import Any

from .. import costs
from . import charts
from .controls import slider_names

__all__ = ["Measurement", "measure", "plot_power_tuning", "describe_power_tuning",
           "power_tuning_explorer", "PowerTuningExplorer"]

#: Colours, from the course palette: the handler's duration, money, a measurement.
DURATION_COLOR, COST_COLOR = charts.color("ran"), charts.color("cost")
MEASURED_COLOR = charts.color("reference")


@dataclasses.dataclass(frozen=True)
class Measurement:
    """Durations of one function at its configured memory.

    memory_mb: the function's MemorySize when it was measured.
    durations_ms: the handler's duration for each invocation (Init not included).
    median_ms: their median.
    """

    function_name: str
    memory_mb: int
    durations_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.durations_ms)

    def __str__(self) -> str:
        return (f"{self.function_name} at {self.memory_mb:,} MB: median {self.median_ms:.0f} ms "
                f"over {len(self.durations_ms)} invocations")


def measure(function_name: str, invocations: int = 3, payload: Any = None,
            client: Any = None) -> Measurement:
    """Invoke ``function_name`` ``invocations`` times, one after the other; return its durations.

    payload: the event (JSON-serialisable; default ``{}``).
    client: a boto3 Lambda client; default: one bound to the running kit.

    >>> print(measure("crunch", invocations=3))      # doctest: +SKIP
    crunch at 128 MB: median 212 ms over 3 invocations
    """
    if int(invocations) != invocations or invocations < 1:
        raise ValueError(f"invocations must be a whole number of at least 1, got {invocations!r}")
    from .timeline import find_record

    if client is None:
        import lambdakit

        client = lambdakit.start().client("lambda")
    memory = client.get_function_configuration(FunctionName=function_name)["MemorySize"]
    body = json.dumps({} if payload is None else payload)
    durations = []
    for _ in range(invocations):
        response = client.invoke(FunctionName=function_name, Payload=body)
        response["Payload"].read()
        if response.get("FunctionError"):
            raise RuntimeError(f"{function_name} failed: {response['FunctionError']}")
        durations.append(find_record(response["ResponseMetadata"]["RequestId"]).duration_ms)
    return Measurement(function_name, memory, tuple(durations))


def plot_power_tuning(tuning: costs.PowerTuning, ax: Any = None) -> charts.Chart:
    """Duration (left axis) and cost per million invocations (right axis) by memory size.

    The measured size is drawn filled in black and every other size as an open
    marker: those are projections. The cheapest and fastest sizes are named in the
    legend, which sits beside the chart (``chart.legends[0]``).

    Returns a :class:`~lambdakit.course.charts.Chart`; ``str(chart)`` says what it shows.
    """
    if ax is None:
        fig = charts.new_figure(9, 3.8)
        ax = fig.add_subplot()
    columns = tuning.columns()
    positions = list(range(len(tuning.points)))
    per_million = [p.cost_per_invocation_usd * 1e6 for p in tuning.points]
    measured = [i for i, p in enumerate(tuning.points) if not p.projected]
    ax.plot(positions, columns["duration_ms"], color=DURATION_COLOR, marker="o",
            markerfacecolor="white")
    ax.set_xticks(positions, [f"{mb:,}" for mb in columns["memory_mb"]], rotation=45)
    ax.grid(alpha=0.3)
    cost_ax = ax.twinx()
    cost_ax.plot(positions, per_million, color=COST_COLOR, marker="s", markerfacecolor="white")
    for i in measured:
        ax.plot(i, columns["duration_ms"][i], "o", color=MEASURED_COLOR, markersize=8)
        cost_ax.plot(i, per_million[i], "s", color=MEASURED_COLOR, markersize=7)
    cheapest, fastest = tuning.cheapest, tuning.fastest
    where = ", ".join(f"{tuning.points[i].memory_mb:,} MB" for i in measured) or "no size"
    charts.label(ax, f"measured at {where}; every other point is a projection",
                 x="memory (MB)", y="duration (ms)")
    charts.label(cost_ax, None, y="USD per million invocations")
    charts.legend_outside(ax.figure, [  # the figure's: beyond the right axis and its label
        charts.handle("ran", "duration (projected)", kind="line", marker="o",
                      markerfacecolor="white"),
        charts.handle("cost", f"cost (projected, {tuning.architecture})", kind="line",
                      marker="s", markerfacecolor="white"),
        charts.handle("reference", "measured", kind="marker"),
        charts.handle("reference", f"cheapest: {cheapest.memory_mb:,} MB", kind="marker",
                      marker="none"),
        charts.handle("reference", f"fastest: {fastest.memory_mb:,} MB", kind="marker",
                      marker="none")])
    return charts.Chart(ax.figure, describe_power_tuning(tuning))


def describe_power_tuning(tuning: costs.PowerTuning) -> str:
    """The power-tuning chart in words: the range of sizes, durations and costs, the verdict."""
    points = tuning.points
    measured = [p for p in points if not p.projected]
    said = "; ".join(f"measured at {p.memory_mb:,} MB: {p.duration_ms:,.0f} ms" for p in measured)
    money = [p.cost_per_invocation_usd * 1e6 for p in points]
    cheapest, fastest = tuning.cheapest, tuning.fastest
    return (f"Power-tuning chart ({tuning.architecture}) over {len(points)} memory sizes from "
            f"{points[0].memory_mb:,} to {points[-1].memory_mb:,} MB: duration (left axis) goes "
            f"from {points[0].duration_ms:,.0f} ms to {points[-1].duration_ms:,.0f} ms, cost per "
            f"million invocations (right axis) from USD {min(money):,.2f} to "
            f"USD {max(money):,.2f}. {said or 'Nothing measured'}; every other point is a "
            f"projection. Projected cheapest: {cheapest.memory_mb:,} MB "
            f"(USD {cheapest.cost_per_invocation_usd * 1e6:,.2f} per million); projected fastest: "
            f"{fastest.memory_mb:,} MB ({fastest.duration_ms:,.0f} ms).")


class PowerTuningExplorer:
    """The power-tuning chart with sliders for how CPU-bound the code is and the architecture.

    Made by :func:`power_tuning_explorer`; ``update()`` redraws from Python and
    ``tuning`` and ``figure`` hold the latest projection.
    """

    def __init__(self, duration_ms: float, measured_at_mb: int, cpu_fraction: float,
                 architecture: str):
        import ipywidgets as w

        self.duration_ms, self.measured_at_mb = duration_ms, measured_at_mb
        style = {"description_width": "200px"}
        self.cpu_fraction = w.FloatSlider(value=cpu_fraction, min=0.0, max=1.0, step=0.05,
                                          description="share of the time on CPU",
                                          style=style, layout=w.Layout(width="520px"),
                                          continuous_update=False)
        self.architecture = w.ToggleButtons(options=list(costs.ARCHITECTURES), value=architecture,
                                            description="architecture", style=style)
        self.verdict = w.HTML()
        self.output = w.Output()
        self.tuning: costs.PowerTuning | None = None
        self.figure: Any = None
        for control in (self.cpu_fraction, self.architecture):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([slider_names(), self.cpu_fraction, self.architecture, self.output,
                              self.verdict])
        self.update()

    def update(self) -> costs.PowerTuning:
        """Project again with the controls' values and redraw."""
        from IPython.display import display

        self.tuning = costs.power_tuning(self.duration_ms, self.measured_at_mb,
                                         cpu_fraction=self.cpu_fraction.value,
                                         architecture=self.architecture.value)
        self.figure = plot_power_tuning(self.tuning)
        cheapest, fastest = self.tuning.cheapest, self.tuning.fastest
        self.verdict.value = (
            f"<p>Projected cheapest: <b>{cheapest.memory_mb:,} MB</b> "
            f"({cheapest.duration_ms:,.0f} ms, ${cheapest.cost_per_invocation_usd * 1e6:,.2f} per "
            f"million). Projected fastest: <b>{fastest.memory_mb:,} MB</b> "
            f"({fastest.duration_ms:,.0f} ms, ${fastest.cost_per_invocation_usd * 1e6:,.2f} per "
            f"million).</p>")
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)
        return self.tuning

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def power_tuning_explorer(duration_ms: float, measured_at_mb: int, cpu_fraction: float = 1.0,
                          architecture: str = "x86_64") -> PowerTuningExplorer:
    """Project cost and duration across memory sizes from one measurement, with sliders.

    duration_ms, measured_at_mb: the measurement (e.g. ``measure(...).median_ms`` and
        ``measure(...).memory_mb``).
    cpu_fraction: the share of the duration spent computing (1.0: all CPU; 0.0: all waiting
        on the network, which more memory does not speed up).
    architecture: ``"x86_64"`` or ``"arm64"``.

    >>> power_tuning_explorer(210, 128)      # doctest: +SKIP
    """
    return PowerTuningExplorer(duration_ms, measured_at_mb, cpu_fraction, architecture)
