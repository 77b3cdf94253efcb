"""Make an AWS call and show what came back, success or AWS's error, in one line.

Permission lessons make many calls that are *meant* to fail. :func:`attempt`
runs one boto3 call and returns an :class:`Outcome` instead of raising, so a
cell can show AWS's own error code and message and carry on:

>>> outcome = attempt(lam.invoke, FunctionName="orders")    # doctest: +SKIP
>>> outcome                                                  # doctest: +SKIP
✗ AccessDeniedException (HTTP 403): User: arn:aws:iam::123456789012:user/dev is not ...
>>> unique("dev").startswith("dev-")
True
"""
from __future__ import annotations

import dataclasses
import uuid
from typing import Any, Callable

__all__ = ["Outcome", "attempt", "unique"]


@dataclasses.dataclass
class Outcome:
    """What one call did: ``ok`` and its ``value``, or AWS's error ``code`` and ``message``.

    >>> Outcome(ok=True, value={"StatusCode": 200}, summary="StatusCode 200")
    ✓ succeeded: StatusCode 200
    >>> Outcome(ok=False, code="AccessDeniedException", message="User: ... is not authorized", status=403)
    ✗ AccessDeniedException (HTTP 403): User: ... is not authorized
    """

    ok: bool
    value: Any = None
    code: str | None = None
    message: str | None = None
    status: int | None = None
    summary: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return "✓ succeeded" + (f": {self.summary}" if self.summary else "")
        status = f" (HTTP {self.status})" if self.status else ""
        return f"✗ {self.code}{status}: {self.message}"

    __repr__ = __str__


def _summary(value: Any) -> str | None:
    """A few telling fields of a boto3 response (status code, ARNs), or None."""
    if not isinstance(value, dict):
        return None
    parts = []
    if "StatusCode" in value:
        parts.append(f"StatusCode {value['StatusCode']}")
    for key in ("FunctionArn", "Arn"):
        if key in value:
            parts.append(f"{key} {value[key]}")
            break
    return ", ".join(parts) or None


def attempt(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Call ``call(*args, **kwargs)``; return an :class:`Outcome` instead of raising.

    Only AWS's errors (botocore's ``ClientError``) are caught; anything else
    (a typo, a missing argument) still raises, as it should. A streamed
    ``Payload`` in the response (Invoke) is read, so the call is complete.

    call: a boto3 client method, e.g. ``lam.invoke``.
    args, kwargs: its arguments.

    >>> attempt(lam.create_function, FunctionName="x", ...)    # doctest: +SKIP
    ✗ AccessDeniedException (HTTP 403): User: ... is not authorized to perform: lambda:CreateFunction ...
    """
    from botocore.exceptions import ClientError

    try:
        value = call(*args, **kwargs)
    except ClientError as error:
        response = error.response
        return Outcome(ok=False, code=response.get("Error", {}).get("Code"),
                       message=response.get("Error", {}).get("Message"),
                       status=response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    if isinstance(value, dict) and hasattr(value.get("Payload"), "read"):
        value["Payload"] = value["Payload"].read()
    return Outcome(ok=True, value=value, summary=_summary(value))


def unique(prefix: str) -> str:
    """``prefix`` plus a short random suffix, so a cell that creates something can re-run."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"
