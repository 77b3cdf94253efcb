"""The concurrency rules of one account, in one object: who may run now, and who gets a 429.

:class:`ConcurrencyModel` owns every number the rules need (the account limit,
each function's reserved and provisioned concurrency, the in-flight counts and
the scaling buckets) and nothing else: it runs no code and keeps no
environments. Callers ask before an invocation starts and tell it when the
invocation ends::

    decision = model.try_acquire("orders", "live", now, warm=pool_has_idle_env)
    if not decision.ok:                  # a Throttle: answer 429 with decision.reason
        ...
    ...                                  # run it (provisioned env if decision.provisioned)
    model.release(decision, now)

The rules, as AWS documents them ("Lambda function scaling", "Configuring
reserved concurrency", "Configuring provisioned concurrency"):

- The account may run at most ``account_limit`` invocations at once (1,000 by default).
- A function with reserved concurrency R never runs more than R at once (reserved 0
  throttles every invocation); R is taken out of the shared pool whether used or not.
- Provisioned concurrency P (per version or alias) is part of the function's reserved
  concurrency if it has one (on-demand invocations then get R minus all of P),
  otherwise it is taken out of the shared pool. Invocations use free provisioned
  environments first (already initialised: no Init) and spill over to on-demand
  environments.
- Functions without reserved concurrency share what is left: the *unreserved*
  concurrency, ``account_limit - sum(reserved) - sum(provisioned of unreserved functions)``.
  Configuration may never push it below 100 (or below the account limit when that is
  smaller: AWS answers "... below its minimum value of [10]" in accounts limited to 10).
- A new on-demand environment also needs a token from the scaling policy
  (:mod:`._scaling`); reusing a warm environment does not.

Throttle reasons are the ``Reason`` values of Lambda's ``TooManyRequestsException``
(message ``Rate Exceeded.``): ``ReservedFunctionConcurrentInvocationLimitExceeded``
for a function at its reserved concurrency, ``ConcurrentInvocationLimitExceeded``
for the shared pool. AWS documents only "a throttling error (429)" for scaling
faster than the rate allows; the kit answers ``ConcurrentInvocationLimitExceeded``
and says so in :attr:`Throttle.cause` (``"scaling-rate"``).

The model is not thread-safe: the live engine calls it under its own lock.
"""
from __future__ import annotations

from typing import Any

from ._clock import WallClock
from ._scaling import CURRENT, ScalingPolicy, TokenBucket

DEFAULT_ACCOUNT_LIMIT = 1000
UNRESERVED_MINIMUM = 100

ACCOUNT_LIMIT_REASON = "ConcurrentInvocationLimitExceeded"
RESERVED_LIMIT_REASON = "ReservedFunctionConcurrentInvocationLimitExceeded"
THROTTLE_MESSAGE = "Rate Exceeded."

#: AWS's wording for PutFunctionConcurrency / PutProvisionedConcurrencyConfig (400).
RESERVED_BELOW_MINIMUM = ("Specified ReservedConcurrentExecutions for function decreases account's "
                          "UnreservedConcurrentExecution below its minimum value of [{minimum}].")
PROVISIONED_BELOW_MINIMUM = ("Specified ConcurrentExecutions for function decreases account's "
                             "UnreservedConcurrentExecution below its minimum value of [{minimum}].")
PROVISIONED_ABOVE_RESERVED = ("Requested Provisioned Concurrency should not be greater than the "
                              "reservedConcurrentExecution for function")
PROVISIONED_ON_LATEST = ("Provisioned Concurrency Configs cannot be applied to unpublished "
                         "function versions.")
#: The kit's own wording (AWS's exact text for this case was not found).
RESERVED_BELOW_PROVISIONED = ("Specified ReservedConcurrentExecutions for function is less than the "
                              "function's total provisioned concurrency [{provisioned}].")


class ConcurrencyConfigError(ValueError):
    """A concurrency setting the rules refuse; the API layer answers it as a 400.

    ``code`` is the AWS error code to send and ``message`` AWS's wording.
    """

    code = "InvalidParameterValueException"
    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Throttle:
    """The answer "not now": Lambda would reply 429 ``TooManyRequestsException``.

    reason: the ``Reason`` field of the error body.
    cause: which rule said no: ``"account-limit"``, ``"reserved-limit"`` or ``"scaling-rate"``.
    """

    __slots__ = ("reason", "cause")
    ok = False
    provisioned = False
    code = "TooManyRequestsException"
    status = 429
    message = THROTTLE_MESSAGE

    def __init__(self, reason: str, cause: str):
        self.reason = reason
        self.cause = cause

    def error_fields(self) -> dict[str, str]:
        """Extra fields of the error body, e.g. ``TooManyRequestsException(t.message, **t.error_fields())``."""
        return {"Reason": self.reason}

    def __repr__(self) -> str:
        return f"Throttle({self.reason!r}, cause={self.cause!r})"


THROTTLED_BY_ACCOUNT = Throttle(ACCOUNT_LIMIT_REASON, "account-limit")
THROTTLED_BY_RESERVED = Throttle(RESERVED_LIMIT_REASON, "reserved-limit")
THROTTLED_BY_SCALING = Throttle(ACCOUNT_LIMIT_REASON, "scaling-rate")


class Grant:
    """The answer "go": one unit of concurrency, held until :meth:`ConcurrencyModel.release`.

    provisioned: run it in a provisioned (already initialised) environment.
    new_environment: an on-demand environment must be created (a cold start);
        False for provisioned grants and for ``warm=True`` requests.
    pool: whose concurrency it uses: ``"provisioned"``, ``"reserved"`` or ``"unreserved"``.
    """

    __slots__ = ("function", "qualifier", "provisioned", "new_environment", "pool", "released")
    ok = True

    def __init__(self, function: str, qualifier: str, provisioned: bool, new_environment: bool,
                 pool: str):
        self.function = function
        self.qualifier = qualifier
        self.provisioned = provisioned
        self.new_environment = new_environment
        self.pool = pool
        self.released = False

    def __repr__(self) -> str:
        return (f"Grant({self.function!r}, {self.qualifier!r}, pool={self.pool!r}, "
                f"new_environment={self.new_environment})")


class _Function:
    """One function's settings and usage (private: read it through the model)."""

    __slots__ = ("name", "reserved", "provisioned", "provisioned_total", "provisioned_busy",
                 "in_flight", "on_demand", "bucket")

    def __init__(self, name: str):
        self.name = name
        self.reserved: int | None = None
        self.provisioned: dict[str, int] = {}  # qualifier -> provisioned concurrency
        self.provisioned_total = 0
        self.provisioned_busy: dict[str, int] = {}
        self.in_flight = 0  # all running invocations
        self.on_demand = 0  # those not on provisioned environments
        self.bucket: TokenBucket | None = None

    def allocation(self) -> int:
        """Concurrency this function takes out of the shared pool."""
        return self.reserved if self.reserved is not None else self.provisioned_total


def _count(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"Negative {what} {value}" if value < 0 else
                         f"{what} must be at least {minimum}, got {value}")
    return value


class ConcurrencyModel:
    """Lambda's concurrency rules for one account and Region, on any clock.

    account_limit: concurrent executions for the whole account (AWS default 1,000;
        new accounts can be lower, lessons may pick any positive number).
    scaling: how fast new environments may appear: :data:`CURRENT` (default),
        :func:`legacy_burst` or :data:`UNLIMITED`.
    clock: where ``now`` comes from when a call omits it: a :class:`WallClock`
        (default) or the simulator's :class:`VirtualClock`.

    >>> model = ConcurrencyModel(account_limit=200)
    >>> model.set_reserved("orders", 2)
    >>> [model.try_acquire("orders", now=0).ok for _ in range(3)]
    [True, True, False]
    >>> model.unreserved_concurrency
    198
    """

    def __init__(self, account_limit: int = DEFAULT_ACCOUNT_LIMIT, *,
                 scaling: ScalingPolicy = CURRENT, clock: Any = None):
        self.account_limit = _count(account_limit, "account concurrency limit", 1)
        if not isinstance(scaling, ScalingPolicy):
            raise ValueError(f"scaling must be a ScalingPolicy, got {scaling!r}")
        self.scaling = scaling
        self.clock = clock if clock is not None else WallClock()
        self._functions: dict[str, _Function] = {}
        self._allocated = 0  # reserved + provisioned-of-unreserved, across functions
        self._unreserved_busy = 0  # on-demand invocations of functions without reservation
        self._account_bucket: TokenBucket | None = None

    # -- the account ----------------------------------------------------------------
    @property
    def unreserved_minimum(self) -> int:
        """The least unreserved concurrency configuration may leave (100, or the limit if lower)."""
        return min(UNRESERVED_MINIMUM, self.account_limit)

    @property
    def unreserved_concurrency(self) -> int:
        """GetAccountSettings' ``UnreservedConcurrentExecutions``: the pool shared by unreserved functions."""
        return self.account_limit - self._allocated

    @property
    def in_flight(self) -> int:
        """Invocations running now, across the account."""
        return sum(f.in_flight for f in self._functions.values())

    @property
    def unreserved_in_flight(self) -> int:
        """On-demand invocations of functions without reserved concurrency running now."""
        return self._unreserved_busy

    def function_in_flight(self, function: str) -> int:
        """Invocations of ``function`` running now (all versions and aliases)."""
        f = self._functions.get(function)
        return 0 if f is None else f.in_flight

    # -- invocations ------------------------------------------------------------------
    def try_acquire(self, function: str, qualifier: str = "$LATEST", now: float | None = None, *,
                    warm: bool = False) -> Grant | Throttle:
        """Ask to start one invocation; a :class:`Grant` to run it or a :class:`Throttle` (429).

        function: the function's name (settings are per function; unknown names have none).
        qualifier: the version or alias invoked; provisioned concurrency is per qualifier.
        now: seconds on the model's clock (asked from ``clock`` when omitted).
        warm: the caller has an idle on-demand environment of this function to reuse,
            so no new environment (and no scaling token) is needed.

        >>> model = ConcurrencyModel()
        >>> model.try_acquire("hello", now=0.0)
        Grant('hello', '$LATEST', pool='unreserved', new_environment=True)
        """
        f = self._functions.get(function)
        if f is None:
            f = self._functions[function] = _Function(function)
        size = f.provisioned.get(qualifier)
        if size:
            busy = f.provisioned_busy[qualifier]
            if busy < size:
                f.provisioned_busy[qualifier] = busy + 1
                f.in_flight += 1
                return Grant(function, qualifier, True, False, "provisioned")
        reserved = f.reserved
        if reserved is not None:
            # provisioned environments are part of the reservation: on-demand gets the rest
            if f.on_demand + f.provisioned_total >= reserved:
                return THROTTLED_BY_RESERVED
        elif self._unreserved_busy >= self.account_limit - self._allocated:
            return THROTTLED_BY_ACCOUNT
        if not warm and not self.scaling.unlimited:
            if now is None:
                now = self.clock.now()
            if self.scaling.scope == "function":
                bucket = f.bucket
                if bucket is None:
                    bucket = f.bucket = self.scaling.new_bucket(now)
            else:
                bucket = self._account_bucket
                if bucket is None:
                    bucket = self._account_bucket = self.scaling.new_bucket(now)
            if not bucket.take(now):
                return THROTTLED_BY_SCALING
        f.in_flight += 1
        f.on_demand += 1
        if reserved is None:
            self._unreserved_busy += 1
            return Grant(function, qualifier, False, not warm, "unreserved")
        return Grant(function, qualifier, False, not warm, "reserved")

    def release(self, grant: Grant, now: float | None = None) -> None:
        """Give back the concurrency of a finished invocation (``now`` is accepted for symmetry)."""
        if grant.released:
            raise RuntimeError(f"{grant!r} was already released")
        grant.released = True
        f = self._functions.get(grant.function)
        if grant.pool == "unreserved":
            self._unreserved_busy -= 1
        if f is None:  # the function was removed while this invocation ran
            return
        f.in_flight -= 1
        if grant.provisioned:
            f.provisioned_busy[grant.qualifier] = f.provisioned_busy.get(grant.qualifier, 1) - 1
        else:
            f.on_demand -= 1

    def scaling_tokens(self, function: str, now: float | None = None) -> float:
        """New environments ``function`` could start right now under the scaling policy."""
        if self.scaling.unlimited:
            return float("inf")
        now = self.clock.now() if now is None else now
        f = self._functions.get(function)
        bucket = self._account_bucket if self.scaling.scope == "account" else (f and f.bucket)
        return self.scaling.capacity if bucket is None else bucket.level(now)

    # -- configuration (PutFunctionConcurrency, PutProvisionedConcurrencyConfig, ...) ---
    def reserved(self, function: str) -> int | None:
        """The function's reserved concurrency, or None (GetFunctionConcurrency)."""
        f = self._functions.get(function)
        return None if f is None else f.reserved

    def provisioned(self, function: str, qualifier: str) -> int:
        """Provisioned concurrency configured on ``function:qualifier`` (0 if none)."""
        f = self._functions.get(function)
        return 0 if f is None else f.provisioned.get(qualifier, 0)

    def check_reserved(self, function: str, reserved: int | None) -> str | None:
        """AWS's error message if ``reserved`` may not be set on ``function``, else None.

        >>> ConcurrencyModel().check_reserved("f", 901)
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100]."
        """
        if reserved is None:
            return None
        _count(reserved, "reserved concurrency", 0)
        f = self._functions.get(function)
        provisioned = f.provisioned_total if f else 0
        if reserved < provisioned:
            return RESERVED_BELOW_PROVISIONED.format(provisioned=provisioned)
        current = f.allocation() if f else 0
        if reserved > current and (self.account_limit - (self._allocated - current + reserved)
                                   < self.unreserved_minimum):
            return RESERVED_BELOW_MINIMUM.format(minimum=self.unreserved_minimum)
        return None

    def set_reserved(self, function: str, reserved: int | None) -> None:
        """PutFunctionConcurrency (``None``: DeleteFunctionConcurrency); raises :class:`ConcurrencyConfigError`."""
        message = self.check_reserved(function, reserved)
        if message:
            raise ConcurrencyConfigError(message)
        f = self._function(function)
        before = f.allocation()
        # in-flight invocations keep the pool they were granted from (see release)
        f.reserved = reserved
        self._allocated += f.allocation() - before

    def check_provisioned(self, function: str, qualifier: str, provisioned: int) -> str | None:
        """AWS's error message if ``provisioned`` may not be configured on ``function:qualifier``, else None."""
        if qualifier == "$LATEST":
            return PROVISIONED_ON_LATEST
        _count(provisioned, "provisioned concurrency", 1)
        f = self._functions.get(function)
        old = f.provisioned.get(qualifier, 0) if f else 0
        total = (f.provisioned_total if f else 0) - old + provisioned
        if f is not None and f.reserved is not None:
            return PROVISIONED_ABOVE_RESERVED if total > f.reserved else None
        if provisioned > old and (self.account_limit - (self._allocated - old + provisioned)
                                  < self.unreserved_minimum):
            return PROVISIONED_BELOW_MINIMUM.format(minimum=self.unreserved_minimum)
        return None

    def set_provisioned(self, function: str, qualifier: str, provisioned: int | None) -> None:
        """PutProvisionedConcurrencyConfig (``None``: delete it); raises :class:`ConcurrencyConfigError`.

        The environments count as ready at once (AWS takes a few minutes to allocate them).
        """
        f = self._function(function)
        before = f.allocation()
        if provisioned is None:
            f.provisioned.pop(qualifier, None)
        else:
            message = self.check_provisioned(function, qualifier, provisioned)
            if message:
                raise ConcurrencyConfigError(message)
            f.provisioned[qualifier] = provisioned
            f.provisioned_busy.setdefault(qualifier, 0)
        f.provisioned_total = sum(f.provisioned.values())
        self._allocated += f.allocation() - before

    def remove_function(self, function: str) -> None:
        """DeleteFunction: forget the function's settings, freeing what it had reserved."""
        f = self._functions.pop(function, None)
        if f is not None:
            self._allocated -= f.allocation()

    def describe(self, now: float | None = None) -> dict[str, Any]:
        """Settings and usage as plain data (for lessons, GetAccountSettings and debugging)."""
        return {
            "account_limit": self.account_limit,
            "unreserved_minimum": self.unreserved_minimum,
            "unreserved_concurrency": self.unreserved_concurrency,
            "unreserved_in_flight": self._unreserved_busy,
            "in_flight": self.in_flight,
            "scaling": self.scaling.name,
            "functions": {
                name: {"reserved": f.reserved, "provisioned": dict(f.provisioned),
                       "provisioned_busy": dict(f.provisioned_busy), "in_flight": f.in_flight,
                       "scaling_tokens": self.scaling_tokens(name, now)}
                for name, f in sorted(self._functions.items())},
        }

    def _function(self, name: str) -> _Function:
        f = self._functions.get(name)
        if f is None:
            f = self._functions[name] = _Function(name)
        return f

    def __repr__(self) -> str:
        return (f"ConcurrencyModel(account_limit={self.account_limit}, "
                f"scaling={self.scaling.name!r}, in_flight={self.in_flight})")
