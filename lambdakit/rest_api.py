"""What the kit's own Lambda REST operations share: answering in JSON as Lambda does, letting
moto answer, AWS's integer range checks, and one WSGI wrapper that turns the kit's
AWS-shaped errors into AWS's error responses (with an ``x-amzn-RequestId``).

Used by :mod:`.concurrency_api`, :mod:`.event_invoke_config` and
:mod:`.event_source_mappings`.
"""
from __future__ import annotations

import io
import json
import uuid
from typing import Any, Callable, Iterable

from .errors import InvalidRequestContentException, LambdaError, ServiceException, ValidationException

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]
Answer = tuple[int, list[tuple[str, str]], bytes]


def json_response(status: int, payload: Any) -> Answer:
    body = b"" if payload is None else json.dumps(payload).encode()
    return status, [("Content-Type", "application/json")], body


def pass_through(moto_app: WsgiApp, environ: dict[str, Any], body: bytes) -> Answer:
    """Let moto answer the request (whose body was already read): (status, headers, body)."""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        answer.update(status=int(status.split()[0]), headers=list(headers))

    chunks = moto_app(environ, start_response)
    try:
        content = b"".join(chunks)
    finally:
        getattr(chunks, "close", lambda: None)()
    return answer["status"], answer["headers"], content


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object, or Lambda's InvalidRequestContentException."""
    try:
        value = json.loads(raw or b"{}")
        if not isinstance(value, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: {exc}") from None
    return value


def check_integers(config: dict[str, Any],
                   limits: Iterable[tuple[str, str, int, int]]) -> None:
    """AWS's checks of integer members: (member, field name in messages, minimum, maximum)."""
    for key, field, low, high in limits:
        value = config.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {key} must be an integer")
        if value > high:
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                f"constraint: Member must have value less than or equal to {high}")
        if value < low:
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                f"constraint: Member must have value greater than or equal to {low}")


def serve(respond: Callable[[], Answer], start_response: Any) -> Iterable[bytes]:
    """Run ``respond`` and answer its result, or the AWS error it raised, as a WSGI app."""
    from .invoke_api import status_line

    request_id = str(uuid.uuid4())
    try:
        status, headers, body = respond()
    except LambdaError as error:
        status, headers, body = error.status, error.headers(request_id), error.body()
    except Exception as exc:  # a kit fault: report it as AWS reports its own
        error = ServiceException(f"lambdakit internal error: {exc}")
        status, headers, body = error.status, error.headers(request_id), error.body()
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    if not any(k.lower() == "x-amzn-requestid" for k, _ in headers):
        headers.append(("x-amzn-RequestId", request_id))
    headers.append(("Content-Length", str(len(body))))
    start_response(status_line(status), headers)
    return [body]
