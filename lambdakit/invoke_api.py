"""The Lambda ``Invoke`` operation, answered without going through moto's HTTP layer.

``POST /2015-03-31/functions/{FunctionName}/invocations`` is the one call a
learner makes most, so it has a direct path: authenticate the caller, check the
request as AWS checks it, authorize it (:mod:`lambdakit.permissions`), find the
function version in moto's store, run it in the engine, and answer with the
status codes, headers and error shapes AWS uses.
"""
from __future__ import annotations

import base64
import binascii
import json
import logging
import random
import re
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

from . import motohooks
from .errors import (InvalidParameterValueException, InvalidRequestContentException,
                     LambdaError, RequestEntityTooLargeException, ResourceConflictException,
                     ResourceNotFoundException, ServiceException, ValidationException)
from .functions import FunctionVersion
from .settings import ACCOUNT_ID, ASYNC_PAYLOAD_LIMIT, REGION, SYNC_PAYLOAD_LIMIT

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
_FUNCTION_ARN = re.compile(
    r"^(?:arn:(?P<partition>aws[a-zA-Z-]*):lambda:(?P<region>[a-z0-9-]+):)?"
    r"(?:(?P<account>\d{12}):function:)?(?P<name>[a-zA-Z0-9_-]+)(?::(?P<qualifier>[a-zA-Z0-9$_-]+))?$")

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class Target:
    """The function version one request resolves to."""

    def __init__(self, fn: Any, invoked_arn: str, executed_version: str):
        self.fn = fn
        self.invoked_arn = invoked_arn
        self.executed_version = executed_version


class FunctionRef:
    """What ``FunctionName`` (+ ``Qualifier``) names, before looking it up."""

    def __init__(self, name: str, account: str, region: str, qualifier: str | None):
        self.name, self.account, self.region, self.qualifier = name, account, region, qualifier
        self.base_arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
        self.invoked_arn = f"{self.base_arn}:{qualifier}" if qualifier else self.base_arn


def _not_found(arn: str) -> ResourceNotFoundException:
    return ResourceNotFoundException(f"Function not found: {arn}")


def function_ref(raw_name: str, qualifier: str | None, account: str, region: str) -> FunctionRef:
    """Parse a name, a partial ARN (``123456789012:function:name``) or a full ARN, each optionally
    qualified, as Lambda does; ``account`` and ``region`` are the caller's defaults."""
    match = _FUNCTION_ARN.match(raw_name)
    if not match:
        raise ValidationException(
            f"1 validation error detected: Value '{raw_name}' at 'functionName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
            r"(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")
    derived = match["qualifier"]
    if derived and qualifier and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier.")
    return FunctionRef(match["name"], match["account"] or account, match["region"] or region,
                       derived or qualifier)


def resolve(raw_name: str | FunctionRef, qualifier: str | None = None, account: str = ACCOUNT_ID,
            region: str = REGION) -> Target:
    """Find the version that ``FunctionName`` (+ ``Qualifier``) names, as Lambda does.

    An alias with a RoutingConfig picks a version by weight.
    """
    from moto.awslambda.models import lambda_backends

    ref = raw_name if isinstance(raw_name, FunctionRef) else function_ref(
        raw_name, qualifier, account, region)
    name, qualifier = ref.name, ref.qualifier
    base_arn, qualified_arn = ref.base_arn, ref.invoked_arn
    storage = lambda_backends[ref.account][ref.region]._lambdas
    group = storage._functions.get(name)
    if not group or group.get("latest") is None:
        raise _not_found(qualified_arn)
    if qualifier in (None, "$LATEST"):
        return Target(group["latest"], qualified_arn, "$LATEST")
    if qualifier.isdigit():
        version = next((v for v in group["versions"] if str(v.version) == qualifier), None)
        if version is None:
            raise _not_found(qualified_arn)
        return Target(version, qualified_arn, qualifier)
    alias = storage._aliases.get(base_arn, {}).get(qualifier)
    if alias is None:
        raise _not_found(qualified_arn)
    chosen = _route(alias)
    if chosen == "$LATEST":
        return Target(group["latest"], qualified_arn, "$LATEST")
    version = next((v for v in group["versions"] if str(v.version) == chosen), None)
    if version is None:
        raise _not_found(f"{base_arn}:{chosen}")
    return Target(version, qualified_arn, chosen)


def _route(alias: Any) -> str:
    """The version an alias sends this request to (RoutingConfig weights, else its version)."""
    weights = ((alias.routing_config or {}).get("AdditionalVersionWeights") or {})
    draw = random.random()
    for version, weight in weights.items():
        draw -= float(weight)
        if draw < 0:
            return str(version)
    return str(alias.function_version)


def _client_context(header: str | None) -> str | None:
    if not header:
        return None
    try:
        text = base64.b64decode(header, validate=True).decode("utf-8")
        if isinstance(json.loads(text), dict):
            return text
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidRequestContentException("Client context must be a valid Base64-encoded JSON object.")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Unrecognized token '{name}'")


def check_payload(body: bytes) -> None:
    """Raise InvalidRequestContentException unless ``body`` is strict JSON (or empty)."""
    if not body.strip():
        return
    try:
        json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {exc}") from None


def _read_body(environ: dict[str, Any], invocation_type: str) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
    if length > limit:
        while length > 0:  # drain, so the connection stays usable
            chunk = stream.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)
        if invocation_type == "Event":
            raise RequestEntityTooLargeException(
                f"{int(environ.get('CONTENT_LENGTH'))} byte payload is too large for the Event "
                f"invocation type (limit {limit} bytes)")
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation")
    return stream.read(length) if length else b""


def invoke(engine: Engine, environ: dict[str, Any],
           request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Answer one Invoke request with ``engine``: (HTTP status, headers, body)."""
    from . import permissions

    query = parse_qs(environ.get("QUERY_STRING", ""))
    qualifier = (query.get("Qualifier") or [None])[0]
    invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE") or "RequestResponse"
    if invocation_type not in INVOCATION_TYPES:
        raise ValidationException(
            f"1 validation error detected: Value '{invocation_type}' at 'invocationType' failed "
            "to satisfy constraint: Member must satisfy enum value set: [Event, RequestResponse, DryRun]")
    log_type = environ.get("HTTP_X_AMZ_LOG_TYPE") or "None"
    if log_type not in ("None", "Tail"):
        raise ValidationException(
            f"1 validation error detected: Value '{log_type}' at 'logType' failed to satisfy "
            "constraint: Member must satisfy enum value set: [None, Tail]")
    body = _read_body(environ, invocation_type)
    caller, region = permissions.caller_from_environ(environ)
    name = unquote(INVOKE_PATH.match(environ["PATH_INFO"])["name"])
    ref = function_ref(name, qualifier, caller.account, region)
    permissions.authorize_invoke(caller, ref.invoked_arn, request_id=request_id)
    target = resolve(ref)
    if getattr(target.fn, "_lk_pending", False):
        raise ResourceConflictException(
            "The operation cannot be performed at this time. "
            "The function is currently in the following state: Pending")
    check_payload(body)
    client_context = _client_context(environ.get("HTTP_X_AMZ_CLIENT_CONTEXT"))
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    if invocation_type == "DryRun":
        return 204, headers, b""
    version = FunctionVersion.from_moto(target.fn)
    code = motohooks.code_dir(target.fn, engine)
    if invocation_type == "Event":
        engine.invoke_event(version, code, body, target.invoked_arn, request_id=request_id)
        return 202, headers, b""
    result = engine.invoke(version, code, body, target.invoked_arn,
                           client_context=client_context, request_id=request_id)
    payload, function_error = result.payload, result.function_error
    if len(payload) > SYNC_PAYLOAD_LIMIT:
        function_error = "Unhandled"
        payload = json.dumps({
            "errorMessage": "Response payload size exceeded maximum allowed payload size "
                            f"({SYNC_PAYLOAD_LIMIT + 100} bytes).",
            "errorType": "Function.ResponseSizeTooLarge"}).encode()
    headers.append(("X-Amz-Executed-Version", target.executed_version))
    if function_error:
        headers.append(("X-Amz-Function-Error", function_error))
    if log_type == "Tail":
        headers.append(("X-Amz-Log-Result", result.log_result))
    return 200, headers, payload


def app(engine: Engine, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """WSGI application for the Invoke operation, run by ``engine``."""
    request_id = str(uuid.uuid4())
    try:
        status, headers, body = invoke(engine, environ, request_id)
    except LambdaError as error:
        status, headers, body = error.status, error.headers(request_id), error.body()
    except Exception as exc:  # an engine fault: report it as AWS reports its own
        log.exception("lambdakit: Invoke failed")
        error = ServiceException(f"lambdakit internal error: {exc}")
        status, headers, body = error.status, error.headers(request_id), error.body()
    if not isinstance(body, bytes):
        body = bytes(body)
    headers.append(("Content-Length", str(len(body))))
    start_response(status_line(status), headers)
    return [body]


def status_line(status: int) -> str:
    """The WSGI status line for an HTTP status code ("429 Too Many Requests")."""
    return f"{status} {_PHRASES.get(status, '')}"


_PHRASES = {200: "OK", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            403: "Forbidden", 404: "Not Found", 409: "Conflict", 413: "Request Entity Too Large",
            429: "Too Many Requests", 500: "Internal Server Error"}
