"""The discrete-event simulator (lambdakit.simulator) against cases with known answers."""
from __future__ import annotations

import doctest
import random

import pytest

from lambdakit import costs, simulator
from lambdakit.concurrency import ConcurrencyConfigError, legacy_burst
from lambdakit.simulator import (ArrivalTimes, ConstantRate, Empirical, Exponential, Fixed, LogNormal, Ramp,
                                 Spike, Uniform, Workload, simulate)

BIG_ACCOUNT = 100_000  # so that only the rule under test can throttle


def test_documentation_examples_run():
    assert doctest.testmod(simulator).failed == 0


def test_littles_law_and_cold_starts_equal_peak_environments():
    rate, duration_ms = 200, 250
    r = simulate(ConstantRate(rate, seconds=30), duration_ms=Fixed(duration_ms), init_ms=0)
    steady = rate * duration_ms / 1000
    assert r.timeseries["concurrency_max"][1:29] == [steady] * 28
    assert r.timeseries["on_demand_busy"][1:29] == [steady] * 28
    assert r.cold_starts == r.peak_environments == steady
    assert (r.invocations, r.throttles) == (6000, 0)
    assert r.latency_ms == {"p50": 250.0, "p90": 250.0, "p99": 250.0, "mean": 250.0, "max": 250.0}


def test_littles_law_holds_on_average_for_random_traffic():
    r = simulate(ConstantRate(400, seconds=120, poisson=True), duration_ms=Exponential(100),
                 init_ms=LogNormal(200, 0.3), seed=7)
    busy = r.timeseries["on_demand_busy"][5:-5]
    assert sum(busy) / len(busy) == pytest.approx(400 * 0.1, rel=0.1)
    assert r.requests == pytest.approx(400 * 120, rel=0.02)
    assert r.cold_starts == r.peak_environments  # no environment reached its idle lifetime


def test_cold_starts_pay_init_in_latency_and_in_billing():
    r = simulate(Spike(10), duration_ms=100.2, init_ms=Fixed(250))
    assert r.cold_starts == 10 and r.latency_ms["max"] == pytest.approx(350.2)
    assert r.usage == costs.Usage(requests=10, billed_ms=10 * 351, provisioned_seconds=r.end_time)
    assert r.cost == costs.price(r.usage)


def test_reserved_concurrency_throttles_exactly_the_excess():
    r = simulate(Spike(50), duration_ms=Fixed(10_000), reserved=20)
    assert (r.invocations, r.throttles, r.cold_starts) == (20, 30, 20)
    assert r.throttles_by_cause == {"reserved-limit": 30}


def test_reserved_zero_throttles_everything():
    r = simulate(ConstantRate(10, seconds=5), duration_ms=10, reserved=0)
    assert (r.invocations, r.throttles) == (0, 50)


def test_provisioned_concurrency_absorbs_a_burst_of_its_size_without_cold_starts():
    r = simulate(Spike(30), duration_ms=Fixed(500), provisioned=30)
    assert (r.cold_starts, r.provisioned_invocations, r.throttles) == (0, 30, 0)
    assert r.latency_ms["max"] == 500.0  # no Init: already initialised
    assert (r.timeseries["concurrency_max"][0], r.timeseries["environments_max"][0]) == (30, 30)
    assert r.timeseries["provisioned_idle"][-1] == 30  # they stay, ready for the next burst
    spill = simulate(Spike(35), duration_ms=Fixed(500), provisioned=30)
    assert (spill.cold_starts, spill.provisioned_invocations) == (5, 30)
    assert spill.cost.provisioned_usd > 0 and spill.cost.provisioned_duration_usd > 0


def test_provisioned_concurrency_is_part_of_the_reservation():
    r = simulate(Spike(20), duration_ms=Fixed(500), reserved=10, provisioned=4)
    assert (r.invocations, r.provisioned_invocations, r.cold_starts, r.throttles) == (10, 4, 6, 10)


def test_a_spike_of_5000_under_todays_rule_gets_1000_environments():
    r = simulate(Spike(5000), duration_ms=Fixed(2000), account_limit=BIG_ACCOUNT)
    assert (r.cold_starts, r.peak_environments, r.throttles) == (1000, 1000, 4000)
    assert r.throttles_by_cause == {"scaling-rate": 4000}


@pytest.mark.parametrize("region, burst", [("us-east-1", 3000), ("eu-central-1", 1000), ("eu-west-3", 500)])
def test_a_spike_of_5000_under_the_legacy_rule_gets_the_regions_burst(region, burst):
    r = simulate(Spike(5000), duration_ms=Fixed(2000), account_limit=BIG_ACCOUNT, scaling=legacy_burst(region))
    assert (r.cold_starts, r.throttles) == (burst, 5000 - burst)


def test_the_account_limit_still_caps_a_spike():
    r = simulate(Spike(5000), duration_ms=Fixed(2000))
    assert (r.cold_starts, r.throttles, r.throttles_by_cause) == (1000, 4000, {"account-limit": 4000})


def test_scaling_rates_over_time_current_versus_legacy():
    traffic = ConstantRate(1000, seconds=40)  # long requests: every one needs a new environment
    current = simulate(traffic, duration_ms=Fixed(60_000), init_ms=0, account_limit=BIG_ACCOUNT)
    legacy = simulate(traffic, duration_ms=Fixed(60_000), init_ms=0, account_limit=BIG_ACCOUNT,
                      scaling=legacy_burst("us-east-1"))
    now, before = current.timeseries["environments_max"], legacy.timeseries["environments_max"]
    for second in range(40):
        assert now[second] <= 1000 + 100 * (second + 1)
        assert before[second] <= 3000 + 500 / 60 * (second + 1)
    assert now[9] == 1999 and now[19] == 2999  # 1,000 at once, then 100 more each second
    assert before[2] == 3000 and before[2] > now[2]  # the old burst was bigger...
    assert now[39] > before[39]  # ...but today's rate overtakes it within half a minute


def test_noisy_neighbours_share_the_legacy_burst_but_not_todays():
    workloads = [Workload("batch", Spike(3000), 5000, init_ms=0),
                 Workload("api", Spike(500, at=1.0), 5000, init_ms=0)]
    now = simulate(workloads, account_limit=BIG_ACCOUNT)
    before = simulate(workloads, account_limit=BIG_ACCOUNT, scaling=legacy_burst("us-east-1"))
    assert (now.functions["api"].invocations, now.functions["api"].throttles) == (500, 0)
    assert before.functions["batch"].invocations == 3000
    assert before.functions["api"].invocations == 8  # one second of 500 per minute
    assert now.peak_environments == 1500 and before.peak_environments == 3008


def test_functions_exhaust_the_account_limit_together():
    workloads = [Workload("reserved", Spike(150), 10_000, reserved=100),
                 Workload("a", Spike(150), 10_000), Workload("b", Spike(150, at=0.5), 10_000)]
    r = simulate(workloads, account_limit=300)
    assert r.functions["reserved"].throttles_by_cause == {"reserved-limit": 50}
    assert (r.functions["a"].invocations, r.functions["b"].invocations) == (150, 50)
    assert r.functions["b"].throttles_by_cause == {"account-limit": 100}
    assert r.peak_concurrency == 300 and r.throttles_by_cause == {"account-limit": 100, "reserved-limit": 50}


def test_idle_environments_shut_down_after_their_lifetime():
    warm = simulate(Spike(10) + Spike(10, at=4.0), duration_ms=100, idle_lifetime_s=5)
    cold = simulate(Spike(10) + Spike(10, at=6.0), duration_ms=100, idle_lifetime_s=5)
    assert (warm.cold_starts, cold.cold_starts) == (10, 20)
    r = simulate(Spike(10), duration_ms=100, init_ms=0, idle_lifetime_s=5, until=10)
    assert r.timeseries["on_demand_idle"] == [10] * 5 + [0] * 5
    assert r.timeseries["second"] == list(range(10)) and r.end_time == 10


def test_timeseries_rows_add_up():
    r = simulate(Ramp(0, 200, seconds=20) + Spike(300, at=10), duration_ms=Uniform(50, 400), seed=3)
    series = r.timeseries
    assert set(series) == set(simulator.SERIES_COLUMNS)
    assert len({len(column) for column in series.values()}) == 1
    assert sum(series["invocations"]) == r.invocations and sum(series["throttles"]) == r.throttles
    assert sum(series["cold_starts"]) == r.cold_starts
    assert max(series["environments_max"]) == r.peak_environments
    assert r.requests == 2000 + 300


def test_same_seed_same_result_different_seed_different_result():
    def run(seed):
        r = simulate(ConstantRate(300, seconds=20, poisson=True), duration_ms=LogNormal(120, 0.6),
                     init_ms=Uniform(150, 450), seed=seed, reserved=40)
        return (r.invocations, r.throttles, r.cold_starts, r.latency_ms, r.timeseries, r.cost)

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_arrival_patterns():
    rng = random.Random(0)
    assert ConstantRate(4, seconds=1, start=2).times(rng) == [2.0, 2.25, 2.5, 2.75]
    assert Spike(3, at=1.5).times(rng) == [1.5] * 3
    assert ArrivalTimes([3, 1, 2]).times(rng) == [1.0, 2.0, 3.0]
    ramp = Ramp(0, 100, seconds=10).times(rng)
    assert len(ramp) == 500 and ramp == sorted(ramp) and ramp[-1] < 10
    assert sum(t < 5 for t in ramp) == 125  # a quarter of the requests in the first half
    merged = (Spike(2, at=1) + ConstantRate(2, seconds=1)).times(rng)
    assert merged == [0.0, 0.5, 1.0, 1.0]
    with pytest.raises(ValueError, match="^Negative time -1.0$"):
        ArrivalTimes([-1])
    with pytest.raises(ValueError, match="^Negative seconds -1$"):
        ConstantRate(1, seconds=-1)


def test_distributions():
    rng = random.Random(0)
    assert Fixed(5).many(rng, 3) == [5.0, 5.0, 5.0]
    assert all(10 <= x <= 20 for x in Uniform(10, 20).many(rng, 100))
    draws = sorted(LogNormal(100, 0.5).many(rng, 2001))
    assert draws[1000] == pytest.approx(100, rel=0.1)
    assert set(Empirical([1, 2]).many(rng, 50)) == {1.0, 2.0}
    with pytest.raises(ValueError, match="^Negative value -1$"):
        Fixed(-1)
    with pytest.raises(ValueError, match="below low"):
        Uniform(5, 1)


def test_simulation_inputs_are_checked():
    with pytest.raises(ValueError, match="duration_ms is required"):
        simulate(Spike(1))
    with pytest.raises(ValueError, match="^Negative idle lifetime -1$"):
        simulate(Spike(1), duration_ms=1, idle_lifetime_s=-1)
    with pytest.raises(ValueError, match="unique"):
        simulate([Workload("a", Spike(1), 1), Workload("a", Spike(1), 1)])
    with pytest.raises(ValueError, match="memory_mb must be between"):
        simulate(Spike(1), duration_ms=1, memory_mb=64)
    with pytest.raises(ConcurrencyConfigError, match=r"minimum value of \[100\]"):
        simulate(Spike(1), duration_ms=1, reserved=950)
    with pytest.raises(ValueError, match="must be a number of milliseconds or a Distribution"):
        simulate(Spike(1), duration_ms="fast")


def test_an_empty_simulation_is_still_a_result():
    r = simulate(Spike(0), duration_ms=1)
    assert (r.requests, r.invocations, r.timeseries["second"]) == (0, 0, [0])
    assert r.cost.total_usd == 0


def test_every_simulated_request_asks_the_one_concurrency_model(monkeypatch):
    from lambdakit.concurrency import ConcurrencyModel
    asked = []
    original = ConcurrencyModel.try_acquire

    def counting(self, function, qualifier="$LATEST", now=None, **kwargs):
        asked.append((function, now))
        return original(self, function, qualifier, now, **kwargs)

    monkeypatch.setattr(ConcurrencyModel, "try_acquire", counting)
    simulate(Spike(3) + Spike(4, at=2.5), duration_ms=10)
    assert asked == [("function", 0.0)] * 3 + [("function", 2.5)] * 4
