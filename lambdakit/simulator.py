"""A discrete-event simulator of Lambda scaling: minutes of traffic replayed in a fraction of a second.

Requests arrive in a pattern; each asks the one concurrency model
(:mod:`lambdakit.concurrency`, on a virtual clock) for a grant, exactly as the live
engine does on the wall clock, so throttles follow the same rules. Granted
requests run in a provisioned environment, a warm idle on-demand environment, or
a new one (a cold start: Init, then the handler); idle environments shut down
after ``idle_lifetime_s``.

>>> from lambdakit.simulator import simulate, ConstantRate, Spike, Fixed, LogNormal
>>> result = simulate(ConstantRate(100, seconds=60), duration_ms=Fixed(200), init_ms=Fixed(300))
>>> result.invocations, result.throttles, result.cold_starts
(6000, 0, 50)
>>> result.timeseries["concurrency_max"][30]     # Little's law: 100 per s x 0.2 s
20
>>> spike = simulate(Spike(5000), duration_ms=Fixed(2000), account_limit=10_000)
>>> spike.cold_starts, spike.throttles          # today's rule: 1,000 new environments at once
(1000, 4000)

Deterministic: the same arguments and ``seed`` give the same result, to the bit.
Times are in seconds; durations (``duration_ms``, ``init_ms``) in milliseconds.
"""
from __future__ import annotations

import collections
import dataclasses
import heapq
import itertools
import math
import random
from collections.abc import Iterable, Sequence
from typing import Any

from . import costs
from .concurrency import (CURRENT, ConcurrencyModel, DEFAULT_ACCOUNT_LIMIT, ScalingPolicy,
                          VirtualClock)

__all__ = ["simulate", "Workload", "SimulationResult", "FunctionResult",
           "ConstantRate", "Ramp", "Spike", "ArrivalTimes", "Fixed", "Uniform", "LogNormal",
           "Exponential", "Empirical", "DEFAULT_IDLE_LIFETIME_S", "DEFAULT_INIT_MS"]

#: How long an idle on-demand environment lives (AWS does not document it; minutes in practice).
DEFAULT_IDLE_LIFETIME_S = 300.0
#: An illustrative Init duration for a small Python function (use your REPORT lines' Init Duration).
DEFAULT_INIT_MS = 250.0
PROVISIONED_QUALIFIER = "live"  # the alias provisioned concurrency is configured on
US = 1_000_000  # event times are kept in whole microseconds
MS = 1_000  # microseconds per millisecond
SERIES_COLUMNS = ("second", "invocations", "throttles", "cold_starts", "concurrency_max",
                  "environments_max", "provisioned_busy", "provisioned_idle", "on_demand_busy",
                  "on_demand_idle")


# -- arrival patterns ----------------------------------------------------------------
class Arrivals:
    """A pattern of request arrival times; ``a + b`` merges two patterns."""

    def times(self, rng: random.Random) -> list[float]:  # pragma: no cover - abstract
        """Sorted arrival times in seconds."""
        raise NotImplementedError

    def __add__(self, other: Arrivals) -> Arrivals:
        return _Merged((self, other))


@dataclasses.dataclass(frozen=True)
class Ramp(Arrivals):
    """A rate that changes linearly from ``start_rate`` to ``end_rate`` requests/s over ``seconds``.

    poisson: random (Poisson) arrivals at that rate instead of evenly spaced ones.

    >>> Ramp(0, 4, seconds=2).times(random.Random(0))
    [0.0, 1.0, 1.4142135623730951, 1.7320508075688772]
    """

    start_rate: float
    end_rate: float
    seconds: float
    start: float = 0.0
    poisson: bool = False

    def __post_init__(self) -> None:
        for name in ("start_rate", "end_rate", "seconds", "start"):
            if getattr(self, name) < 0:
                raise ValueError(f"Negative {name} {getattr(self, name)}")

    def times(self, rng: random.Random) -> list[float]:
        r0, slope, start = self.start_rate, 0.0, self.start
        if self.seconds:
            slope = (self.end_rate - self.start_rate) / self.seconds
        total = (self.start_rate + self.end_rate) / 2 * self.seconds  # expected arrivals

        if self.poisson:
            marks, mark = [], rng.expovariate(1.0)
            while mark < total:
                marks.append(mark)
                mark += rng.expovariate(1.0)
        else:
            n = math.floor(total + 1e-9)
            if slope == 0 and r0:
                return [start + k / r0 for k in range(n)]
            marks = range(n)
        if slope == 0:
            return [start + m / r0 for m in marks]
        # the k-th arrival is where the cumulative rate r0*t + slope*t^2/2 reaches k
        sqrt, a2, r0sq = math.sqrt, 2 * slope, r0 * r0
        return [start + (sqrt(max(0.0, r0sq + a2 * m)) - r0) / slope for m in marks]


class ConstantRate(Ramp):
    """``rate`` requests per second for ``seconds`` (evenly spaced, or Poisson with ``poisson=True``).

    >>> len(ConstantRate(50, seconds=2).times(random.Random(0)))
    100
    """

    def __init__(self, rate: float, seconds: float, start: float = 0.0, poisson: bool = False):
        super().__init__(rate, rate, seconds, start, poisson)

    def __repr__(self) -> str:
        return (f"ConstantRate({self.start_rate}, seconds={self.seconds}, start={self.start}, "
                f"poisson={self.poisson})")


@dataclasses.dataclass(frozen=True)
class Spike(Arrivals):
    """``requests`` requests arriving at the same instant ``at``."""

    requests: int
    at: float = 0.0

    def __post_init__(self) -> None:
        if self.requests < 0:
            raise ValueError(f"Negative requests {self.requests}")
        if self.at < 0:
            raise ValueError(f"Negative time {self.at}")

    def times(self, rng: random.Random) -> list[float]:
        return [float(self.at)] * self.requests


class ArrivalTimes(Arrivals):
    """An explicit list of arrival times in seconds (sorted for you)."""

    def __init__(self, times: Iterable[float]):
        self._times = sorted(float(t) for t in times)
        if self._times and self._times[0] < 0:
            raise ValueError(f"Negative time {self._times[0]}")

    def times(self, rng: random.Random) -> list[float]:
        return list(self._times)

    def __repr__(self) -> str:
        return f"ArrivalTimes(<{len(self._times)} times>)"


@dataclasses.dataclass(frozen=True)
class _Merged(Arrivals):
    parts: tuple[Arrivals, ...]

    def times(self, rng: random.Random) -> list[float]:
        return list(heapq.merge(*(part.times(rng) for part in self.parts)))

    def __add__(self, other: Arrivals) -> Arrivals:
        return _Merged((*self.parts, other))


# -- duration distributions (milliseconds) ---------------------------------------------
class Distribution:
    """Random durations in milliseconds, drawn from a seeded :class:`random.Random`."""

    constant: float | None = None

    def sample(self, rng: random.Random) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def many(self, rng: random.Random, n: int) -> list[float]:
        """``n`` draws."""
        if self.constant is not None:
            return [self.constant] * n
        sample = self.sample
        return [sample(rng) for _ in range(n)]


def _non_negative(**values: float) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"Negative {name} {value}")


class Fixed(Distribution):
    """Always ``value`` milliseconds."""

    def __init__(self, value: float):
        _non_negative(value=value)
        self.constant = float(value)

    def sample(self, rng: random.Random) -> float:
        return self.constant

    def __repr__(self) -> str:
        return f"Fixed({self.constant})"


class Uniform(Distribution):
    """Uniformly between ``low`` and ``high`` milliseconds."""

    def __init__(self, low: float, high: float):
        _non_negative(low=low, high=high)
        if high < low:
            raise ValueError(f"high ({high}) is below low ({low})")
        self.low, self.high = float(low), float(high)

    def sample(self, rng: random.Random) -> float:
        return rng.uniform(self.low, self.high)

    def __repr__(self) -> str:
        return f"Uniform({self.low}, {self.high})"


class LogNormal(Distribution):
    """Log-normal with the given ``median`` (ms) and ``sigma`` (spread of the log): a long right tail."""

    def __init__(self, median: float, sigma: float):
        _non_negative(sigma=sigma)
        if median <= 0:
            raise ValueError(f"median must be positive, got {median}")
        self.median, self.sigma, self._mu = float(median), float(sigma), math.log(median)

    def sample(self, rng: random.Random) -> float:
        return rng.lognormvariate(self._mu, self.sigma)

    def __repr__(self) -> str:
        return f"LogNormal(median={self.median}, sigma={self.sigma})"


class Exponential(Distribution):
    """Exponential with the given ``mean`` (ms)."""

    def __init__(self, mean: float):
        if mean <= 0:
            raise ValueError(f"mean must be positive, got {mean}")
        self.mean = float(mean)

    def sample(self, rng: random.Random) -> float:
        return rng.expovariate(1.0 / self.mean)

    def __repr__(self) -> str:
        return f"Exponential(mean={self.mean})"


class Empirical(Distribution):
    """Draws from measured durations, e.g. ``[r.duration_ms for r in engine.records]``."""

    def __init__(self, values: Iterable[float]):
        self.values = [float(v) for v in values]
        if not self.values:
            raise ValueError("Empirical needs at least one value")
        _non_negative(value=min(self.values))

    def sample(self, rng: random.Random) -> float:
        return rng.choice(self.values)

    def __repr__(self) -> str:
        return f"Empirical(<{len(self.values)} values>)"


def _distribution(value: Distribution | float, what: str) -> Distribution:
    if isinstance(value, Distribution):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Fixed(value)
    raise ValueError(f"{what} must be a number of milliseconds or a Distribution, got {value!r}")


# -- input and output ------------------------------------------------------------------
@dataclasses.dataclass
class Workload:
    """One function and the traffic it receives.

    name: the function's name (unique within a simulation).
    arrivals: when requests arrive (:class:`ConstantRate`, :class:`Spike`, :class:`Ramp`, ...).
    duration_ms: how long the handler runs (a number or a :class:`Distribution`).
    init_ms: how long Init takes on a cold start.
    memory_mb, architecture: for the cost.
    reserved: reserved concurrency (None: share the unreserved pool).
    provisioned: provisioned concurrency (configured on the alias the requests invoke).
    """

    name: str
    arrivals: Arrivals
    duration_ms: Distribution | float
    init_ms: Distribution | float = DEFAULT_INIT_MS
    memory_mb: int = 128
    architecture: str = "x86_64"
    reserved: int | None = None
    provisioned: int = 0


@dataclasses.dataclass
class FunctionResult:
    """What one function saw. ``timeseries`` holds one row per simulated second (column lists)."""

    name: str
    requests: int
    invocations: int
    throttles: int
    throttles_by_cause: dict[str, int]
    cold_starts: int
    provisioned_invocations: int
    peak_concurrency: int
    peak_environments: int
    latency_ms: dict[str, float]
    timeseries: dict[str, list[int]]
    usage: costs.Usage
    cost: costs.CostBreakdown


@dataclasses.dataclass
class SimulationResult(FunctionResult):
    """The whole account (the totals) plus each function in ``functions``."""

    functions: dict[str, FunctionResult] = dataclasses.field(default_factory=dict)
    scaling: str = ""
    account_limit: int = DEFAULT_ACCOUNT_LIMIT
    seed: Any = 0
    end_time: float = 0.0

    def summary(self) -> str:
        """A few lines for a lesson cell."""
        lat = self.latency_ms
        lines = [f"{self.requests:,} requests over {self.end_time:,.1f} s ({self.scaling}): "
                 f"{self.invocations:,} ran, {self.throttles:,} throttled, "
                 f"{self.cold_starts:,} cold starts",
                 f"peak concurrency {self.peak_concurrency:,}, peak environments {self.peak_environments:,}",
                 f"latency p50 {lat['p50']:.1f} ms, p90 {lat['p90']:.1f} ms, p99 {lat['p99']:.1f} ms",
                 f"cost ${self.cost.total_usd:,.6f} at list prices"]
        return "\n".join(lines)


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return dict.fromkeys(("p50", "p90", "p99", "mean", "max"), math.nan)
    xs = sorted(values)
    last = len(xs) - 1

    def pct(p: float) -> float:  # linear interpolation, as numpy's default
        k = last * p / 100
        lo = int(k)
        hi = min(lo + 1, last)
        return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)

    return {"p50": pct(50), "p90": pct(90), "p99": pct(99), "mean": math.fsum(xs) / len(xs),
            "max": xs[-1]}


class _Function:
    """The simulator's state for one workload (environments it owns; the rules live in the model)."""

    __slots__ = ("name", "workload", "provisioned", "idle", "od_busy", "prov_busy", "requests",
                 "invocations", "throttles", "causes", "cold", "prov_runs", "billed", "prov_billed",
                 "latencies", "peak_c", "peak_e", "i_inv", "i_thr", "i_cold", "i_cmax", "i_emax",
                 "series", "init")

    def __init__(self, workload: Workload, init: Any):
        self.name, self.workload, self.init = workload.name, workload, init
        self.provisioned = workload.provisioned
        self.idle: collections.deque[int] = collections.deque()  # expiry times (µs), oldest first
        self.od_busy = self.prov_busy = 0
        self.requests = self.invocations = self.throttles = self.cold = self.prov_runs = 0
        self.billed = self.prov_billed = 0
        self.causes: collections.Counter[str] = collections.Counter()
        self.latencies: list[float] = []
        self.peak_c = 0
        self.peak_e = self.provisioned
        self.i_inv = self.i_thr = self.i_cold = self.i_cmax = 0
        self.i_emax = self.provisioned
        self.series: dict[str, list[int]] = {name: [] for name in SERIES_COLUMNS}


def simulate(arrivals: Arrivals | Sequence[Workload], duration_ms: Distribution | float | None = None,
             init_ms: Distribution | float = DEFAULT_INIT_MS, *, memory_mb: int = 128,
             architecture: str = "x86_64", reserved: int | None = None, provisioned: int = 0,
             account_limit: int = DEFAULT_ACCOUNT_LIMIT, scaling: ScalingPolicy = CURRENT,
             idle_lifetime_s: float = DEFAULT_IDLE_LIFETIME_S, seed: Any = 0,
             until: float | None = None) -> SimulationResult:
    """Replay traffic against Lambda's concurrency rules; return counts, a time series, latency and cost.

    arrivals: an arrival pattern for one function (then ``duration_ms`` is required and
        ``init_ms``, ``memory_mb``, ``architecture``, ``reserved``, ``provisioned`` describe
        it), or a list of :class:`Workload` for several functions sharing the account.
    account_limit: the account's concurrency limit (AWS default 1,000).
    scaling: :data:`lambdakit.concurrency.CURRENT` (today's rule) or
        :func:`lambdakit.concurrency.legacy_burst` (before November 2023).
    idle_lifetime_s: how long an unused on-demand environment stays warm.
    seed: seeds every random draw (arrivals, durations, Init), so results repeat exactly.
    until: keep the clock running to this time (seconds) after the last request, to watch
        idle environments shut down; by default the simulation ends with the last request.

    Latency is Init (on a cold start) plus the handler's duration; throttled requests have
    none. Cost is at list prices, without the free tier; provisioned concurrency is billed
    for the whole simulated time (rounded up to 5 minutes, as AWS does).

    >>> r = simulate(Spike(10), duration_ms=100, reserved=4, init_ms=0)
    >>> r.invocations, r.throttles, r.throttles_by_cause
    (4, 6, {'reserved-limit': 6})
    """
    if isinstance(arrivals, Arrivals):
        if duration_ms is None:
            raise ValueError("duration_ms is required with a single arrival pattern")
        workloads = [Workload("function", arrivals, duration_ms, init_ms, memory_mb, architecture,
                              reserved, provisioned)]
    else:
        workloads = list(arrivals)
        if duration_ms is not None:
            raise ValueError("duration_ms belongs in each Workload when several are given")
        if not workloads or not all(isinstance(w, Workload) for w in workloads):
            raise ValueError("arrivals must be an arrival pattern or a list of Workload")
    if len({w.name for w in workloads}) != len(workloads):
        raise ValueError("Workload names must be unique")
    if idle_lifetime_s < 0:
        raise ValueError(f"Negative idle lifetime {idle_lifetime_s}")
    if until is not None and until < 0:
        raise ValueError(f"Negative time {until}")

    clock = VirtualClock()
    model = ConcurrencyModel(account_limit, scaling=scaling, clock=clock)
    fs: list[_Function] = []
    streams = []
    for w in workloads:
        costs.price(costs.Usage(0), w.memory_mb, w.architecture)  # checks memory and architecture
        model.set_reserved(w.name, w.reserved)
        if w.provisioned:
            model.set_provisioned(w.name, PROVISIONED_QUALIFIER, w.provisioned)
        init = _distribution(w.init_ms, "init_ms")
        init_rng = random.Random(f"{seed}/{w.name}/init")
        f = _Function(w, init.constant if init.constant is not None else
                      (lambda d=init, r=init_rng: d.sample(r)))
        times = w.arrivals.times(random.Random(f"{seed}/{w.name}/arrivals"))
        durations = _distribution(w.duration_ms, "duration_ms").many(
            random.Random(f"{seed}/{w.name}/duration"), len(times))
        f.requests = len(times)
        streams.append(zip([round(x * US) for x in times], itertools.repeat(len(fs)), durations))
        fs.append(f)
    events = streams[0] if len(streams) == 1 else heapq.merge(*streams)
    qualifiers = [PROVISIONED_QUALIFIER if f.provisioned else "$LATEST" for f in fs]
    acc = _Account(fs)
    single = len(fs) == 1

    # Event times are whole microseconds, so a request arriving at the very instant another
    # finishes reuses its environment, whatever the floating-point rounding of the sums.
    heap: list[tuple[int, int, int, Any]] = []
    acquire, release, pop, push, ceil = (model.try_acquire, model.release, heapq.heappop,
                                         heapq.heappush, math.ceil)
    lifetime = round(idle_lifetime_s * US)
    next_tick = US  # rows are recorded when the clock reaches each whole second
    seq = busy = 0  # busy: invocations running across the account

    def finish() -> None:
        """Complete the invocation at the top of the heap; its environment goes idle."""
        nonlocal busy
        end, _, fi, grant = pop(heap)
        clock.time = now = end / US
        release(grant, now)
        f = fs[fi]
        busy -= 1
        if grant.provisioned:
            f.prov_busy -= 1
        else:
            f.od_busy -= 1
            f.idle.append(end + lifetime)

    for t, wi, d in events:
        while heap and heap[0][0] <= t:  # finish() inlined: this loop is the hot path
            if heap[0][0] >= next_tick:
                next_tick = acc.record_until(heap[0][0], next_tick)
            end, _, fi, grant = pop(heap)
            release(grant, end / US)
            f = fs[fi]
            busy -= 1
            if grant.provisioned:
                f.prov_busy -= 1
            else:
                f.od_busy -= 1
                f.idle.append(end + lifetime)
        if t >= next_tick:
            next_tick = acc.record_until(t, next_tick)
        clock.time = now = t / US
        f = fs[wi]
        idle = f.idle
        while idle and idle[0] <= t:  # expired: shut down before this request looks for one
            idle.popleft()
        grant = acquire(f.name, qualifiers[wi], now, warm=bool(idle))
        if grant.ok:
            if grant.provisioned:
                latency = d
                f.prov_busy += 1
                f.prov_runs += 1
                f.prov_billed += ceil(d) or 1
            elif grant.new_environment:
                init = f.init
                latency = d + (init if init.__class__ is float else init())
                f.od_busy += 1
                f.cold += 1
                f.i_cold += 1
                f.billed += ceil(latency) or 1  # Init is billed on on-demand cold starts (since Aug 2025)
                live = f.od_busy + len(idle) + f.provisioned
                if live > f.i_emax:
                    f.i_emax = live
                if not single:
                    live = sum(g.od_busy + len(g.idle) + g.provisioned for g in fs)
                if live > acc.i_emax:
                    acc.i_emax = live
            else:
                idle.pop()
                latency = d
                f.od_busy += 1
                f.billed += ceil(d) or 1
            seq += 1
            push(heap, (t + round(latency * MS), seq, wi, grant))
            f.latencies.append(latency)
            f.invocations += 1
            f.i_inv += 1
            busy += 1
            running = f.od_busy + f.prov_busy
            if running > f.i_cmax:
                f.i_cmax = running
            if busy > acc.i_cmax:
                acc.i_cmax = busy
        else:
            f.throttles += 1
            f.i_thr += 1
            f.causes[grant.cause] += 1
    while heap:  # the invocations still running
        if heap[0][0] >= next_tick:
            next_tick = acc.record_until(heap[0][0], next_tick)
        finish()
    end = max(round(clock.time * US), round((until or 0.0) * US))
    next_tick = acc.record_until(end, next_tick)
    if end > next_tick - US or not acc.series["second"]:
        acc.record(end)  # the last, partial second
    end_time = end / US
    clock.advance_to(end_time)
    return _result(fs, acc, workloads, model, seed, end_time)


class _Account:
    """Rows for every function and for the account as a whole, one per simulated second."""

    __slots__ = ("fs", "series", "i_cmax", "i_emax")

    def __init__(self, fs: list[_Function]):
        self.fs = fs
        self.series: dict[str, list[int]] = {name: [] for name in SERIES_COLUMNS}
        self.i_cmax = 0
        self.i_emax = sum(f.provisioned for f in fs)

    def record_until(self, when: int, next_tick: int) -> int:
        """Record the row of every whole second up to ``when`` (µs); return the next boundary."""
        while next_tick <= when:
            self.record(next_tick)
            next_tick += US
        return next_tick

    def record(self, at: int) -> None:
        """Append the row of the second ending at ``at`` (µs): counts during it, then a snapshot."""
        second = (at - 1) // US if at > 0 else 0
        rows = []
        for f in self.fs:
            idle = f.idle
            while idle and idle[0] <= at:  # environments that reached their idle lifetime
                idle.popleft()
            row = (second, f.i_inv, f.i_thr, f.i_cold, f.i_cmax, f.i_emax, f.prov_busy,
                   f.provisioned - f.prov_busy, f.od_busy, len(idle))
            for column, value in zip(f.series.values(), row):
                column.append(value)
            rows.append(row)
            f.peak_c = max(f.peak_c, f.i_cmax)
            f.peak_e = max(f.peak_e, f.i_emax)
            f.i_inv = f.i_thr = f.i_cold = 0
            f.i_cmax = f.od_busy + f.prov_busy
            f.i_emax = f.od_busy + len(idle) + f.provisioned
        total = [second, *(sum(column) for column in list(zip(*rows))[1:])]
        total[4], total[5] = self.i_cmax, self.i_emax  # the account's own maxima, not sums of maxima
        for column, value in zip(self.series.values(), total):
            column.append(value)
        self.i_cmax = sum(f.i_cmax for f in self.fs)
        self.i_emax = sum(f.i_emax for f in self.fs)


def _result(fs: list[_Function], acc: _Account, workloads: list[Workload], model: ConcurrencyModel,
            seed: Any, end_time: float) -> SimulationResult:
    results = {}
    for f, w in zip(fs, workloads):
        usage = costs.Usage(requests=f.invocations, billed_ms=f.billed, provisioned_billed_ms=f.prov_billed,
                            provisioned_concurrency=f.provisioned, provisioned_seconds=end_time)
        results[f.name] = FunctionResult(
            name=f.name, requests=f.requests, invocations=f.invocations, throttles=f.throttles,
            throttles_by_cause=dict(sorted(f.causes.items())), cold_starts=f.cold,
            provisioned_invocations=f.prov_runs, peak_concurrency=f.peak_c, peak_environments=f.peak_e,
            latency_ms=_percentiles(f.latencies), timeseries=f.series, usage=usage,
            cost=costs.price(usage, w.memory_mb, w.architecture))
    parts = list(results.values())
    causes: collections.Counter[str] = collections.Counter()
    total_cost = parts[0].cost
    for part in parts[1:]:
        total_cost = total_cost + part.cost
    for part in parts:
        causes.update(part.throttles_by_cause)
    series = acc.series
    single = len(parts) == 1
    return SimulationResult(
        name="(account)", requests=sum(p.requests for p in parts),
        invocations=sum(p.invocations for p in parts), throttles=sum(p.throttles for p in parts),
        throttles_by_cause=dict(sorted(causes.items())), cold_starts=sum(p.cold_starts for p in parts),
        provisioned_invocations=sum(p.provisioned_invocations for p in parts),
        peak_concurrency=int(max(series["concurrency_max"], default=0)),
        peak_environments=int(max(series["environments_max"], default=0)),
        latency_ms=parts[0].latency_ms if single else
        _percentiles([x for f in fs for x in f.latencies]),
        timeseries=series,
        usage=parts[0].usage if single else costs.Usage(
            requests=sum(p.usage.requests for p in parts),
            billed_ms=sum(p.usage.billed_ms for p in parts),
            provisioned_billed_ms=sum(p.usage.provisioned_billed_ms for p in parts),
            provisioned_concurrency=sum(p.usage.provisioned_concurrency for p in parts),
            provisioned_seconds=end_time),
        cost=total_cost, functions=results, scaling=model.scaling.name,
        account_limit=model.account_limit, seed=seed, end_time=end_time)
