"""lambdakit.course.cost_calculator: a bill line by line, from the one pricing rule."""
from __future__ import annotations

import doctest

import pytest

from lambdakit import costs
from lambdakit.course import cost_calculator
from lambdakit.course.cost_calculator import bill_html, bill_lines


def test_lines_add_up_to_the_pricing_rules_total():
    for free_tier in (False, True):
        for architecture in costs.ARCHITECTURES:
            lines = bill_lines(5_000_000, 250.4, 1024, architecture, free_tier=free_tier)
            bill = costs.cost(5_000_000, 250.4, 1024, architecture, free_tier=free_tier)
            assert lines[-1].item == "total" and lines[-1].usd == pytest.approx(bill.total_usd)
            assert sum(line.usd for line in lines[:-1]) == pytest.approx(bill.total_usd)
            assert [line.item for line in lines] == (
                ["requests", "compute", "free tier", "total"] if free_tier
                else ["requests", "compute", "total"])


def test_compute_line_shows_billed_milliseconds_and_the_architectures_rate():
    line = bill_lines(1000, 0.4, 128, "arm64")[1]
    assert line.how == "1,000 × 1 ms × 0.125 GB = 0.125 GB-s × $0.0000133334"
    assert bill_lines(1000, 12.01, 2048)[1].how.startswith("1,000 × 13 ms × 2 GB = 26 GB-s")


def test_html_table_formats_small_and_negative_amounts():
    table = bill_html(bill_lines(1000, 1, 128, free_tier=True))
    assert "<b>total</b>" in table and "-$0.0002" in table and "$0.00000208" in table
    assert table.count("<tr>") == 5


def test_calculator_recomputes_when_a_control_moves():
    calc = cost_calculator.cost_calculator(requests=3_000_000, duration_ms=120, memory_mb=512)
    assert calc.lines[-1].usd == pytest.approx(0.40)
    calc.free_tier.value = False
    assert calc.lines[-1].usd == pytest.approx(3.60, abs=1e-4)
    calc.architecture.value = "arm64"
    assert calc.lines[-1].usd == pytest.approx(0.60 + 180_000 * 0.0000133334)
    calc.memory.value = 1024
    assert calc.lines[1].how.startswith("3,000,000 × 120 ms × 1 GB")
    assert "$0.20 per million" in calc.table.value
    assert "application/vnd.jupyter.widget-view+json" in calc._repr_mimebundle_()


def test_calculator_wants_a_memory_size_it_can_show():
    with pytest.raises(ValueError, match="memory_mb must be one of"):
        cost_calculator.cost_calculator(memory_mb=300)


def test_docstring_examples():
    assert doctest.testmod(cost_calculator).failed == 0
