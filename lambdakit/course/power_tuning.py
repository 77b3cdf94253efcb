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

__all__ = ["Measurement", "measure", "plot_power_tuning", "power_tuning_explorer",
           "PowerTuningExplorer"]

DURATION_COLOR, COST_COLOR, MEASURED_COLOR = "#4e79a7", "#e15759", "#222222"


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


def plot_power_tuning(tuning: costs.PowerTuning, ax: Any = None) -> Any:
    """Duration (blue, left axis) and cost per million invocations (red, right axis) by memory size.

    The measured size is drawn as a black dot and every other size as an open
    circle: those are projections. The cheapest and fastest sizes are named in the legend.

    Returns the matplotlib Figure.
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    from .timeline import _show_figures_as_png

    _show_figures_as_png()
    if ax is None:
        fig = Figure(figsize=(8, 3.4), layout="constrained")
        ax = fig.add_subplot()
    columns = tuning.columns()
    positions = list(range(len(tuning.points)))
    per_million = [p.cost_per_invocation_usd * 1e6 for p in tuning.points]
    measured = [i for i, p in enumerate(tuning.points) if not p.projected]
    ax.plot(positions, columns["duration_ms"], color=DURATION_COLOR, marker="o",
            markerfacecolor="white")
    ax.set_ylabel("duration (ms)", color=DURATION_COLOR)
    ax.set_xticks(positions, [f"{mb:,}" for mb in columns["memory_mb"]], rotation=45, fontsize=8)
    ax.set_xlabel("memory (MB)")
    ax.grid(alpha=0.3)
    cost_ax = ax.twinx()
    cost_ax.plot(positions, per_million, color=COST_COLOR, marker="s", markerfacecolor="white")
    cost_ax.set_ylabel("USD per million invocations", color=COST_COLOR)
    for i in measured:
        ax.plot(i, columns["duration_ms"][i], "o", color=MEASURED_COLOR, markersize=8)
        cost_ax.plot(i, per_million[i], "s", color=MEASURED_COLOR, markersize=7)
    cheapest, fastest = tuning.cheapest, tuning.fastest
    ax.legend(handles=[
        Line2D([], [], color=DURATION_COLOR, marker="o", markerfacecolor="white",
               label="duration (projected)"),
        Line2D([], [], color=COST_COLOR, marker="s", markerfacecolor="white",
               label=f"cost (projected, {tuning.architecture})"),
        Line2D([], [], color=MEASURED_COLOR, marker="o", linestyle="none", label="measured"),
        Line2D([], [], linestyle="none", label=f"cheapest: {cheapest.memory_mb:,} MB"),
        Line2D([], [], linestyle="none", label=f"fastest: {fastest.memory_mb:,} MB"),
    ], fontsize=7, loc="upper center", frameon=False)
    where = ", ".join(f"{tuning.points[i].memory_mb:,} MB" for i in measured) or "no size"
    ax.set_title(f"measured at {where}; every other point is a projection", fontsize=9)
    return ax.figure


class PowerTuningExplorer:
    """The power-tuning chart with sliders for how CPU-bound the code is and the architecture.

    Made by :func:`power_tuning_explorer`; ``update()`` redraws from Python and
    ``tuning`` and ``figure`` hold the latest projection.
    """

    def __init__(self, duration_ms: float, measured_at_mb: int, cpu_fraction: float,
                 architecture: str):
        import ipywidgets as w

        self.duration_ms, self.measured_at_mb = duration_ms, measured_at_mb
        style = {"description_width": "190px"}
        self.cpu_fraction = w.FloatSlider(value=cpu_fraction, min=0.0, max=1.0, step=0.05,
                                          description="share of the time on CPU",
                                          style=style, layout=w.Layout(width="470px"),
                                          continuous_update=False)
        self.architecture = w.ToggleButtons(options=list(costs.ARCHITECTURES), value=architecture,
                                            description="architecture", style=style)
        self.verdict = w.HTML()
        self.output = w.Output()
        self.tuning: costs.PowerTuning | None = None
        self.figure: Any = None
        for control in (self.cpu_fraction, self.architecture):
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([self.cpu_fraction, self.architecture, self.output, self.verdict])
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
