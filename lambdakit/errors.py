"""Errors the local Lambda API returns, shaped exactly as AWS shapes them.

A boto3 user sees these as ``botocore.exceptions.ClientError`` (or the client's
modelled exception, e.g. ``lambda_client.exceptions.ResourceNotFoundException``)
with the same code, HTTP status and message form as against real Lambda::

    LambdaError                          HTTP  Type
    ├── InvalidRequestContentException    400  User
    ├── InvalidParameterValueException    400  User
    ├── ValidationException               400  User
    ├── AccessDeniedException             403  User   (also UnrecognizedClientException,
    │                                               ExpiredTokenException,
    │                                               MissingAuthenticationTokenException)
    ├── ResourceNotFoundException         404  User
    ├── ResourceConflictException         409  User
    ├── RequestEntityTooLargeException    413  User   (botocore models it as
    │                                               RequestTooLargeException; Lambda sends this code)
    ├── TooManyRequestsException          429  User
    └── ServiceException                  500  Service

The body is ``{"Type": ..., "message": ...}`` plus any extra fields, and the
code travels in the ``x-amzn-ErrorType`` header, as Lambda does it. The 403s
come from AWS's authorization layer in front of Lambda and carry only ``Message``.
Checks that run inside moto's request handling raise them through :func:`as_moto`.
"""
from __future__ import annotations

import json
from typing import Any


class LambdaError(Exception):
    """An error response of the Lambda API."""

    code = "ServiceException"
    status = 500
    kind = "Service"

    def __init__(self, message: str, **extra: Any):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> bytes:
        """The JSON body AWS sends with this error."""
        return json.dumps({"Type": self.kind, "message": self.message, **self.extra}).encode()

    def headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("Content-Type", "application/json"), ("x-amzn-ErrorType", self.code),
                ("x-amzn-RequestId", request_id)]


class InvalidRequestContentException(LambdaError):
    code, status, kind = "InvalidRequestContentException", 400, "User"


class InvalidParameterValueException(LambdaError):
    code, status, kind = "InvalidParameterValueException", 400, "User"


class ValidationException(LambdaError):
    code, status, kind = "ValidationException", 400, "User"


class AccessDeniedException(LambdaError):
    """The caller is not allowed to perform the action (see :mod:`lambdakit.permissions`)."""

    code, status, kind = "AccessDeniedException", 403, "User"

    def body(self) -> bytes:
        return json.dumps({"Message": self.message}).encode()


class UnrecognizedClientException(AccessDeniedException):
    """The access key (or its session token) is not one the account knows."""

    code = "UnrecognizedClientException"


class MissingAuthenticationTokenException(AccessDeniedException):
    """The request is not signed at all."""

    code = "MissingAuthenticationTokenException"


class ExpiredTokenException(AccessDeniedException):
    """The temporary credentials' session token has expired."""

    code = "ExpiredTokenException"


class ResourceNotFoundException(LambdaError):
    code, status, kind = "ResourceNotFoundException", 404, "User"


class ResourceConflictException(LambdaError):
    code, status, kind = "ResourceConflictException", 409, "User"


class RequestEntityTooLargeException(LambdaError):
    """A request body over Invoke's payload limit.

    botocore's model names this error ``RequestTooLargeException``, but Lambda
    answers with the code ``RequestEntityTooLargeException`` (aws/aws-sdk#45),
    so that is what a boto3 user catching the error code sees.
    """

    code, status, kind = "RequestEntityTooLargeException", 413, "User"


class TooManyRequestsException(LambdaError):
    code, status, kind = "TooManyRequestsException", 429, "User"


class ServiceException(LambdaError):
    code, status, kind = "ServiceException", 500, "Service"


def as_moto(error: LambdaError) -> Exception:
    """``error`` in the form moto's HTTP layer renders (for checks that run inside moto).

    Same status, ``x-amzn-ErrorType`` and body as :mod:`lambdakit.invoke_api` sends.
    """
    from moto.core.exceptions import JsonRESTError

    rendered = JsonRESTError(error.code, error.message)
    rendered.code = error.status
    rendered.description = error.body().decode()
    return rendered
