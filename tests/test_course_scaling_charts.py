"""lambdakit.course.scaling_charts: flash-sale traffic, simulator charts and explorers."""
from __future__ import annotations

import doctest
import random

import pytest

from lambdakit.concurrency import legacy_burst
from lambdakit.course import scaling_charts
from lambdakit.course.scaling_charts import (compare, flash_sale, plot_scaling, scaling_explorer,
                                             settings_explorer, summary_table)
from lambdakit.simulator import Spike, simulate


def test_flash_sale_adds_the_peak_on_top_of_the_baseline():
    times = flash_sale(baseline_rps=10, peak_rps=50, peak_at_s=2, peak_s=1, total_s=4).times(
        random.Random(0))
    per_second = [sum(1 for t in times if s <= t < s + 1) for s in range(4)]
    assert per_second == [10, 10, 50, 10]


@pytest.mark.parametrize("kwargs, message", [
    ({"baseline_rps": 100, "peak_rps": 50}, "peak_rps (50) is below baseline_rps (100)"),
    ({"peak_at_s": 50, "peak_s": 20, "total_s": 60}, "the peak ends at 70 s, after total_s (60 s)"),
])
def test_flash_sale_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError) as info:
        flash_sale(**kwargs)
    assert str(info.value) == message


def test_plot_scaling_draws_ran_and_throttled_per_second():
    result = simulate(Spike(1500), duration_ms=2000, account_limit=5000)
    fig = plot_scaling(result)
    top, bottom = fig.axes
    seconds = len(result.timeseries["second"])
    assert len(top.patches) == 2 * seconds  # a blue and a red bar per second
    ran = [bar.get_height() for bar in top.patches[:seconds]]
    throttled = [bar.get_height() for bar in top.patches[seconds:]]
    assert sum(ran) == result.invocations == 1000 and sum(throttled) == result.throttles == 500
    assert top.get_title() == result.scaling
    assert [t.get_text() for t in bottom.get_legend().get_texts()] == ["concurrency", "cold starts"]


def test_plot_scaling_shows_provisioned_environments():
    result = simulate(Spike(30), duration_ms=100, provisioned=20)
    bottom = plot_scaling(result, title="warm").axes[1]
    assert "provisioned environments" in [t.get_text() for t in bottom.get_legend().get_texts()]


def test_compare_puts_each_result_in_its_own_column_and_the_table_agrees():
    sale = Spike(2000)
    results = {"current": simulate(sale, duration_ms=1000, account_limit=5000),
               "legacy": simulate(sale, duration_ms=1000, account_limit=5000,
                                  scaling=legacy_burst("eu-west-3"))}
    fig = compare(results)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:2]] == ["current", "legacy"]
    lines = summary_table(results).splitlines()
    assert lines[0].split() == ["ran", "throttled", "cold", "starts", "p99", "ms", "cost", "(USD)"]
    assert lines[1].split()[:3] == ["current", "1,000", "1,000"]
    assert lines[2].split()[:3] == ["legacy", "500", "1,500"]
    with pytest.raises(ValueError):
        compare({})


def test_scaling_explorer_compares_the_two_rules():
    explorer = scaling_explorer(peak_rps=1500)
    labels = list(explorer.results)
    assert labels == ["current: 1,000 per function per 10 s", "legacy: 500 burst, +500/min"]
    current, legacy = explorer.results.values()
    assert current.throttles < legacy.throttles
    explorer.region.value = "us-east-1"
    assert list(explorer.results)[1] == "legacy: 3,000 burst, +500/min"
    assert explorer.results[list(explorer.results)[1]].throttles == 0
    assert "<pre>" in explorer.table.value


def test_settings_explorer_shows_refused_settings_instead_of_a_chart():
    explorer = settings_explorer(peak_rps=300, duration_ms=200, reserved=0, provisioned=60)
    plain, tuned = explorer.results.values()
    assert tuned.cold_starts < plain.cold_starts
    assert list(explorer.results)[1] == "provisioned 60"
    explorer.reserved.value = 40  # provisioned 60 > reserved 40: Lambda refuses
    assert explorer.results == {}
    assert "should not be greater than the reservedConcurrentExecution" in explorer.table.value
    explorer.provisioned.value = 0
    assert list(explorer.results)[1] == "reserved 40"
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_docstring_examples():
    assert doctest.testmod(scaling_charts).failed == 0
