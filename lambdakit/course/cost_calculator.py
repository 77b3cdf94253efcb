"""A monthly Lambda bill, line by line, and a calculator with sliders to play with it.

Every number comes from :func:`lambdakit.costs.cost` (the kit's one pricing rule,
with AWS's list prices for US East (N. Virginia) in :data:`lambdakit.costs.PRICES`).

>>> from lambdakit.course.cost_calculator import bill_lines
>>> for line in bill_lines(3_000_000, 120, 512, "arm64", free_tier=True):
...     print(f"{line.item:<10} {line.usd:>9.2f}   {line.how}")
requests        0.60   3,000,000 requests × $0.20 per million
compute         2.40   3,000,000 × 120 ms × 0.5 GB = 180,000 GB-s × $0.0000133334
free tier      -2.60   first 1,000,000 requests and 400,000 GB-s each month
total           0.40   $0.13 per million requests
"""
from __future__ import annotations

import dataclasses
import html
from typing import Any

from .. import costs
from .controls import slider_names

__all__ = ["BillLine", "bill_lines", "bill_html", "cost_calculator", "CostCalculator"]


@dataclasses.dataclass(frozen=True)
class BillLine:
    """One line of a bill: what is charged, how it is counted, and the amount in USD."""

    item: str
    how: str
    usd: float


def bill_lines(requests: int, duration_ms: float, memory_mb: int = 128,
               architecture: str = "x86_64", *, free_tier: bool = False) -> list[BillLine]:
    """The bill for a month of ``requests`` invocations, each lasting ``duration_ms``.

    requests: invocations in the month.
    duration_ms: average duration of one invocation (billed rounded up to 1 ms).
    memory_mb: the function's memory (128 to 10,240 MB); you pay for what you configure.
    architecture: ``"x86_64"`` or ``"arm64"`` (arm64 is cheaper per GB-second).
    free_tier: subtract the monthly free tier (1M requests and 400,000 GB-seconds).

    Returns the lines: requests, compute, free tier (if asked for) and total.
    """
    bill = costs.cost(requests, duration_ms, memory_mb, architecture, free_tier=free_tier)
    prices = costs.PRICES
    rate = prices["duration_per_gb_second"][architecture]
    billed = costs.billed_ms(duration_ms)
    lines = [
        BillLine("requests",
                 f"{requests:,} requests × ${prices['request_per_million']:.2f} per million",
                 bill.requests_usd),
        BillLine("compute", f"{requests:,} × {billed:,} ms × {memory_mb / 1024:g} GB = "
                            f"{_amount(bill.gb_seconds)} GB-s × ${rate:.10f}".rstrip("0"),
                 bill.duration_usd),
    ]
    if free_tier:
        free = prices["free_tier"]
        lines.append(BillLine("free tier", f"first {free['requests']:,} requests and "
                                           f"{free['gb_seconds']:,} GB-s each month",
                              bill.free_tier_usd))
    per_million = bill.total_usd / requests * 1e6 if requests else 0.0
    lines.append(BillLine("total", f"${per_million:,.2f} per million requests", bill.total_usd))
    return lines


def _amount(value: float) -> str:
    """Thousands separators for big numbers, three significant digits for small ones."""
    return f"{value:,.0f}" if abs(value) >= 100 or value == 0 else f"{value:.3g}"


def _usd(value: float) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 0.01 or value == 0:
        return f"{sign}${value:,.2f}"
    return f"{sign}${value:.8f}".rstrip("0")


def bill_html(lines: list[BillLine]) -> str:
    """The lines as an HTML table (for a notebook)."""
    def bold(text: str, line: BillLine) -> str:
        return f"<b>{text}</b>" if line.item == "total" else text

    rows = "".join(
        f"<tr><td style='text-align:left'>{bold(line.item, line)}</td>"
        f"<td style='text-align:left'>{html.escape(line.how)}</td>"
        f"<td style='text-align:right'>{bold(_usd(line.usd), line)}</td></tr>"
        for line in lines)
    return ("<table><tr><th style='text-align:left'>charge</th>"
            "<th style='text-align:left'>how it is counted</th>"
            f"<th style='text-align:right'>USD / month</th></tr>{rows}</table>")


class CostCalculator:
    """Sliders for traffic and configuration, and the monthly bill they add up to.

    Made by :func:`cost_calculator`; displays itself in Jupyter. Moving a control
    recomputes the bill; ``update()`` does the same from Python and ``lines`` holds
    the latest bill.
    """

    def __init__(self, requests: int, duration_ms: int, memory_mb: int, architecture: str,
                 free_tier: bool):
        import ipywidgets as w

        style, layout = {"description_width": "170px"}, w.Layout(width="520px")
        self.requests = w.FloatLogSlider(value=requests, base=10, min=3, max=9, step=0.1,
                                         description="requests per month", readout_format=",.3s",
                                         style=style, layout=layout, continuous_update=False)
        self.duration = w.IntSlider(value=duration_ms, min=1, max=5000,
                                    description="average duration (ms)", style=style,
                                    layout=layout, continuous_update=False)
        self.memory = w.SelectionSlider(options=list(costs.POWER_TUNING_SIZES), value=memory_mb,
                                        description="memory (MB)", style=style, layout=layout,
                                        continuous_update=False)
        self.architecture = w.ToggleButtons(options=list(costs.ARCHITECTURES), value=architecture,
                                            description="architecture", style=style)
        self.free_tier = w.Checkbox(value=free_tier, description="subtract the free tier",
                                    indent=False)
        self.table = w.HTML()
        self.lines: list[BillLine] = []
        controls = [self.requests, self.duration, self.memory, self.architecture, self.free_tier]
        for control in controls:
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox([slider_names(), *controls, self.table])
        self.update()

    def update(self) -> list[BillLine]:
        """Recompute the bill from the controls' values."""
        self.lines = bill_lines(round(self.requests.value), self.duration.value, self.memory.value,
                                self.architecture.value, free_tier=self.free_tier.value)
        self.table.value = bill_html(self.lines)
        return self.lines

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def cost_calculator(requests: int = 3_000_000, duration_ms: int = 120, memory_mb: int = 512,
                    architecture: str = "x86_64", free_tier: bool = True) -> CostCalculator:
    """A cost calculator: five controls and the monthly bill, line by line.

    The arguments are the controls' starting values (see :func:`bill_lines`);
    ``memory_mb`` must be one of :data:`lambdakit.costs.POWER_TUNING_SIZES`.

    >>> cost_calculator(requests=10_000_000, architecture="arm64")     # doctest: +SKIP
    """
    if memory_mb not in costs.POWER_TUNING_SIZES:
        raise ValueError(f"memory_mb must be one of {costs.POWER_TUNING_SIZES}, got {memory_mb}")
    return CostCalculator(requests, duration_ms, memory_mb, architecture, free_tier)
