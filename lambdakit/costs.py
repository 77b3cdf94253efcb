"""What a Lambda workload costs: AWS's list prices as data, one pricing rule, a power-tuning projection.

>>> from lambdakit.costs import cost, power_tuning
>>> bill = cost(requests=3_000_000, duration_ms=1000, memory_mb=512, free_tier=True)
>>> round(bill.total_usd, 2)   # AWS's pricing example 1 ($18.74 there: it rounds to $0.00001667/GB-s)
18.73
>>> tuning = power_tuning(duration_ms=800, measured_at_mb=512)
>>> tuning.fastest.memory_mb, tuning.points[0].projected
(1769, True)

Prices are those of US East (N. Virginia), first duration tier, in :data:`PRICES`
with the date they were checked and the page they come from. Everything the
power-tuning helpers return is a *projection* from AWS's documented rule that CPU
share grows with memory, not a measurement.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from typing import Any

#: AWS Lambda list prices (USD), US East (N. Virginia). Data, not logic: change it here only.
PRICES: dict[str, Any] = {
    "region": "us-east-1",
    "currency": "USD",
    "checked": "2026-11-25",
    "source": "https://aws.amazon.com/lambda/pricing/",
    "how_checked": (
        "The pricing page renders its rate tables client-side, so the figures were read from its "
        "worked examples (requests $0.20 per 1M, x86 $0.0000166667 per GB-s, free tier 1M requests "
        "and 400,000 GB-s per month, provisioned concurrency billed in 5-minute steps) and cross-checked "
        "against transcriptions of the page and of the AWS Price List API (rate codes for "
        "'Lambda Provisioned-Concurrency' and 'Lambda Duration-Provisioned', us-east-1)."),
    "request_per_million": 0.20,
    # first tier: the first 6 billion GB-seconds a month (x86_64), the first 7.5 billion (arm64)
    "duration_per_gb_second": {"x86_64": 0.0000166667, "arm64": 0.0000133334},
    "provisioned_per_gb_second": {"x86_64": 0.0000041667, "arm64": 0.0000033334},
    "provisioned_duration_per_gb_second": {"x86_64": 0.0000097222, "arm64": 0.0000077778},
    "free_tier": {"requests": 1_000_000, "gb_seconds": 400_000},  # per month, per account
    "duration_rounding_ms": 1,
    "provisioned_rounding_seconds": 300,
}

ARCHITECTURES = ("x86_64", "arm64")
MEMORY_MIN_MB, MEMORY_MAX_MB = 128, 10240
#: At 1,769 MB a function has the equivalent of one vCPU (AWS docs, "Configure Lambda function memory").
FULL_VCPU_MB = 1769
POWER_TUNING_SIZES = (128, 256, 512, 1024, 1536, 1769, 2048, 3008, 4096, 6144, 8192, 10240)


def billed_ms(duration_ms: float) -> int:
    """Billed duration of one invocation: rounded up to the next 1 ms, at least 1 ms.

    >>> billed_ms(0.2), billed_ms(12.0), billed_ms(12.01)
    (1, 12, 13)
    """
    if duration_ms < 0:
        raise ValueError(f"Negative duration {duration_ms}")
    return max(1, math.ceil(duration_ms))


@dataclasses.dataclass(frozen=True)
class Usage:
    """What AWS meters for one function over a period.

    requests: invocations (throttled requests are not billed).
    billed_ms: billed milliseconds of on-demand invocations (each rounded up to 1 ms).
    provisioned_billed_ms: billed milliseconds of invocations that ran on provisioned environments.
    provisioned_concurrency: environments configured as provisioned concurrency.
    provisioned_seconds: how long that configuration was in place.
    """

    requests: int
    billed_ms: int = 0
    provisioned_billed_ms: int = 0
    provisioned_concurrency: int = 0
    provisioned_seconds: float = 0.0


@dataclasses.dataclass(frozen=True)
class CostBreakdown:
    """A bill, split the way AWS's pricing page splits it (USD)."""

    requests: int
    gb_seconds: float  # billed duration x memory, on-demand and provisioned invocations
    provisioned_gb_seconds: float  # configured provisioned concurrency x memory x billed time
    requests_usd: float
    duration_usd: float
    provisioned_usd: float
    provisioned_duration_usd: float
    free_tier_usd: float  # zero or negative: the monthly free tier, when asked for
    total_usd: float

    def __add__(self, other: CostBreakdown) -> CostBreakdown:
        return CostBreakdown(*(a + b for a, b in zip(dataclasses.astuple(self),
                                                     dataclasses.astuple(other))))

    def as_dict(self) -> dict[str, float]:
        """The breakdown as plain data."""
        return dataclasses.asdict(self)

    def __str__(self) -> str:
        rows = [("requests", self.requests_usd), ("duration", self.duration_usd),
                ("provisioned concurrency", self.provisioned_usd),
                ("duration on provisioned", self.provisioned_duration_usd),
                ("free tier", self.free_tier_usd), ("total", self.total_usd)]
        return "\n".join(f"{name:<24} ${usd:,.6f}" for name, usd in rows if usd or name == "total")


def _check(memory_mb: float, architecture: str) -> None:
    if not MEMORY_MIN_MB <= memory_mb <= MEMORY_MAX_MB:
        raise ValueError(f"memory_mb must be between {MEMORY_MIN_MB} and {MEMORY_MAX_MB}, got {memory_mb}")
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be one of {ARCHITECTURES}, got {architecture!r}")


def price(usage: Usage, memory_mb: int = 128, architecture: str = "x86_64", *,
          free_tier: bool = False, prices: dict[str, Any] = PRICES) -> CostBreakdown:
    """Price a :class:`Usage` at list prices: the one pricing rule every helper uses.

    free_tier: subtract the monthly free tier (1M requests, 400,000 GB-s); AWS does not
        apply it to functions with provisioned concurrency, and neither does this.
    """
    _check(memory_mb, architecture)
    for name in ("requests", "billed_ms", "provisioned_billed_ms", "provisioned_concurrency",
                 "provisioned_seconds"):
        if getattr(usage, name) < 0:
            raise ValueError(f"Negative {name} {getattr(usage, name)}")
    gb = memory_mb / 1024
    gb_s_on_demand = usage.billed_ms / 1000 * gb
    gb_s_provisioned_runs = usage.provisioned_billed_ms / 1000 * gb
    step = prices["provisioned_rounding_seconds"]
    configured_s = math.ceil(usage.provisioned_seconds / step) * step if usage.provisioned_concurrency else 0
    provisioned_gb_s = usage.provisioned_concurrency * gb * configured_s
    requests_usd = usage.requests * prices["request_per_million"] / 1e6
    duration_rate = prices["duration_per_gb_second"][architecture]
    duration_usd = gb_s_on_demand * duration_rate
    provisioned_usd = provisioned_gb_s * prices["provisioned_per_gb_second"][architecture]
    provisioned_duration_usd = gb_s_provisioned_runs * prices["provisioned_duration_per_gb_second"][architecture]
    free = 0.0
    if free_tier and not usage.provisioned_concurrency:
        free = -(min(usage.requests, prices["free_tier"]["requests"]) * prices["request_per_million"] / 1e6
                 + min(gb_s_on_demand, prices["free_tier"]["gb_seconds"]) * duration_rate)
    total = requests_usd + duration_usd + provisioned_usd + provisioned_duration_usd + free
    return CostBreakdown(requests=usage.requests, gb_seconds=gb_s_on_demand + gb_s_provisioned_runs,
                         provisioned_gb_seconds=provisioned_gb_s, requests_usd=requests_usd,
                         duration_usd=duration_usd, provisioned_usd=provisioned_usd,
                         provisioned_duration_usd=provisioned_duration_usd, free_tier_usd=free,
                         total_usd=total)


def cost(requests: int, duration_ms: float | Sequence[float], memory_mb: int = 128,
         architecture: str = "x86_64", *, provisioned: int = 0, provisioned_seconds: float = 0.0,
         provisioned_requests: int = 0, free_tier: bool = False,
         prices: dict[str, Any] = PRICES) -> CostBreakdown:
    """What ``requests`` invocations cost at list prices (US East (N. Virginia)).

    requests: number of invocations.
    duration_ms: every invocation's duration (one number), or one duration per invocation
        (a sequence of ``requests`` numbers); each is billed rounded up to 1 ms.
    memory_mb, architecture: the function's MemorySize and ``x86_64`` or ``arm64``.
    provisioned: provisioned concurrency configured, for ``provisioned_seconds``
        (billed in steps of 5 minutes).
    provisioned_requests: how many of the invocations ran on provisioned environments
        (billed at the lower provisioned duration price); with a sequence of durations
        they are assumed to have the average billed duration.
    free_tier: subtract the monthly free tier (not for functions with provisioned concurrency).

    >>> round(cost(30_000_000, 200, 128, free_tier=True).total_usd, 2)   # AWS's example 2
    11.63
    >>> cost(1, 0.4).duration_usd == cost(1, 1).duration_usd             # 1 ms minimum
    True
    """
    if requests < 0:
        raise ValueError(f"Negative requests {requests}")
    if not 0 <= provisioned_requests <= requests:
        raise ValueError(f"provisioned_requests must be between 0 and {requests}, got {provisioned_requests}")
    if isinstance(duration_ms, (int, float)):
        total_ms = billed_ms(duration_ms) * requests
    else:
        if len(duration_ms) != requests:
            raise ValueError(f"Got {len(duration_ms)} durations for {requests} requests")
        total_ms = sum(billed_ms(d) for d in duration_ms)
    on_provisioned = round(total_ms * provisioned_requests / requests) if requests else 0
    return price(Usage(requests=requests, billed_ms=total_ms - on_provisioned,
                       provisioned_billed_ms=on_provisioned, provisioned_concurrency=provisioned,
                       provisioned_seconds=provisioned_seconds),
                 memory_mb, architecture, free_tier=free_tier, prices=prices)


# -- power tuning: a projection --------------------------------------------------------
def project_duration(duration_ms: float, measured_at_mb: int, memory_mb: int, *,
                     cpu_fraction: float = 1.0, threads: int = 1) -> float:
    """*Projected* duration at ``memory_mb`` from one measurement at ``measured_at_mb``.

    AWS allocates CPU in proportion to memory, one full vCPU at 1,769 MB. The
    CPU-bound part of the duration (``cpu_fraction``) is assumed to shrink in
    proportion to the CPU the code can use: ``min(memory_mb / 1769, threads)``
    vCPUs, so single-threaded code stops speeding up at 1,769 MB. The rest (waiting
    on the network, a database, ...) is assumed not to change. A projection, not a
    measurement: measure the sizes that matter (as AWS Lambda Power Tuning does).

    >>> project_duration(1000, 512, 1024)             # CPU-bound: twice the CPU, half the time
    500.0
    >>> project_duration(1000, 1769, 3538)            # single-threaded: no faster beyond 1,769 MB
    1000.0
    >>> project_duration(1000, 1769, 3538, threads=2)
    500.0
    """
    if duration_ms < 0:
        raise ValueError(f"Negative duration {duration_ms}")
    if not 0 <= cpu_fraction <= 1:
        raise ValueError(f"cpu_fraction must be between 0 and 1, got {cpu_fraction}")
    if threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    for mb in (measured_at_mb, memory_mb):
        _check(mb, "x86_64")

    def vcpus(mb: float) -> float:
        return min(mb / FULL_VCPU_MB, threads)

    return duration_ms * ((1 - cpu_fraction) + cpu_fraction * vcpus(measured_at_mb) / vcpus(memory_mb))


@dataclasses.dataclass(frozen=True)
class PowerTuningPoint:
    """One memory size of a power-tuning projection.

    projected: True for every size except the one that was measured.
    """

    memory_mb: int
    duration_ms: float
    cost_usd: float  # for the projection's ``requests`` invocations
    cost_per_invocation_usd: float
    projected: bool


@dataclasses.dataclass(frozen=True)
class PowerTuning:
    """A cost-vs-speed projection across memory sizes (every non-measured point is a projection)."""

    points: tuple[PowerTuningPoint, ...]
    requests: int
    architecture: str
    label: str = "projection from the documented CPU-per-memory rule, not a measurement"

    @property
    def cheapest(self) -> PowerTuningPoint:
        """The size with the lowest cost (the smallest such size on a tie)."""
        return min(self.points, key=lambda p: (p.cost_usd, p.memory_mb))

    @property
    def fastest(self) -> PowerTuningPoint:
        """The size with the shortest duration (the smallest such size on a tie)."""
        return min(self.points, key=lambda p: (round(p.duration_ms, 9), p.memory_mb))

    def columns(self) -> dict[str, list[Any]]:
        """Column lists for a chart: memory_mb, duration_ms, cost_usd, projected."""
        return {name: [getattr(p, name) for p in self.points]
                for name in ("memory_mb", "duration_ms", "cost_usd", "projected")}


def power_tuning(duration_ms: float, measured_at_mb: int,
                 memory_sizes: Iterable[int] = POWER_TUNING_SIZES, *, cpu_fraction: float = 1.0,
                 threads: int = 1, architecture: str = "x86_64", requests: int = 1_000_000,
                 prices: dict[str, Any] = PRICES) -> PowerTuning:
    """*Project* duration and cost across memory sizes from one measured duration.

    duration_ms, measured_at_mb: the measurement (e.g. a REPORT line's Duration and Memory Size).
    memory_sizes: the sizes to project (the measured size is always included).
    cpu_fraction, threads: see :func:`project_duration`.
    requests: how many invocations each point's ``cost_usd`` is for (no free tier).

    >>> t = power_tuning(400, 128, [128, 256, 1024])
    >>> [(p.memory_mb, round(p.duration_ms)) for p in t.points]
    [(128, 400), (256, 200), (1024, 50)]
    """
    sizes = sorted(set(memory_sizes) | {measured_at_mb})
    points = []
    for mb in sizes:
        projected_ms = project_duration(duration_ms, measured_at_mb, mb, cpu_fraction=cpu_fraction,
                                        threads=threads)
        bill = cost(requests, projected_ms, mb, architecture, prices=prices)
        points.append(PowerTuningPoint(memory_mb=mb, duration_ms=projected_ms, cost_usd=bill.total_usd,
                                       cost_per_invocation_usd=bill.total_usd / requests if requests else 0.0,
                                       projected=mb != measured_at_mb))
    return PowerTuning(points=tuple(points), requests=requests, architecture=architecture)
