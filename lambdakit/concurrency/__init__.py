"""Lambda's concurrency rules, written once, for real time and for simulated time.

One model of the account limit, the unreserved minimum, reserved and provisioned
concurrency and the scaling rate. The live engine asks it before each real
invocation (wall clock); :mod:`lambdakit.simulator` asks it for every simulated
request (virtual clock). There is no second copy of the rules anywhere.

>>> from lambdakit.concurrency import ConcurrencyModel, legacy_burst
>>> model = ConcurrencyModel(account_limit=5000, scaling=legacy_burst("eu-west-3"))
>>> decisions = [model.try_acquire("spiky", now=0.0) for _ in range(600)]
>>> sum(d.ok for d in decisions), decisions[-1]
(500, Throttle('ConcurrentInvocationLimitExceeded', cause='scaling-rate'))

Modules: :mod:`._model` (the rules and their answers), :mod:`._scaling` (scaling
policies: today's per-function rate and the legacy account burst), :mod:`._clock`
(wall clock and virtual clock).
"""
from __future__ import annotations

from ._clock import VirtualClock, WallClock
from ._model import (ACCOUNT_LIMIT_REASON, DEFAULT_ACCOUNT_LIMIT, RESERVED_LIMIT_REASON,
                     UNRESERVED_MINIMUM, ConcurrencyConfigError, ConcurrencyModel, Grant,
                     Throttle)
from ._scaling import CURRENT, UNLIMITED, ScalingPolicy, TokenBucket, legacy_burst

__all__ = [
    "ConcurrencyModel", "Grant", "Throttle", "ConcurrencyConfigError",
    "ScalingPolicy", "CURRENT", "UNLIMITED", "legacy_burst", "TokenBucket",
    "WallClock", "VirtualClock",
    "DEFAULT_ACCOUNT_LIMIT", "UNRESERVED_MINIMUM", "ACCOUNT_LIMIT_REASON", "RESERVED_LIMIT_REASON",
]
