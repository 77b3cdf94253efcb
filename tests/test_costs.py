"""The cost model (lambdakit.costs): list prices as data, AWS's worked examples, power tuning."""
from __future__ import annotations

import doctest

import pytest

from lambdakit import costs
from lambdakit.costs import PRICES, CostBreakdown, Usage, billed_ms, cost, power_tuning, price, project_duration


def test_documentation_examples_run():
    assert doctest.testmod(costs).failed == 0


def test_prices_are_data_with_their_date_and_source():
    assert PRICES["source"] == "https://aws.amazon.com/lambda/pricing/"
    assert PRICES["checked"] == "2026-11-25" and PRICES["region"] == "us-east-1"
    assert PRICES["request_per_million"] == 0.20
    assert PRICES["duration_per_gb_second"] == {"x86_64": 0.0000166667, "arm64": 0.0000133334}
    assert PRICES["free_tier"] == {"requests": 1_000_000, "gb_seconds": 400_000}


def test_awss_on_demand_examples():
    # "512 MB, 3 million invocations, 1 s each": 1.1M billable GB-s and 2M billable requests
    example1 = cost(3_000_000, 1000, 512, free_tier=True)
    assert example1.requests_usd + example1.free_tier_usd == pytest.approx(0.40 + (-400_000 * 0.0000166667))
    assert example1.total_usd == pytest.approx(1_100_000 * 0.0000166667 + 0.40)
    # "128 MB, 30 million invocations, 200 ms each" = $11.63
    assert round(cost(30_000_000, 200, 128, free_tier=True).total_usd, 2) == 11.63


def test_awss_provisioned_concurrency_example():
    # 1,024 MB, provisioned concurrency 1,000 for 2 hours, 1.2M invocations of 1 s on it = $41.91
    bill = cost(1_200_000, 1000, 1024, provisioned=1000, provisioned_seconds=2 * 3600,
                provisioned_requests=1_200_000)
    assert round(bill.provisioned_usd, 2) == 30.00
    assert round(bill.provisioned_duration_usd, 2) == 11.67
    assert round(bill.requests_usd, 2) == 0.24
    assert round(bill.total_usd, 2) == 41.91
    assert bill.duration_usd == 0


def test_billing_rounds_each_invocation_up_to_1_ms():
    assert [billed_ms(x) for x in (0, 0.01, 1.0, 1.001, 99.5)] == [1, 1, 1, 2, 100]
    assert cost(3, [0.2, 1.5, 10.0], 1024).gb_seconds == pytest.approx((1 + 2 + 10) / 1000)
    with pytest.raises(ValueError, match="^Got 2 durations for 3 requests$"):
        cost(3, [1, 2], 1024)
    with pytest.raises(ValueError, match="^Negative duration -1$"):
        billed_ms(-1)


def test_arm_is_cheaper_per_gb_second():
    x86, arm = cost(1000, 100, 1024, "x86_64"), cost(1000, 100, 1024, "arm64")
    assert arm.duration_usd / x86.duration_usd == pytest.approx(0.8, rel=1e-4)
    assert arm.requests_usd == x86.requests_usd


def test_provisioned_time_is_billed_in_five_minute_steps_and_skips_the_free_tier():
    one_minute = price(Usage(requests=0, provisioned_concurrency=1, provisioned_seconds=60), 1024)
    assert one_minute.provisioned_gb_seconds == 300
    with_pc = price(Usage(requests=10, billed_ms=100, provisioned_concurrency=1, provisioned_seconds=60),
                    1024, free_tier=True)
    assert with_pc.free_tier_usd == 0
    without = price(Usage(requests=10, billed_ms=100), 1024, free_tier=True)
    assert without.total_usd == 0


def test_breakdowns_add_up_and_print():
    a, b = cost(10, 100, 256), cost(20, 50, 512, "arm64")
    total = a + b
    assert isinstance(total, CostBreakdown)
    assert total.total_usd == pytest.approx(a.total_usd + b.total_usd)
    assert total.requests == 30
    assert "total" in str(total) and total.as_dict()["requests"] == 30


def test_inputs_are_checked():
    with pytest.raises(ValueError, match="memory_mb must be between 128 and 10240, got 64"):
        cost(1, 1, 64)
    with pytest.raises(ValueError, match="architecture must be one of"):
        cost(1, 1, 128, "ppc64")
    with pytest.raises(ValueError, match="^Negative requests -1$"):
        cost(-1, 1)
    with pytest.raises(ValueError, match="provisioned_requests must be between 0 and 1"):
        cost(1, 1, provisioned_requests=2)


def test_cpu_bound_duration_scales_inversely_with_memory_up_to_one_vcpu():
    assert project_duration(1000, 128, 256) == pytest.approx(500)
    assert project_duration(1000, 1769, 10240) == pytest.approx(1000)  # one thread uses one vCPU
    assert project_duration(1000, 1769, 10240, threads=8) == pytest.approx(1000 * 1769 / 10240)
    assert project_duration(1000, 512, 1024, cpu_fraction=0.5) == pytest.approx(750)  # half is waiting
    assert project_duration(1000, 512, 1024, cpu_fraction=0) == 1000
    with pytest.raises(ValueError, match="cpu_fraction must be between 0 and 1"):
        project_duration(1, 128, 128, cpu_fraction=2)


def test_power_tuning_returns_chart_data_labelled_as_projection():
    tuning = power_tuning(800, 512, requests=1_000_000)
    assert "projection" in tuning.label
    assert [p.projected for p in tuning.points if p.memory_mb == 512] == [False]
    assert all(p.projected for p in tuning.points if p.memory_mb != 512)
    columns = tuning.columns()
    assert set(columns) == {"memory_mb", "duration_ms", "cost_usd", "projected"}
    assert columns["memory_mb"] == sorted(columns["memory_mb"])
    # CPU-bound and single-threaded: same cost up to 1,769 MB (less time, more GB), then only dearer
    assert tuning.fastest.memory_mb == 1769
    below = [p.cost_usd for p in tuning.points if p.memory_mb <= 1024]
    assert max(below) - min(below) < 0.01
    assert tuning.points[-1].cost_usd > 5 * tuning.cheapest.cost_usd
    waiting = power_tuning(800, 512, cpu_fraction=0.1)  # mostly I/O: more memory buys little
    assert waiting.cheapest.memory_mb == 128
