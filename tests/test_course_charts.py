"""Every chart of the course: one palette with one meaning per colour, alt text that says what
the chart shows, a title, labelled axes, a legend that hides no data, sharp on hi-DPI screens."""
from __future__ import annotations

import datetime as dt
import html
import re
from collections import Counter

import pytest

from lambdakit import costs
from lambdakit.concurrency import legacy_burst
from lambdakit.course import charts, monitoring, rollout
from lambdakit.course.power_tuning import plot_power_tuning
from lambdakit.course.restaurant import plot_restaurant, seat
from lambdakit.course.scaling_charts import compare, flash_sale, plot_scaling
from lambdakit.course.timeline import plot_timeline
from lambdakit.simulator import simulate

from test_course_timeline import fake_records


def _luminance(hex_color):
    def channel(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def test_every_palette_colour_is_distinct_and_reaches_3_to_1_against_white():
    colours = [entry.color.lower() for entry in charts.PALETTE.values()]
    assert len(set(colours)) == len(colours), "one meaning per colour"
    for meaning, entry in charts.PALETTE.items():
        contrast = 1.05 / (_luminance(entry.color) + 0.05)
        assert contrast >= 3.0, f"{meaning} {entry.color}: {contrast:.2f}:1 against white"
    assert charts.meaning_of(charts.color("throttle")) == "throttle"
    with pytest.raises(KeyError, match="no colour means 'orange'.*cold_start"):
        charts.color("orange")


# -- one factory per chart helper of the course ----------------------------------------------
def _metrics_table():
    now = dt.datetime.now(dt.timezone.utc)
    metrics = [("Invocations", "Sum"), ("Errors", "Sum"), ("Throttles", "Sum"),
               ("Duration", "Maximum")]
    values = {("orders", "Invocations"): 40.0, ("orders", "Errors"): 3.0,
              ("orders", "Throttles"): None, ("orders", "Duration"): 812.0,
              ("notify", "Invocations"): 12.0, ("notify", "Errors"): 0.0,
              ("notify", "Throttles"): 5.0, ("notify", "Duration"): None}
    return monitoring.MetricsTable(["orders", "notify"], metrics, values,
                                   now - dt.timedelta(minutes=15), now)


def _deployment():
    result = rollout.Deployment("orders", "live", "1", "2", "Canary10Percent5Minutes",
                                status="RolledBack", weights=[(0, 0.0), (0, 0.1), (60, 0.0)])
    result.bursts += [(0, 0.1, Counter({"1": 9, "2": 1}), 0), (30, 0.1, Counter({"2": 2}), 1)]
    return result


SALE = flash_sale(baseline_rps=100, peak_rps=1500, peak_at_s=5, peak_s=10, total_s=20)
CHARTS = {
    # name: (make the chart, words its alt text must contain)
    "timeline": (lambda: plot_timeline(fake_records()),
                 ["Timeline", "3 requests", "2 execution environments", "2 cold starts",
                  "Init took 80 to 100 ms", "p50"]),
    "scaling": (lambda: plot_scaling(simulate(SALE, duration_ms=1000, account_limit=1000,
                                              provisioned=50)),
                ["Scaling chart", "requests ran", "throttled", "concurrency peaked",
                 "cold starts", "50 provisioned"]),
    "compare": (lambda: compare({"current": simulate(SALE, duration_ms=1000),
                                 "legacy": simulate(SALE, duration_ms=1000,
                                                    scaling=legacy_burst("eu-west-3"))}),
                ["2 scaling charts", "current:", "legacy:", "throttled"]),
    "power tuning": (lambda: plot_power_tuning(costs.power_tuning(400, 512,
                                                                  [128, 512, 1769, 3008])),
                     ["Power-tuning chart", "128 to 3,008 MB", "measured at 512 MB: 400 ms",
                      "projection", "cheapest", "fastest: 1,769 MB"]),
    "restaurant": (lambda: plot_restaurant(seat(tables=120, reserved=10, laid=4, party=12,
                                                walk_ins=115)),
                   ["Floor plan", "4 party, table laid in advance", "6 party, table set on "
                    "arrival (cold start)", "2 turned away", "110 seated"]),
    "restaurant, empty tables": (
        lambda: plot_restaurant(seat(tables=120, reserved=10, laid=8, party=3, walk_ins=50)),
        ["Floor plan", "3 party, table laid in advance", "5 laid in advance (provisioned), empty",
         "2 reserved for the party, empty", "60 open to anyone, empty"]),
    "restaurant, no reservation": (
        lambda: plot_restaurant(seat(tables=120, reserved=0, laid=5, party=20, walk_ins=60)),
        ["Floor plan", "among the walk-ins", "60 walk-in"]),
    "metrics": (lambda: monitoring.metrics_chart(_metrics_table()),
                ["Bar chart of Lambda metrics", "last 15 minutes", "orders: 40 Invocations, "
                 "3 Errors, 0 Throttles, Duration 812 ms", "notify: 12 Invocations"]),
    "rollout": (lambda: rollout.plot_rollout(_deployment()),
                ["share of traffic", "version 2", "RolledBack", "10% at minute 0",
                 "2 bursts measured, 1 with errors"]),
    "schedule": (lambda: rollout.plot_schedule("Linear10PercentEvery2Minutes"),
                 ["Step chart", "Linear10PercentEvery2Minutes", "100% at minute 18"]),
}

#: What a legend entry's words mean, wherever it appears: its colour must be that meaning's.
WORDS = [(r"cold start|^Init", "cold_start"), (r"throttl", "throttle"), (r"error", "error"),
         (r"without errors", "success"), (r"provisioned", "provisioned"), (r"^cost", "cost"),
         (r"^Invocations|^ran$|^Invoke|^duration", "ran"), (r"walk-in \(", "other"),
         (r"^concurrency|configured|^measured$", "reference")]


def _meaning_of_label(text, outline=False):
    """The meaning a legend entry's words give its colour. An outline is an empty place,
    drawn in the colour of what would fill it (or in the empty colour)."""
    if outline:
        text = text.replace(", empty", "")
    for pattern, meaning in reversed(WORDS):  # the most specific words are listed last
        if re.search(pattern, text, re.IGNORECASE):
            return meaning
    return "empty" if outline else None


def _legends(chart):
    legends = list(chart.figure.legends)
    for ax in chart.figure.axes:
        if ax.get_legend() is not None:
            legends.append(ax.get_legend())
    return legends


def _colour_of(artist):
    from matplotlib.colors import to_hex

    if hasattr(artist, "get_hatch") and artist.get_hatch() or (
            hasattr(artist, "get_facecolor") and artist.get_facecolor()[3] == 0) or (
            hasattr(artist, "get_facecolor") and to_hex(artist.get_facecolor()) == "#ffffff"):
        return to_hex(artist.get_edgecolor())
    if hasattr(artist, "get_color") and not hasattr(artist, "get_facecolor"):
        return to_hex(artist.get_color())
    return to_hex(artist.get_facecolor())


def _data_colours(chart):
    """Every colour the chart's data is drawn in (bars, squares, lines, markers, areas)."""
    from matplotlib.colors import to_hex

    found = set()
    for ax in chart.figure.axes:
        for patch in ax.patches:
            found.add(_colour_of(patch))
        for line in ax.get_lines():
            found.add(to_hex(line.get_color()))
        for collection in ax.collections:
            found.update(to_hex(c) for c in collection.get_facecolors())
    return found - {"#ffffff"}


@pytest.fixture(params=list(CHARTS), scope="module")
def made(request):
    make, words = CHARTS[request.param]
    chart = make()
    yield request.param, chart, words
    import matplotlib.pyplot as plt
    plt.close("all")


def test_alt_text_names_what_the_chart_shows(made):
    name, chart, words = made
    assert isinstance(chart, charts.Chart)
    for word in words:
        assert word in chart.alt, f"{name}: {word!r} not in {chart.alt!r}"
    assert str(chart) == chart.alt


def test_title_and_labelled_axes(made):
    name, chart, _ = made
    assert charts.problems(chart.figure) == []
    for ax in chart.figure.axes:
        if ax.axison and ax.get_xlabel():
            assert re.search(r"\((ms|s|min|MB)\)|, ms|minutes|count", ax.get_xlabel()), \
                f"{name}: x axis {ax.get_xlabel()!r} has no unit"


def test_colours_come_from_the_palette_with_one_meaning_each(made):
    name, chart, _ = made
    palette = {entry.color.lower() for entry in charts.PALETTE.values()}
    for colour in _data_colours(chart):
        assert colour in palette, f"{name}: {colour} is not a palette colour"
    entries = 0
    for legend in _legends(chart):
        for handle, text in zip(legend.legend_handles, legend.get_texts()):
            outline = (hasattr(handle, "get_facecolor") and not hasattr(handle, "get_marker")
                       and handle.get_facecolor()[:3] == (1, 1, 1))
            meaning = _meaning_of_label(text.get_text(), outline)
            if meaning is None or (hasattr(handle, "get_marker")
                                   and handle.get_marker() in ("none", "None", "")
                                   and handle.get_linestyle() in ("none", "None")):
                continue  # a text-only entry (the cheapest size, ...)
            entries += 1
            assert charts.meaning_of(_colour_of(handle)) == meaning, \
                f"{name}: {text.get_text()!r} is drawn in {_colour_of(handle)}"
    if name != "schedule":
        assert entries >= 2, f"{name}: no legend entries checked"


def test_legend_hides_no_data(made):
    name, chart, _ = made
    chart.figure.draw_without_rendering()  # lays the figure out
    for legend in _legends(chart):
        box = legend.get_window_extent()
        for ax in chart.figure.axes:
            if ax.axison or ax.patches:
                inside = ax.get_window_extent()
                assert not box.overlaps(inside), f"{name}: the legend overlaps an Axes"


def test_shown_as_a_sharp_png_with_the_summary_as_alt_text(made):
    name, chart, _ = made
    png = chart.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width_px, height_px = charts._png_size(png)
    width, height = chart.size()
    assert (width_px, height_px) == (2 * width, 2 * height)
    bundle = chart._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/plain"}
    img = bundle["text/html"]
    assert img.startswith('<img class="lk-chart" src="data:image/png;base64,')
    assert f'alt="{html.escape(chart.alt, quote=True)}"' in img
    assert f'width="{width}" height="{height}"' in img
    assert bundle["text/plain"] == chart.alt


def test_ipython_displays_the_chart_with_its_alt_text():
    from IPython.core.interactiveshell import InteractiveShell

    chart = rollout.plot_schedule("AllAtOnce")
    data, _ = InteractiveShell.instance().display_formatter.format(chart)
    assert 'alt="Step chart of the AllAtOnce schedule' in data["text/html"]


def test_a_chart_without_summary_title_or_axis_labels_is_refused():
    fig = charts.new_figure(3, 2)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color=charts.color("ran"))
    with pytest.raises(ValueError, match="no title; axes 0 has no x label; axes 0 has no y"):
        charts.Chart(fig, "a line")
    charts.label(ax, "A line", x="time (s)", y="requests")
    with pytest.raises(ValueError, match="text summary"):
        charts.Chart(fig, "  ")
    chart = charts.Chart(fig, "A line from 0 to 1.")
    assert chart.axes == fig.axes  # reads through to the figure


def test_handle_kinds():
    assert charts.handle("cost", "cost", kind="outline").get_facecolor()[:3] == (1, 1, 1)
    with pytest.raises(ValueError, match="kind must be"):
        charts.handle("cost", "cost", kind="dots")
