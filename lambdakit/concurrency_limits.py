"""Concurrency limits on the wall clock: one :class:`~lambdakit.concurrency.ConcurrencyModel`
per account and Region, shared safely by the engine's threads.

The rules themselves live in :mod:`lambdakit.concurrency` (the simulator uses
the same ones on a virtual clock). This module only keeps one model per
account, serialises access to it, and turns its answers into AWS's errors::

    grant = limits.admit(account, region, "orders", "live", warm=False)  # or 429
    try:
        ...                                                          # run the invocation
    finally:
        limits.release(account, region, grant)

The kit's own cap on live worker processes (``Settings.max_environments``) is a
different limit: beyond it an invocation waits for a free worker instead of
being throttled, because AWS would not throttle there.
"""
from __future__ import annotations

import threading
from typing import Any

from .concurrency import ConcurrencyConfigError, ConcurrencyModel, Grant
from .errors import InvalidParameterValueException, TooManyRequestsException


class ConcurrencyLimits:
    """Every account's concurrency model, behind one lock."""

    def __init__(self, account_limit: int):
        self.account_limit = account_limit
        self._models: dict[tuple[str, str], ConcurrencyModel] = {}
        #: the engine enforcing these limits (it sets itself), which the provisioned
        #: concurrency routes of :mod:`lambdakit.concurrency_api` reach through them
        self.engine: Any = None
        self._lock = threading.Lock()

    def _model(self, account: str, region: str) -> ConcurrencyModel:
        model = self._models.get((account, region))
        if model is None:
            model = self._models[(account, region)] = ConcurrencyModel(self.account_limit)
        return model

    def admit(self, account: str, region: str, function: str, qualifier: str, *,
              warm: bool) -> Grant:
        """A grant to run one invocation, or :class:`TooManyRequestsException` (429)."""
        with self._lock:
            decision = self._model(account, region).try_acquire(function, qualifier, warm=warm)
        if not decision.ok:
            raise TooManyRequestsException(decision.message, **decision.error_fields())
        return decision

    def usage(self, account: str, region: str, function: str,
              qualifier: str | None = None) -> dict[str, int]:
        """Invocations running now: of ``function``, of the account, of unreserved functions;
        with ``qualifier``, also its provisioned concurrency and how much of it is busy."""
        with self._lock:
            model = self._model(account, region)
            usage = {"function": model.function_in_flight(function), "account": model.in_flight,
                     "unreserved": model.unreserved_in_flight, "provisioned": 0,
                     "provisioned_busy": 0}
            size = model.provisioned(function, qualifier) if qualifier else 0
            if size:
                described = model.describe()["functions"].get(function, {})
                usage["provisioned"] = size
                usage["provisioned_busy"] = described.get("provisioned_busy", {}).get(qualifier, 0)
            return usage

    def release(self, account: str, region: str, grant: Grant) -> None:
        """The invocation ``grant`` admitted has ended."""
        with self._lock:
            self._model(account, region).release(grant)

    def check_reserved(self, account: str, region: str, function: str, reserved: Any) -> None:
        """InvalidParameterValueException, in AWS's words, if ``reserved`` may not be set."""
        if isinstance(reserved, bool) or not isinstance(reserved, int) or reserved < 0:
            raise InvalidParameterValueException(
                f"ReservedConcurrentExecutions must be a whole number of at least 0, got {reserved!r}")
        with self._lock:
            message = self._model(account, region).check_reserved(function, reserved)
        if message:
            raise InvalidParameterValueException(message)

    def set_reserved(self, account: str, region: str, function: str,
                     reserved: int | None) -> None:
        """Reserve ``reserved`` (None: remove the reservation), or InvalidParameterValueException."""
        with self._lock:
            try:
                self._model(account, region).set_reserved(function, reserved)
            except ConcurrencyConfigError as error:
                raise InvalidParameterValueException(error.message) from None

    def check_provisioned(self, account: str, region: str, function: str, qualifier: str,
                          provisioned: Any) -> None:
        """InvalidParameterValueException, in AWS's words, if ``provisioned`` may not be configured."""
        if isinstance(provisioned, bool) or not isinstance(provisioned, int) or provisioned < 1:
            raise InvalidParameterValueException(
                f"ProvisionedConcurrentExecutions must be a whole number of at least 1, got {provisioned!r}")
        with self._lock:
            message = self._model(account, region).check_provisioned(function, qualifier, provisioned)
        if message:
            raise InvalidParameterValueException(message)

    def set_provisioned(self, account: str, region: str, function: str, qualifier: str,
                        provisioned: int | None) -> None:
        """Configure provisioned concurrency on ``function:qualifier`` (None: remove it)."""
        with self._lock:
            try:
                self._model(account, region).set_provisioned(function, qualifier, provisioned)
            except ConcurrencyConfigError as error:
                raise InvalidParameterValueException(error.message) from None

    def remove_function(self, account: str, region: str, function: str) -> None:
        """Forget a deleted function's settings, so its reservation returns to the pool."""
        with self._lock:
            self._model(account, region).remove_function(function)

    def account_settings(self, account: str, region: str) -> dict[str, int]:
        """``ConcurrentExecutions`` and ``UnreservedConcurrentExecutions`` as GetAccountSettings reports them."""
        with self._lock:
            model = self._model(account, region)
            return {"ConcurrentExecutions": model.account_limit,
                    "UnreservedConcurrentExecutions": model.unreserved_concurrency}
