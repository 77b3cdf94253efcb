"""How fast Lambda may create new execution environments: scaling policies as token buckets.

Both of Lambda's published scaling rules are token buckets: creating a new
execution environment takes one token; tokens refill continuously at a fixed
rate up to the bucket's capacity, and unused tokens never pile up beyond it.
Reusing a warm environment, or a provisioned one, takes no token. The rules
differ only in size, rate and scope:

=======================  ==========================  ==============  ==========
policy                   capacity (burst)            refill          one bucket
=======================  ==========================  ==============  ==========
:data:`CURRENT`          1,000 environments          100 per second  per function
:func:`legacy_burst`     500, 1,000 or 3,000 (Region) 500 per minute  per account
:data:`UNLIMITED`        no limit                    --              --
=======================  ==========================  ==============  ==========

:data:`CURRENT` is today's rule (since 26 November 2023, "AWS Lambda functions now
scale 12 times faster"): in each Region, each function can add up to 1,000
execution environments every 10 seconds, the capacity is refilled continuously
rather than in one step every 10 seconds, and unused capacity does not
accumulate beyond 1,000 (AWS docs, "Lambda scaling behavior"). Functions scale
independently of each other.

:func:`legacy_burst` is the rule before that date: an account-wide initial burst
of 3,000 (US West (Oregon), US East (N. Virginia), Europe (Ireland)), 1,000
(Asia Pacific (Tokyo), Europe (Frankfurt), US East (Ohio)) or 500 (other
Regions), then 500 more environments per minute, shared by every function in
the account (AWS docs, "Burst concurrency"; an AWS expert on re:Post describes
it as a bucket of that capacity refilled at 500 tokens per minute). Kept so a
lesson can compare the two.

Either way the account concurrency limit still applies on top: a policy only
limits how *fast* environments appear, never how many may exist.
"""
from __future__ import annotations

import dataclasses
import math

#: AWS's Region groups for the legacy burst limit (docs: "Burst concurrency").
LEGACY_BURST_BY_REGION = {
    **dict.fromkeys(("us-west-2", "us-east-1", "eu-west-1"), 3000),
    **dict.fromkeys(("ap-northeast-1", "eu-central-1", "us-east-2"), 1000),
}
LEGACY_BURST_OTHER_REGIONS = 500
_ONE = 1.0 - 1e-9  # a token refilled in float steps (0.01 s x 100/s) may land a hair below 1


@dataclasses.dataclass(frozen=True)
class ScalingPolicy:
    """A token bucket for new execution environments.

    name: how lessons and results label the policy.
    capacity: tokens in a full bucket (the largest burst of new environments).
    refill_per_second: tokens added per second, continuously.
    scope: ``"function"`` (one bucket per function) or ``"account"`` (one shared bucket).
    """

    name: str
    capacity: float
    refill_per_second: float
    scope: str = "function"

    def __post_init__(self) -> None:
        if not self.capacity >= 1:
            raise ValueError(f"Scaling capacity must be at least 1, got {self.capacity}")
        if self.refill_per_second < 0:
            raise ValueError(f"Negative refill rate {self.refill_per_second}")
        if self.scope not in ("function", "account"):
            raise ValueError(f"Scaling scope must be 'function' or 'account', got {self.scope!r}")

    @property
    def unlimited(self) -> bool:
        """True when the policy never throttles."""
        return math.isinf(self.capacity)

    def new_bucket(self, now: float) -> TokenBucket:
        """A full bucket, as of ``now``."""
        return TokenBucket(self.capacity, self.refill_per_second, now)


#: Today's rule: 1,000 new environments per function every 10 seconds, refilled continuously.
CURRENT = ScalingPolicy("current (1,000 per function per 10 s)", 1000, 100.0, "function")

#: No limit on how fast environments appear (only the concurrency limits apply).
UNLIMITED = ScalingPolicy("unlimited", math.inf, 0.0, "account")


def legacy_burst(region: str = "us-east-1", *, burst: int | None = None) -> ScalingPolicy:
    """The pre-November-2023 rule: an account-wide burst, then 500 environments per minute.

    region: picks the burst from AWS's table (3,000, 1,000 or 500).
    burst: overrides the Region's burst (for a lesson that wants another number).

    >>> legacy_burst("us-east-1").capacity, legacy_burst("eu-west-3").capacity
    (3000, 500)
    """
    size = burst if burst is not None else LEGACY_BURST_BY_REGION.get(region, LEGACY_BURST_OTHER_REGIONS)
    return ScalingPolicy(f"legacy burst ({size:,} per account, then 500 per minute)",
                         size, 500 / 60, "account")


class TokenBucket:
    """Tokens that refill continuously up to a capacity; ``take`` spends one if there is one.

    >>> bucket = TokenBucket(capacity=2, refill_per_second=1, now=0)
    >>> [bucket.take(0), bucket.take(0), bucket.take(0), bucket.take(1.0)]
    [True, True, False, True]
    """

    __slots__ = ("capacity", "rate", "tokens", "last")

    def __init__(self, capacity: float, refill_per_second: float, now: float):
        self.capacity = capacity
        self.rate = refill_per_second
        self.tokens = capacity
        self.last = now

    def level(self, now: float) -> float:
        """Tokens available at ``now`` (refills first; times earlier than the last call count as the last)."""
        if now > self.last:
            tokens = self.tokens + (now - self.last) * self.rate
            self.tokens = tokens if tokens < self.capacity else self.capacity
            self.last = now
        return self.tokens

    def take(self, now: float) -> bool:
        """Spend one token if one is available at ``now``."""
        if self.level(now) >= _ONE:
            self.tokens -= 1.0
            return True
        return False
