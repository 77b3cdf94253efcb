"""Fire real invocations all at once and count what came back: answers, 429s and their Reason.

>>> from botocore.config import Config                                    # doctest: +SKIP
>>> lam = kit.client("lambda", config=Config(retries={"max_attempts": 0, "mode": "standard"}))
>>> calls = invoke_together("slow-worker", 8, client=lam)                 # doctest: +SKIP
>>> print(tally(calls))                                                   # doctest: +SKIP
8 calls: 2 answered, 6 throttled (429)
  ReservedFunctionConcurrentInvocationLimitExceeded × 6
"""
from __future__ import annotations

import collections
import dataclasses
import json
import threading
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["Call", "Tally", "invoke_together", "tally"]


@dataclasses.dataclass
class Call:
    """What one caller got back.

    status: the HTTP status of the final answer (200, 429, ...).
    error: the error code (``TooManyRequestsException``), or None.
    reason: the ``Reason`` field of a throttle, or None.
    retries: how many times the SDK retried before this answer (boto3's ``RetryAttempts``).
    latency_ms: how long the caller waited, retries included.
    answer: the function's answer, decoded from JSON (None for a refused call).
    """

    status: int
    error: str | None
    reason: str | None
    retries: int
    latency_ms: float
    answer: Any = None


@dataclasses.dataclass
class Tally:
    """The headline numbers of :func:`invoke_together`."""

    calls: int
    answered: int
    throttled: int
    other_errors: int
    reasons: dict[str, int]
    retried: int  # answered calls that needed at least one retry
    retries: int  # retries in all
    slowest_ms: float

    def __str__(self) -> str:
        text = f"{self.calls} calls: {self.answered} answered, {self.throttled} throttled (429)"
        if self.other_errors:
            text += f", {self.other_errors} other errors"
        if self.retries:
            text += (f"\n  the SDK retried {self.retries} times; {self.retried} calls succeeded "
                     f"only after retrying; the slowest waited {self.slowest_ms / 1000:.1f} s")
        return text + "".join(f"\n  {reason} × {count}" for reason, count in self.reasons.items())


def invoke_together(function_name: str, count: int, client: Any = None,
                    payload: Any = None) -> list[Call]:
    """Invoke ``function_name`` ``count`` times at the same moment, from ``count`` threads.

    function_name: a name, ARN, or ``name:qualifier`` (a version or an alias).

    client: the boto3 Lambda client to call with; its retry settings decide whether a
        429 reaches you or is retried quietly. Default: the kit's ordinary client
        (boto3's default retries). Keep ``count`` within the client's connection pool
        (10 by default) so that every call really leaves at once.
    payload: the event (JSON-serialisable; default ``{}``).

    Returns one :class:`Call` per invocation, in the order they finished.
    """
    if int(count) != count or count < 1:
        raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
    from botocore.exceptions import ClientError

    if client is None:
        import lambdakit

        client = lambdakit.start().client("lambda")
    body = json.dumps({} if payload is None else payload)
    calls: list[Call] = []
    lock = threading.Lock()
    go = threading.Event()

    def call() -> None:
        go.wait()
        began = time.perf_counter()
        try:
            response = client.invoke(FunctionName=function_name, Payload=body)
            answer = _decoded(response["Payload"].read())
            meta, error, reason = response["ResponseMetadata"], None, None
            status = response["StatusCode"]
        except ClientError as exc:
            answer = None
            meta = exc.response.get("ResponseMetadata", {})
            error = exc.response.get("Error", {}).get("Code")
            reason = exc.response.get("Reason")
            status = meta.get("HTTPStatusCode", 0)
        with lock:
            calls.append(Call(status, error, reason, meta.get("RetryAttempts", 0),
                              (time.perf_counter() - began) * 1000, answer))

    threads = [threading.Thread(target=call, name=f"caller-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    go.set()
    for thread in threads:
        thread.join()
    return calls


def _decoded(payload: bytes) -> Any:
    """An answer as Python: JSON decoded, or the raw text when it is not JSON."""
    text = payload.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def tally(calls: Iterable[Call]) -> Tally:
    """Count answers, throttles (by ``Reason``) and retries."""
    calls = list(calls)
    answered = [c for c in calls if c.error is None]
    throttled = [c for c in calls if c.error == "TooManyRequestsException"]
    reasons = collections.Counter(c.reason or "(no reason)" for c in throttled)
    return Tally(calls=len(calls), answered=len(answered), throttled=len(throttled),
                 other_errors=len(calls) - len(answered) - len(throttled),
                 reasons=dict(sorted(reasons.items())),
                 retried=sum(1 for c in answered if c.retries),
                 retries=sum(c.retries for c in calls),
                 slowest_ms=max((c.latency_ms for c in calls), default=0.0))
