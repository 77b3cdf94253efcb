"""Charts and explorers for the scaling simulator (:mod:`lambdakit.simulator`).

- :func:`flash_sale` a traffic pattern: a steady baseline, then a sudden peak;
- :func:`plot_scaling` one simulation, second by second: requests served and
  throttled (top), concurrency and cold starts (bottom);
- :func:`compare` several simulations side by side, with :func:`summary_table`;
- :func:`scaling_explorer` today's scaling rule against the legacy burst rule, with sliders;
- :func:`settings_explorer` reserved and provisioned concurrency against the same traffic.

>>> from lambdakit.course.scaling_charts import flash_sale, summary_table
>>> from lambdakit.simulator import simulate
>>> sale = flash_sale(baseline_rps=100, peak_rps=2000, peak_at_s=5, peak_s=20, total_s=40)
>>> result = simulate(sale, duration_ms=1000, account_limit=3000)
>>> print(summary_table({"sale": result}))
                 ran   throttled  cold starts     p99 ms   cost (USD)
sale          37,954       4,046        2,100     1250.0     0.087756
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..concurrency import CURRENT, ConcurrencyConfigError, legacy_burst
from ..simulator import ConstantRate, SimulationResult, simulate
from . import charts
from .controls import slider_names

__all__ = ["flash_sale", "plot_scaling", "compare", "summary_table", "describe_scaling",
           "scaling_explorer", "settings_explorer"]

#: Colours, from the course palette (one meaning each across the course).
RAN_COLOR, THROTTLE_COLOR = charts.color("ran"), charts.color("throttle")
CONCURRENCY_COLOR, COLD_COLOR = charts.color("reference"), charts.color("cold_start")
PROVISIONED_COLOR = charts.color("provisioned")


def flash_sale(baseline_rps: float = 100, peak_rps: float = 2500, peak_at_s: float = 10,
               peak_s: float = 30, total_s: float = 60) -> Any:
    """Arrivals for a flash sale: ``baseline_rps`` requests/s throughout, ``peak_rps`` at the peak.

    baseline_rps: requests per second before, during and after the peak.
    peak_rps: requests per second during the peak (baseline included).
    peak_at_s, peak_s: when the peak starts and how long it lasts (seconds).
    total_s: how long the whole pattern lasts.
    """
    if peak_rps < baseline_rps:
        raise ValueError(f"peak_rps ({peak_rps}) is below baseline_rps ({baseline_rps})")
    if peak_at_s + peak_s > total_s:
        raise ValueError(f"the peak ends at {peak_at_s + peak_s} s, after total_s ({total_s} s)")
    return (ConstantRate(baseline_rps, seconds=total_s)
            + ConstantRate(peak_rps - baseline_rps, seconds=peak_s, start=peak_at_s))


def _figure(width: float, height: float, ncols: int = 1) -> tuple[Any, Any]:
    fig = charts.new_figure(width, height)
    axes = fig.subplots(2, ncols, sharex="col", sharey="row", squeeze=False,
                        gridspec_kw={"height_ratios": [1, 1]})
    return fig, axes


def _has_provisioned(result: SimulationResult) -> bool:
    series = result.timeseries
    return any(series["provisioned_busy"]) or any(series["provisioned_idle"])


def _handles(top: bool, provisioned: bool) -> list[Any]:
    if top:
        return [charts.handle("ran", "ran"), charts.handle("throttle", "throttled (429)")]
    return ([charts.handle("reference", "concurrency", kind="line"),
             charts.handle("cold_start", "cold starts")]
            + ([charts.handle("provisioned", "provisioned environments", kind="line",
                              linewidth=2)] if provisioned else []))


def plot_scaling(result: SimulationResult, axes: Any = None, title: str | None = None,
                 legend: bool = True) -> charts.Chart:
    """Draw one simulation, one bar per simulated second.

    Top: requests that ran and were throttled, per second. Bottom: the highest
    concurrency in each second (black line), provisioned environments (a line over a
    light area, when there are any) and cold starts (bars). Colours are the course's.

    axes: two matplotlib Axes (top, bottom) to draw into; by default a new figure.
    title: the title above the top panel (default: the scaling rule).
    legend: put each panel's legend beside it (:func:`compare` puts one below instead).

    Returns a :class:`~lambdakit.course.charts.Chart`; ``str(chart)`` says what it shows.
    """
    if axes is None:
        fig, grid = _figure(8, 4.6)
        axes = grid[:, 0]
    _draw(result, axes, title, legend)
    name = title if title is not None else result.scaling
    return charts.Chart(axes[0].figure, "Scaling chart, second by second: "
                        + describe_scaling(name, result))


def _draw(result: SimulationResult, axes: Any, title: str | None, legend: bool) -> None:
    top, bottom = axes
    series = result.timeseries
    seconds = series["second"]
    top.bar(seconds, series["invocations"], width=1.0, color=RAN_COLOR, label="ran")
    top.bar(seconds, series["throttles"], width=1.0, bottom=series["invocations"],
            color=THROTTLE_COLOR, label="throttled (429)")
    charts.label(top, title if title is not None else result.scaling, y="requests per second")
    provisioned = _has_provisioned(result)
    if provisioned:
        top_provisioned = [b + i for b, i in zip(series["provisioned_busy"],
                                                 series["provisioned_idle"])]
        bottom.fill_between(seconds, 0, top_provisioned, step="mid", color=PROVISIONED_COLOR,
                            alpha=0.15, linewidth=0)
        bottom.step(seconds, top_provisioned, where="mid", color=PROVISIONED_COLOR, linewidth=2,
                    label="provisioned environments")
    bottom.bar(seconds, series["cold_starts"], width=1.0, color=COLD_COLOR,
               label="cold starts")
    bottom.step(seconds, series["concurrency_max"], where="mid", color=CONCURRENCY_COLOR,
                label="concurrency")
    charts.label(bottom, None, x="simulated time (s)", y="environments")
    if legend:
        charts.legend_outside(top, _handles(True, provisioned))
        charts.legend_outside(bottom, _handles(False, provisioned))
    for ax in axes:
        ax.grid(axis="y", alpha=0.3)


def describe_scaling(name: str, result: SimulationResult) -> str:
    """One simulation in words: what ran, what was throttled and when, concurrency, cold starts."""
    series = result.timeseries
    seconds = list(series["second"])
    throttled = [s for s, t in zip(seconds, series["throttles"]) if t]
    when = (f" between second {throttled[0]} and {throttled[-1]}" if throttled else "")
    peak = max(series["concurrency_max"], default=0)
    provisioned = max((b + i for b, i in zip(series["provisioned_busy"],
                                             series["provisioned_idle"])), default=0)
    text = (f"{name}: over {len(seconds)} simulated seconds, {result.invocations:,} requests ran "
            f"and {result.throttles:,} were throttled (429){when}; concurrency peaked at "
            f"{peak:,} environments; {result.cold_starts:,} cold starts")
    if provisioned:
        text += f"; {provisioned:,} provisioned environments ready in advance"
    return text + "."


def compare(results: Mapping[str, SimulationResult]) -> charts.Chart:
    """Draw several simulations side by side (one column each, shared axes), titled by key,
    with one legend below them all."""
    if not results:
        raise ValueError("compare needs at least one result")
    fig, grid = _figure(3.8 * len(results) + 0.8, 5.0, ncols=len(results))
    for column, (label, result) in enumerate(results.items()):
        _draw(result, grid[:, column], label, legend=False)
        if column:
            grid[0, column].set_ylabel("")
            grid[1, column].set_ylabel("")
    provisioned = any(_has_provisioned(result) for result in results.values())
    charts.legend_outside(fig, _handles(True, provisioned) + _handles(False, provisioned),
                          below=True, ncols=5)
    parts = " | ".join(describe_scaling(label, result) for label, result in results.items())
    return charts.Chart(fig, f"{len(results)} scaling charts side by side, requests per second "
                             f"(top) and environments (bottom) against simulated time. {parts}")


def summary_table(results: Mapping[str, SimulationResult]) -> str:
    """One line per simulation: requests that ran, throttles, cold starts, p99 latency, cost."""
    width = max([12] + [len(label) for label in results])
    lines = [f"{'':<{width}} {'ran':>7} {'throttled':>11} {'cold starts':>12} "
             f"{'p99 ms':>10} {'cost (USD)':>12}"]
    for label, r in results.items():
        lines.append(f"{label:<{width}} {r.invocations:>7,} {r.throttles:>11,} "
                     f"{r.cold_starts:>12,} {r.latency_ms['p99']:>10.1f} {r.cost.total_usd:>12.6f}")
    return "\n".join(lines)


class _Explorer:
    """Sliders, a chart and a table; ``update()`` redraws; ``results``, ``figure``: the latest."""

    def __init__(self, controls: list[Any]):
        import ipywidgets as w

        self.controls = controls
        self.results: dict[str, SimulationResult] = {}
        self.figure: charts.Chart | None = None
        self.table = w.HTML()
        self.output = w.Output()
        for control in controls:
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([slider_names(), *controls, self.output, self.table])

    def simulations(self) -> dict[str, SimulationResult]:  # pragma: no cover - abstract
        raise NotImplementedError

    def update(self) -> dict[str, SimulationResult]:
        """Simulate with the sliders' values; redraw the chart and the table."""
        import html

        from IPython.display import display

        try:
            self.results = self.simulations()
        except (ValueError, ConcurrencyConfigError) as error:
            self.results, self.figure = {}, None
            self.table.value = f"<p style='color:#b42318'>{html.escape(str(error))}</p>"
            self.output.clear_output()
            return {}
        self.figure = compare(self.results)
        self.table.value = f"<pre>{html.escape(summary_table(self.results))}</pre>"
        self.output.clear_output(wait=True)
        with self.output:
            display(self.figure)
        return self.results

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def _slider(kind: str, value: float, low: float, high: float, step: float, text: str) -> Any:
    import ipywidgets as w

    cls = w.IntSlider if kind == "int" else w.FloatSlider
    return cls(value=value, min=low, max=high, step=step, description=text,
               continuous_update=False, style={"description_width": "200px"},
               layout=w.Layout(width="520px"))


class ScalingExplorer(_Explorer):
    """Today's scaling rule and the legacy burst rule, against the same flash sale."""

    def __init__(self, baseline_rps: int, peak_rps: int, duration_ms: int, region: str,
                 account_limit: int):
        import ipywidgets as w

        self.baseline = _slider("int", baseline_rps, 0, 1000, 50, "baseline requests / s")
        self.peak = _slider("int", peak_rps, 0, 5000, 100, "peak requests / s")
        self.duration = _slider("int", duration_ms, 100, 3000, 100, "duration (ms)")
        self.account_limit = _slider("int", account_limit, 1000, 10000, 500,
                                     "account concurrency limit")
        self.region = w.Dropdown(options=["eu-west-3", "eu-central-1", "us-east-1"], value=region,
                                 description="Region (legacy burst)",
                                 style={"description_width": "200px"})
        super().__init__([self.baseline, self.peak, self.duration, self.account_limit,
                          self.region])
        self.update()

    def simulations(self) -> dict[str, SimulationResult]:
        sale = flash_sale(self.baseline.value, max(self.peak.value, self.baseline.value))
        common = dict(duration_ms=self.duration.value, account_limit=self.account_limit.value)
        legacy = legacy_burst(self.region.value)
        return {"current: 1,000 per function per 10 s": simulate(sale, scaling=CURRENT, **common),
                f"legacy: {legacy.capacity:,} burst, +500/min": simulate(sale, scaling=legacy,
                                                                        **common)}


def scaling_explorer(baseline_rps: int = 100, peak_rps: int = 2500, duration_ms: int = 1000,
                     region: str = "eu-west-3", account_limit: int = 5000) -> ScalingExplorer:
    """Compare today's scaling rule with the legacy burst rule on a flash sale, with sliders.

    baseline_rps, peak_rps: traffic before and during the peak (see :func:`flash_sale`).
    duration_ms: how long each request runs.
    region: picks the legacy rule's initial burst (500, 1,000 or 3,000).
    account_limit: the account's concurrency limit (raised, so the scaling rate shows).

    >>> scaling_explorer(peak_rps=3000)     # doctest: +SKIP
    """
    return ScalingExplorer(baseline_rps, peak_rps, duration_ms, region, account_limit)


class SettingsExplorer(_Explorer):
    """One flash sale without settings, and with the chosen reserved and provisioned concurrency."""

    def __init__(self, baseline_rps: int, peak_rps: int, duration_ms: int, init_ms: int,
                 reserved: int, provisioned: int):
        self.baseline = _slider("int", baseline_rps, 0, 500, 10, "baseline requests / s")
        self.peak = _slider("int", peak_rps, 0, 2000, 50, "peak requests / s")
        self.duration = _slider("int", duration_ms, 50, 2000, 50, "duration (ms)")
        self.init = _slider("int", init_ms, 0, 3000, 100, "Init on a cold start (ms)")
        self.reserved = _slider("int", reserved, 0, 900, 10, "reserved (0: none)")
        self.provisioned = _slider("int", provisioned, 0, 900, 10, "provisioned")
        super().__init__([self.baseline, self.peak, self.duration, self.init, self.reserved,
                          self.provisioned])
        self.update()

    def simulations(self) -> dict[str, SimulationResult]:
        sale = flash_sale(self.baseline.value, max(self.peak.value, self.baseline.value))
        common = dict(duration_ms=self.duration.value, init_ms=self.init.value)
        reserved, provisioned = self.reserved.value or None, self.provisioned.value
        label = ", ".join(filter(None, [reserved and f"reserved {reserved}",
                                        provisioned and f"provisioned {provisioned}"]))
        return {"no settings": simulate(sale, **common),
                label or "(choose reserved or provisioned)": simulate(
                    sale, reserved=reserved, provisioned=provisioned, **common)}


def settings_explorer(baseline_rps: int = 100, peak_rps: int = 600, duration_ms: int = 500,
                      init_ms: int = 800, reserved: int = 200,
                      provisioned: int = 100) -> SettingsExplorer:
    """Reserved and provisioned concurrency in a flash sale, next to the same sale without them.

    baseline_rps, peak_rps, duration_ms: the traffic (see :func:`flash_sale`).
    init_ms: how long a cold start's Init takes (provisioned environments skip it).
    reserved: reserved concurrency (0: none); it caps the function and guarantees it.
    provisioned: provisioned concurrency; at most ``reserved`` when both are set.

    >>> settings_explorer(reserved=0, provisioned=300)     # doctest: +SKIP
    """
    return SettingsExplorer(baseline_rps, peak_rps, duration_ms, init_ms, reserved, provisioned)
