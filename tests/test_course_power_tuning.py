"""lambdakit.course.power_tuning: local measurements and the labelled projection chart."""
from __future__ import annotations

import doctest
import uuid

import pytest

import lambdakit
from lambdakit.costs import power_tuning
from lambdakit.course import power_tuning as course_tuning
from lambdakit.course.power_tuning import (Measurement, measure, plot_power_tuning,
                                           power_tuning_explorer)


@pytest.fixture(scope="module")
def kit():
    return lambdakit.start()


def test_measure_reads_the_handlers_duration_at_the_configured_memory(kit):
    name = f"tuning-{uuid.uuid4().hex[:8]}"
    source = "import time\ndef handler(event, context):\n    time.sleep(0.05)\n    return 1\n"
    kit.deploy(name, source, MemorySize=256)
    m = measure(name, invocations=2)
    assert (m.function_name, m.memory_mb, len(m.durations_ms)) == (name, 256, 2)
    assert all(d >= 50 for d in m.durations_ms) and m.median_ms >= 50
    assert str(m).startswith(f"{name} at 256 MB: median ")


def test_measure_reports_a_failing_function(kit):
    name = f"tuning-{uuid.uuid4().hex[:8]}"
    kit.deploy(name, "def handler(event, context):\n    raise ValueError('no')\n")
    with pytest.raises(RuntimeError, match=f"{name} failed: Unhandled"):
        measure(name, invocations=1)
    with pytest.raises(ValueError, match="invocations must be a whole number"):
        measure(name, invocations=0)


def test_measurement_median():
    assert Measurement("f", 128, (30.0, 10.0, 20.0)).median_ms == 20.0


def test_chart_marks_the_measured_size_and_labels_the_rest_as_projections():
    tuning = power_tuning(400, 512, [128, 512, 1769, 3008])
    fig = plot_power_tuning(tuning)
    duration_ax, cost_ax = fig.axes
    assert duration_ax.get_title() == "measured at 512 MB; every other point is a projection"
    assert [t.get_text() for t in duration_ax.get_xticklabels()] == ["128", "512", "1,769", "3,008"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]  # beside both axes
    assert legend[:2] == ["duration (projected)", "cost (projected, x86_64)"]
    assert "fastest: 1,769 MB" in legend
    line = duration_ax.get_lines()[0]
    at_one_vcpu = 400 * 512 / 1769
    assert list(line.get_ydata()) == pytest.approx([1600.0, 400.0, at_one_vcpu, at_one_vcpu])
    per_million = list(cost_ax.get_lines()[0].get_ydata())
    assert per_million == pytest.approx([p.cost_per_invocation_usd * 1e6 for p in tuning.points])


def test_explorer_projects_again_when_the_cpu_share_changes():
    explorer = power_tuning_explorer(210, 128)
    assert explorer.tuning.fastest.memory_mb == 1769
    cpu_bound = explorer.tuning.points[-1].duration_ms
    explorer.cpu_fraction.value = 0.0  # all waiting: memory changes nothing but the price
    assert explorer.tuning.cheapest.memory_mb == 128
    assert all(p.duration_ms == pytest.approx(210) for p in explorer.tuning.points)
    assert explorer.tuning.points[-1].duration_ms > cpu_bound
    explorer.architecture.value = "arm64"
    assert explorer.tuning.architecture == "arm64"
    assert "Projected cheapest" in explorer.verdict.value
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()


def test_docstring_examples():
    assert doctest.testmod(course_tuning).failed == 0
