"""The concurrency rules (lambdakit.concurrency): limits, reservations, provisioned concurrency, scaling."""
from __future__ import annotations

import doctest

import pytest

from lambdakit import concurrency
from lambdakit.concurrency import (CURRENT, UNLIMITED, ConcurrencyConfigError, ConcurrencyModel, Grant,
                                   ScalingPolicy, Throttle, TokenBucket, VirtualClock, WallClock,
                                   legacy_burst)
from lambdakit.concurrency import _clock, _model, _scaling

RESERVED_MIN_100 = ("Specified ReservedConcurrentExecutions for function decreases account's "
                    "UnreservedConcurrentExecution below its minimum value of [100].")


def grants(model, function, n, qualifier="$LATEST", now=0.0, **kwargs):
    """Ask ``n`` times; return the answers."""
    return [model.try_acquire(function, qualifier, now, **kwargs) for _ in range(n)]


@pytest.mark.parametrize("module", [concurrency, _model, _scaling, _clock])
def test_documentation_examples_run(module):
    assert doctest.testmod(module).failed == 0


def test_public_surface_is_documented():
    for name in concurrency.__all__:
        value = getattr(concurrency, name)
        if callable(value):
            assert value.__doc__, f"{name} needs a docstring"


def test_defaults_are_awss():
    model = ConcurrencyModel()
    assert (model.account_limit, model.unreserved_minimum, model.unreserved_concurrency) == (1000, 100, 1000)
    assert model.scaling is CURRENT
    assert isinstance(model.clock, WallClock)


def test_reserving_must_leave_100_unreserved_with_awss_message():
    model = ConcurrencyModel()
    assert model.check_reserved("a", 900) is None
    assert model.check_reserved("a", 901) == RESERVED_MIN_100
    with pytest.raises(ConcurrencyConfigError) as caught:
        model.set_reserved("a", 901)
    assert caught.value.message == RESERVED_MIN_100
    assert (caught.value.code, caught.value.status) == ("InvalidParameterValueException", 400)
    model.set_reserved("a", 500)
    assert model.check_reserved("b", 401) == RESERVED_MIN_100
    model.set_reserved("b", 400)
    assert model.unreserved_concurrency == 100
    model.set_reserved("a", 500)  # setting the same value again counts a's own reservation once
    model.set_reserved("a", 10)  # lowering is always allowed
    model.set_reserved("b", None)  # DeleteFunctionConcurrency
    assert (model.reserved("a"), model.reserved("b"), model.unreserved_concurrency) == (10, None, 990)
    model.remove_function("a")
    assert model.unreserved_concurrency == 1000


def test_small_accounts_keep_their_whole_limit_unreserved():
    model = ConcurrencyModel(account_limit=50)  # new accounts: "... minimum value of [50]."
    assert model.unreserved_minimum == 50
    assert model.check_reserved("a", 1).endswith("below its minimum value of [50].")


def test_reserved_concurrency_caps_the_function():
    model = ConcurrencyModel()
    model.set_reserved("capped", 3)
    answers = grants(model, "capped", 5)
    assert [a.ok for a in answers] == [True, True, True, False, False]
    assert answers[-1].reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert answers[-1].cause == "reserved-limit"
    model.release(answers[0], 1.0)
    assert model.try_acquire("capped", now=1.0, warm=True).ok


def test_reserved_zero_throttles_everything():
    model = ConcurrencyModel()
    model.set_reserved("off", 0)
    answer = model.try_acquire("off", now=0.0, warm=True)
    assert isinstance(answer, Throttle) and answer.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_unreserved_functions_share_what_is_left_and_reserved_ones_keep_theirs():
    model = ConcurrencyModel(account_limit=250)
    model.set_reserved("critical", 100)
    shared = grants(model, "a", 120) + grants(model, "b", 40)
    assert sum(a.ok for a in shared) == 150
    assert {a.reason for a in shared if not a.ok} == {"ConcurrentInvocationLimitExceeded"}
    assert {a.cause for a in shared if not a.ok} == {"account-limit"}
    assert all(a.ok for a in grants(model, "critical", 100))  # untouched by its noisy neighbours
    assert model.in_flight == 250


def test_throttle_answers_like_lambda():
    model = ConcurrencyModel()
    model.set_reserved("f", 0)
    throttle = model.try_acquire("f", now=0.0)
    assert (throttle.ok, throttle.code, throttle.status, throttle.message) == (
        False, "TooManyRequestsException", 429, "Rate Exceeded.")
    assert throttle.error_fields() == {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}


def test_provisioned_environments_are_used_first_then_spill_over():
    model = ConcurrencyModel()
    model.set_provisioned("api", "live", 2)
    answers = grants(model, "api", 3, qualifier="live")
    assert [(a.provisioned, a.new_environment, a.pool) for a in answers] == [
        (True, False, "provisioned"), (True, False, "provisioned"), (False, True, "unreserved")]
    other = model.try_acquire("api", "$LATEST", 0.0)  # provisioned concurrency is per qualifier
    assert not other.provisioned and other.new_environment
    model.release(answers[0])
    assert model.try_acquire("api", "live", 0.0).provisioned


def test_provisioned_concurrency_counts_against_the_account():
    model = ConcurrencyModel(account_limit=300)
    model.set_provisioned("api", "live", 100)
    assert model.unreserved_concurrency == 200
    answers = grants(model, "api", 301, qualifier="live")
    assert sum(a.provisioned for a in answers) == 100
    assert sum(a.ok for a in answers) == 300
    assert answers[-1].reason == "ConcurrentInvocationLimitExceeded"


def test_provisioned_concurrency_counts_against_reserved():
    model = ConcurrencyModel()
    model.set_reserved("api", 5)
    model.set_provisioned("api", "live", 3)
    assert model.unreserved_concurrency == 995  # inside the reservation, not on top of it
    answers = grants(model, "api", 6, qualifier="live")
    assert [a.pool for a in answers[:5]] == ["provisioned"] * 3 + ["reserved"] * 2
    assert answers[5].reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    for answer in answers[:5]:
        model.release(answer)
    # other qualifiers get on-demand only what the provisioned environments leave of R ...
    assert [a.ok for a in grants(model, "api", 3, qualifier="$LATEST")] == [True, True, False]
    # ... so the provisioned ones are still there, and the function never exceeds R
    assert all(a.provisioned for a in grants(model, "api", 3, qualifier="live"))
    assert model.describe()["functions"]["api"]["in_flight"] == 5


def test_provisioned_configuration_errors_use_awss_wording():
    model = ConcurrencyModel()
    assert model.check_provisioned("f", "$LATEST", 1) == (
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
    assert model.check_provisioned("f", "1", 901) == (
        "Specified ConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100].")
    model.set_reserved("f", 10)
    model.set_provisioned("f", "1", 6)
    with pytest.raises(ConcurrencyConfigError, match="should not be greater than the reservedConcurrentExecution"):
        model.set_provisioned("f", "2", 5)
    assert model.check_reserved("f", 5) == ("Specified ReservedConcurrentExecutions for function is less "
                                            "than the function's total provisioned concurrency [6].")
    model.set_provisioned("f", "1", None)
    assert (model.provisioned("f", "1"), model.check_reserved("f", 5)) == (0, None)


def test_invalid_numbers_are_refused_exactly():
    with pytest.raises(ValueError, match="^Negative reserved concurrency -1$"):
        ConcurrencyModel().set_reserved("f", -1)
    with pytest.raises(ValueError, match="^reserved concurrency must be an integer, got 1.5$"):
        ConcurrencyModel().set_reserved("f", 1.5)
    with pytest.raises(ValueError, match="^provisioned concurrency must be at least 1, got 0$"):
        ConcurrencyModel().set_provisioned("f", "1", 0)
    with pytest.raises(ValueError, match="^account concurrency limit must be at least 1, got 0$"):
        ConcurrencyModel(account_limit=0)
    with pytest.raises(ValueError, match="scaling must be a ScalingPolicy"):
        ConcurrencyModel(scaling="fast")


def test_a_grant_is_released_once():
    model = ConcurrencyModel()
    grant = model.try_acquire("f", now=0.0)
    model.release(grant)
    with pytest.raises(RuntimeError, match="already released"):
        model.release(grant)
    assert model.in_flight == 0


def test_current_scaling_adds_1000_environments_per_10_seconds_per_function():
    model = ConcurrencyModel(account_limit=100_000)
    first = grants(model, "f", 1001, now=0.0)
    assert sum(a.ok for a in first) == 1000
    assert (first[-1].reason, first[-1].cause) == ("ConcurrentInvocationLimitExceeded", "scaling-rate")
    assert model.try_acquire("f", now=0.0, warm=True).ok  # reusing a warm environment needs no token
    assert model.try_acquire("f", now=0.01).ok  # refilled continuously: 100 per second
    assert not model.try_acquire("f", now=0.01).ok
    assert sum(a.ok for a in grants(model, "f", 2000, now=5.01)) == 500  # 5 s after the last token
    assert sum(a.ok for a in grants(model, "g", 2000, now=5.0)) == 1000  # each function scales on its own
    assert model.scaling_tokens("f", 1000.0) == 1000  # unused capacity never piles up beyond 1,000


def test_legacy_burst_is_shared_by_the_account_then_500_per_minute():
    model = ConcurrencyModel(account_limit=100_000, scaling=legacy_burst("us-east-1"))
    assert sum(a.ok for a in grants(model, "a", 2000) + grants(model, "b", 2000)) == 3000
    assert not model.try_acquire("c", now=0.0).ok
    assert sum(a.ok for a in grants(model, "c", 1000, now=60.0)) == 500
    assert [legacy_burst(r).capacity for r in ("us-west-2", "eu-central-1", "sa-east-1")] == [3000, 1000, 500]
    assert legacy_burst(burst=42).capacity == 42


def test_scaling_policies_are_validated_token_buckets():
    assert UNLIMITED.unlimited and not CURRENT.unlimited
    assert (CURRENT.capacity, CURRENT.refill_per_second, CURRENT.scope) == (1000, 100.0, "function")
    model = ConcurrencyModel(account_limit=5000, scaling=UNLIMITED)
    assert sum(a.ok for a in grants(model, "f", 5001)) == 5000
    with pytest.raises(ValueError, match="^Negative refill rate -1$"):
        ScalingPolicy("x", 10, -1)
    with pytest.raises(ValueError, match="scope must be"):
        ScalingPolicy("x", 10, 1, "region")
    bucket = TokenBucket(capacity=1, refill_per_second=1, now=10.0)
    assert bucket.take(10.0) and not bucket.take(5.0)  # a time before the last call refills nothing


def test_the_model_reads_its_clock_when_now_is_omitted():
    clock = VirtualClock()
    model = ConcurrencyModel(account_limit=5000, clock=clock)
    assert sum(model.try_acquire("f").ok for _ in range(1001)) == 1000
    clock.advance(10)
    assert sum(model.try_acquire("f").ok for _ in range(1001)) == 1000
    assert model.describe()["functions"]["f"]["in_flight"] == 2000


def test_clocks():
    clock = VirtualClock(start=1.0)
    clock.advance(0.5)
    clock.advance_to(3)
    assert clock.now() == 3.0
    with pytest.raises(ValueError, match="^Negative delay -1$"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="Cannot go back in time"):
        clock.advance_to(2)
    wall = WallClock()
    assert wall.now() <= wall.now()


def test_describe_is_plain_data_for_lessons():
    model = ConcurrencyModel(account_limit=500, clock=VirtualClock())
    model.set_reserved("a", 100)
    grant = model.try_acquire("a")
    assert isinstance(grant, Grant)
    info = model.describe()
    assert info["unreserved_concurrency"] == 400 and info["in_flight"] == 1
    assert info["functions"]["a"] == {"reserved": 100, "provisioned": {}, "provisioned_busy": {},
                                      "in_flight": 1, "scaling_tokens": 999.0}
