"""One palette and one way to show a chart, for every chart in the course.

Why one module: a colour should mean the same thing in every lesson (a cold start
is never a throttle somewhere else), and every chart should reach every learner:
sharp on high-resolution screens, and described in words for anyone who cannot
see it (the description is the image's alt text, read by screen readers).

- :data:`PALETTE` one colour per meaning (Okabe-Ito's colour-blind-safe hues,
  darkened where needed to reach 3:1 contrast against white, WCAG's minimum for
  graphical objects). :func:`color` and :func:`handle` read it.
- :func:`new_figure` a figure in the course's style; :func:`label` gives an Axes its
  title and axis labels; :func:`legend_outside` puts a legend beside the plot, where
  it cannot hide data.
- :class:`Chart` a figure with its text summary. In Jupyter it shows as a PNG drawn
  at twice its display size, with the summary as alt text; ``str(chart)`` is the summary.
  It also works inside ``ipywidgets.Output`` (``display(chart)``).

>>> from lambdakit.course import charts
>>> fig = charts.new_figure(4, 2.5)
>>> ax = fig.add_subplot()
>>> _ = ax.bar([0, 1], [3, 1], color=[charts.color("ran"), charts.color("throttle")])
>>> charts.label(ax, "Two seconds of traffic", x="second", y="requests per second")
>>> chart = charts.Chart(fig, "Bar chart: 3 requests ran, then 1 was throttled.")
>>> str(chart)
'Bar chart: 3 requests ran, then 1 was throttled.'
>>> 'alt="Bar chart: 3 requests ran' in chart.html()
True
"""
from __future__ import annotations

import base64
import dataclasses
import html as _html
import io
import struct
from typing import Any

__all__ = ["Meaning", "PALETTE", "color", "meaning_of", "handle", "new_figure", "label",
           "legend_outside", "Chart", "problems", "DISPLAY_DPI", "SCALE"]


@dataclasses.dataclass(frozen=True)
class Meaning:
    """A palette entry: the colour, and what it stands for wherever it is used."""

    color: str
    means: str


#: The course's colours: one meaning each, in every lesson. Each reaches at least 3:1
#: contrast against white (tests/test_course_charts.py measures it).
PALETTE: dict[str, Meaning] = {
    "ran": Meaning("#0072B2", "a request that ran: the handler's work (Invoke), its count, "
                              "its duration"),
    "cold_start": Meaning("#B07A00", "a cold start: Init in a new execution environment"),
    "throttle": Meaning("#B0588A", "a request refused with 429 (throttled)"),
    "error": Meaning("#D55E00", "an error, or a request that failed"),
    "success": Meaning("#007F5F", "a request or a step that succeeded"),
    "provisioned": Meaning("#1C86C8", "provisioned concurrency: environments ready in advance"),
    "cost": Meaning("#857C0A", "money (USD)"),
    "reference": Meaning("#000000", "a configured value, a limit, a total or a measurement"),
    "other": Meaning("#4D4D4D", "other functions' requests"),
    "empty": Meaning("#8A8A8A", "capacity not in use (drawn as an outline)"),
}

#: CSS pixels per inch of a figure's display size, and how many PNG pixels per CSS pixel.
DISPLAY_DPI, SCALE = 96, 2
#: Text sizes (points): nothing smaller than 9 pt at the display size.
TITLE_PT, LABEL_PT, TICK_PT, LEGEND_PT = 11, 10, 9, 9


def color(meaning: str) -> str:
    """The colour of ``meaning`` (a key of :data:`PALETTE`).

    >>> color("cold_start")
    '#B07A00'
    """
    try:
        return PALETTE[meaning].color
    except KeyError:
        raise KeyError(f"no colour means {meaning!r}; the palette has "
                       f"{', '.join(PALETTE)}") from None


def meaning_of(any_color: Any) -> str | None:
    """The palette meaning of a colour (any matplotlib colour spec), or None if it has none.

    >>> meaning_of("#d55e00")
    'error'
    """
    from matplotlib.colors import to_hex

    wanted = to_hex(any_color, keep_alpha=False).lower()
    for key, entry in PALETTE.items():
        if entry.color.lower() == wanted:
            return key
    return None


def handle(meaning: str, label: str, kind: str = "patch", **style: Any) -> Any:
    """A legend entry in ``meaning``'s colour: ``kind`` is ``"patch"`` (a filled square),
    ``"outline"`` (an empty square), ``"line"`` or ``"marker"`` (a marker without a line;
    give ``marker=``).

    >>> handle("throttle", "throttled (429)").get_label()
    'throttled (429)'
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    c = color(meaning)
    if kind == "patch":
        return Patch(facecolor=c, edgecolor=c, label=label, **style)
    if kind == "outline":
        return Patch(facecolor="white", edgecolor=c, linewidth=1.5, label=label, **style)
    if kind == "line":
        return Line2D([], [], color=c, label=label, **style)
    if kind == "marker":
        style.setdefault("marker", "o")
        return Line2D([], [], color=c, linestyle="none", label=label, **style)
    raise ValueError(f"kind must be patch, outline, line or marker, not {kind!r}")


def new_figure(width: float, height: float) -> Any:
    """A matplotlib Figure (``width`` x ``height`` inches at the display size), laid out
    so that titles, labels and outside legends fit. Made without pyplot, so nothing is
    shown twice and nothing stays in memory after the chart is gone."""
    from matplotlib.figure import Figure

    # whole CSS pixels, so the PNG is exactly SCALE times its display size
    size = (round(width * DISPLAY_DPI) / DISPLAY_DPI, round(height * DISPLAY_DPI) / DISPLAY_DPI)
    return Figure(figsize=size, dpi=DISPLAY_DPI, layout="constrained")


def label(ax: Any, title: str | None, x: str | None = None, y: str | None = None) -> None:
    """Give ``ax`` a title and axis labels (say the unit: "latency (ms)"), in the course's
    text sizes. ``None`` leaves that one as it is."""
    if title is not None:
        ax.set_title(title, fontsize=TITLE_PT)
    if x is not None:
        ax.set_xlabel(x, fontsize=LABEL_PT)
    if y is not None:
        ax.set_ylabel(y, fontsize=LABEL_PT)
    ax.tick_params(labelsize=TICK_PT)


def legend_outside(where: Any, handles: list[Any] | None = None, below: bool = False,
                   ncols: int = 1) -> Any:
    """A legend beside the plot (right, or ``below``), never over the data.

    where: an Axes, or a Figure for one legend for all its panels.
    handles: the entries (default: the labelled artists of ``where``).
    """
    from matplotlib.figure import Figure

    kwargs: dict[str, Any] = dict(fontsize=LEGEND_PT, frameon=False, ncols=ncols)
    if handles is not None:
        kwargs["handles"] = handles
    if isinstance(where, Figure):
        return where.legend(loc="outside lower center" if below else "outside right upper",
                            **kwargs)
    if below:
        return where.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), **kwargs)
    return where.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0,
                        **kwargs)


def problems(figure: Any) -> list[str]:
    """What keeps ``figure`` from being a course chart: no title, an axis without a label.

    An axis shared with (or twinned to) a labelled one counts as labelled; an Axes drawn
    with ``axis("off")`` (a floor plan) needs only the title.
    """
    found = []
    titles = [ax.get_title() for ax in figure.axes]
    if not any(titles) and not (figure._suptitle and figure._suptitle.get_text()):
        found.append("no title")
    for n, ax in enumerate(figure.axes):
        if not ax.axison:
            continue
        for which in ("x", "y"):
            siblings = getattr(ax, f"get_shared_{which}_axes")().get_siblings(ax)
            if not any(getattr(other, f"get_{which}label")() for other in siblings):
                found.append(f"axes {n} has no {which} label")
    return found


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class Chart:
    """A figure and its text summary, shown sharp and described.

    figure: the matplotlib Figure (attributes not defined here read through to it, so
        ``chart.axes`` and ``chart.savefig(...)`` work as on the figure).
    alt: the chart's text summary: what it shows and what it says. It becomes the
        image's alt text, the text a screen reader reads, and ``str(chart)``.

    Raises ``ValueError`` for a chart without a summary, a title or axis labels: a chart
    that some learners cannot read is a bug, found when it is made rather than later.
    """

    def __init__(self, figure: Any, alt: str):
        if not alt or not alt.strip():
            raise ValueError("a chart needs its text summary (alt text)")
        missing = problems(figure)
        if missing:
            raise ValueError(f"not a complete chart: {'; '.join(missing)}")
        self.figure = figure
        self.alt = " ".join(alt.split())
        self._png: bytes | None = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("figure", "alt", "_png"):
            raise AttributeError(name)
        return getattr(self.figure, name)

    def __str__(self) -> str:
        return self.alt

    def __repr__(self) -> str:
        return f"<Chart: {self.alt}>"

    def png(self) -> bytes:
        """The chart as PNG, at :data:`SCALE` times its display size (sharp on hi-DPI)."""
        if self._png is None:
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", dpi=DISPLAY_DPI * SCALE,
                                facecolor="white")
            self._png = buffer.getvalue()
        return self._png

    def size(self) -> tuple[int, int]:
        """Display size in CSS pixels (the PNG has :data:`SCALE` times as many)."""
        width, height = _png_size(self.png())
        return round(width / SCALE), round(height / SCALE)

    def html(self) -> str:
        """An ``<img>`` with the PNG inline, its display size, and the summary as alt text."""
        width, height = self.size()
        data = base64.b64encode(self.png()).decode("ascii")
        return (f'<img class="lk-chart" src="data:image/png;base64,{data}" '
                f'alt="{_html.escape(self.alt, quote=True)}" width="{width}" height="{height}" '
                f'style="max-width:100%;height:auto">')

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": str(self)}

    def show(self) -> None:
        """Display the chart here (in a cell's output, or inside an ``Output`` widget)."""
        from IPython.display import display

        display(self)
