"""The Lambda API operations about concurrency that moto lacks or does not enforce.

- ``GetAccountSettings`` (moto has no route): the account's limits and usage, with
  ``UnreservedConcurrentExecutions`` following every reservation.
- ``PutFunctionConcurrency`` / ``DeleteFunctionConcurrency``: checked against the
  rules (the unreserved minimum of 100) before moto stores them, then enforced on
  every Invoke by :mod:`lambdakit.concurrency_limits`.
- ``DeleteFunction``: the function's reservation returns to the shared pool, and its
  provisioned concurrency configurations go with it; ``DeleteAlias`` takes the alias's.
- ``Put/Get/Delete/ListProvisionedConcurrencyConfig(s)`` (moto answers 404 "Not yet
  implemented"): on a published version or an alias only; the engine starts that many
  environments of the version and runs their Init in advance
  (:meth:`lambdakit.engine.Engine.put_provisioned`). ``Status`` goes ``IN_PROGRESS`` →
  ``READY``, or ``FAILED`` with a ``StatusReason`` (Init failed, or more environments
  than this machine may run: ``Settings.max_environments``).

Everything else about these requests (storage, GetFunctionConcurrency, GetFunction's
``Concurrency``) stays moto's.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

from .concurrency._model import PROVISIONED_ON_LATEST
from .errors import (InvalidParameterValueException, InvalidRequestContentException,
                     LambdaError, ResourceNotFoundException, ServiceException, ValidationException)
from .invoke_api import function_ref
from .rest_api import json_response, pass_through, serve

ACCOUNT_SETTINGS_PATH = re.compile(r"^/2016-08-19/account-settings/?$")
CONCURRENCY_PATH = re.compile(r"^/2017-10-31/functions/(?P<name>[^/]+)/concurrency/?$")
FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/?$")
ALIAS_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/aliases/(?P<alias>[^/]+)/?$")
PROVISIONED_PATH = re.compile(r"^/2019-09-30/functions/(?P<name>[^/]+)/provisioned-concurrency/?$")

#: AWS's answer to GetProvisionedConcurrencyConfig where none is configured (404).
NO_PROVISIONED_CONFIG = "No Provisioned Concurrency Config found for this function"


class ProvisionedConcurrencyConfigNotFoundException(LambdaError):
    code, status, kind = "ProvisionedConcurrencyConfigNotFoundException", 404, "User"

#: Lambda's fixed storage quotas, as GetAccountSettings reports them (bytes).
CODE_STORAGE_LIMITS = {"TotalCodeSize": 80530636800, "CodeSizeUnzipped": 262144000,
                       "CodeSizeZipped": 52428800}

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def handles(environ: dict[str, Any]) -> bool:
    """True for the requests this module answers or watches."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    return ((method == "GET" and bool(ACCOUNT_SETTINGS_PATH.match(path)))
            or (method in ("PUT", "DELETE") and bool(CONCURRENCY_PATH.match(path)))
            or (method == "DELETE" and bool(FUNCTION_PATH.match(path)))
            or (method in ("GET", "PUT", "DELETE") and bool(PROVISIONED_PATH.match(path)))
            or (method == "DELETE" and bool(ALIAS_PATH.match(path))))


def _caller(environ: dict[str, Any]) -> tuple[str, str]:
    from .permissions import caller_from_environ

    caller, region = caller_from_environ(environ)
    return caller.account, region


def _account_usage(account: str, region: str) -> dict[str, int]:
    from moto.awslambda.models import lambda_backends

    functions = list(lambda_backends[account][region].list_functions())
    return {"TotalCodeSize": sum(int(getattr(fn, "code_size", 0) or 0) for fn in functions),
            "FunctionCount": len(functions)}


def _provisioned_target(ref: Any) -> Any:
    """The moto version a provisioned concurrency request names (an alias → its version)."""
    from moto.awslambda.models import lambda_backends

    storage = lambda_backends[ref.account][ref.region]._lambdas
    group = storage._functions.get(ref.name)
    if not group or group.get("latest") is None:
        raise ResourceNotFoundException(f"Function not found: {ref.invoked_arn}")
    qualifier = ref.qualifier
    if qualifier in (None, "", "$LATEST"):
        raise InvalidParameterValueException(PROVISIONED_ON_LATEST)
    version = qualifier
    if not qualifier.isdigit():
        alias = storage._aliases.get(ref.base_arn, {}).get(qualifier)
        if alias is None:
            raise ResourceNotFoundException(f"Function not found: {ref.invoked_arn}")
        version = str(alias.function_version)
        if version == "$LATEST":
            raise InvalidParameterValueException(PROVISIONED_ON_LATEST)
    found = next((v for v in group["versions"] if str(v.version) == version), None)
    if found is None:
        raise ResourceNotFoundException(f"Function not found: {ref.invoked_arn}")
    return found


def _provisioned(engine: Any, method: str, path_name: str, query: dict[str, list[str]],
                 body: bytes, account: str, region: str) -> tuple[int, list[tuple[str, str]], bytes]:
    from . import motohooks
    from .functions import FunctionVersion

    if engine is None:
        raise ServiceException("lambdakit's engine is not running")
    qualifier = (query.get("Qualifier") or [None])[0]
    if method == "GET" and (query.get("List") or [None])[0] == "ALL":
        ref = function_ref(path_name, None, account, region)
        from moto.awslambda.models import lambda_backends
        group = lambda_backends[ref.account][ref.region]._lambdas._functions.get(ref.name)
        if not group or group.get("latest") is None:
            raise ResourceNotFoundException(f"Function not found: {ref.base_arn}")
        items = engine.list_provisioned(ref.account, ref.region, ref.name)
        try:
            start = int((query.get("Marker") or ["0"])[0])
            size = int((query.get("MaxItems") or ["50"])[0])
        except ValueError:
            raise InvalidParameterValueException("Invalid Marker or MaxItems") from None
        page: dict[str, Any] = {"ProvisionedConcurrencyConfigs": items[start:start + size]}
        if start + size < len(items):
            page["NextMarker"] = str(start + size)
        return json_response(200, page)
    ref = function_ref(path_name, qualifier, account, region)
    target = _provisioned_target(ref)
    if method == "PUT":
        try:
            requested = json.loads(body or b"{}")["ProvisionedConcurrentExecutions"]
        except (ValueError, KeyError, TypeError):
            raise InvalidRequestContentException(
                "Could not parse request body into json: ProvisionedConcurrentExecutions "
                "is required") from None
        if isinstance(requested, int) and not isinstance(requested, bool) and requested < 1:
            raise ValidationException(
                f"1 validation error detected: Value '{requested}' at "
                "'provisionedConcurrentExecutions' failed to satisfy constraint: Member must "
                "have value greater than or equal to 1")
        engine.limits.check_provisioned(ref.account, ref.region, ref.name, ref.qualifier, requested)
        version = FunctionVersion.from_moto(target)
        config = engine.put_provisioned(version, motohooks.code_dir(target, engine), ref.qualifier,
                                        ref.invoked_arn, requested)
        return json_response(202, config)
    if method == "DELETE":
        engine.delete_provisioned(ref.account, ref.region, ref.name, ref.qualifier)
        return 204, [], b""
    config = engine.get_provisioned(ref.account, ref.region, ref.name, ref.qualifier)
    if config is None:
        raise ProvisionedConcurrencyConfigNotFoundException(NO_PROVISIONED_CONFIG)
    return json_response(200, config)


def respond(moto_app: WsgiApp, limits: Any, environ: dict[str, Any]
            ) -> tuple[int, list[tuple[str, str]], bytes]:
    """Answer (or watch) one request: (HTTP status, headers, body)."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    account, region = _caller(environ)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""

    provisioned = PROVISIONED_PATH.match(path)
    if provisioned:
        return _provisioned(getattr(limits, "engine", None), method, unquote(provisioned["name"]),
                            parse_qs(environ.get("QUERY_STRING", "")), body, account, region)

    if ACCOUNT_SETTINGS_PATH.match(path):
        return json_response(200, {"AccountLimit": {**CODE_STORAGE_LIMITS,
                                            **limits.account_settings(account, region)},
                           "AccountUsage": _account_usage(account, region)})

    concurrency = CONCURRENCY_PATH.match(path)
    if concurrency:
        ref = function_ref(unquote(concurrency["name"]), None, account, region)
        reserved = None
        if method == "PUT":
            try:
                reserved = json.loads(body or b"{}")["ReservedConcurrentExecutions"]
            except (ValueError, KeyError, TypeError):
                raise InvalidRequestContentException(
                    "Could not parse request body into json: ReservedConcurrentExecutions "
                    "is required") from None
            limits.check_reserved(ref.account, ref.region, ref.name, reserved)
        status, headers, content = pass_through(moto_app, environ, body)
        if status < 300:  # moto found the function and stored the setting: enforce it
            limits.set_reserved(ref.account, ref.region, ref.name, reserved)
        return status, headers, content

    function = FUNCTION_PATH.match(path)
    alias = ALIAS_PATH.match(path)
    status, headers, content = pass_through(moto_app, environ, body)
    engine = getattr(limits, "engine", None)
    if alias and status < 300 and engine is not None:
        ref = function_ref(unquote(alias["name"]), None, account, region)
        engine.delete_provisioned(ref.account, ref.region, ref.name, unquote(alias["alias"]))
    if function and status < 300:
        qualifier = (parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier") or [None])[0]
        ref = function_ref(unquote(function["name"]), qualifier, account, region)
        if engine is not None:  # its provisioned environments go too (moto's hook tells only
            engine.retire(ref.base_arn, ref.qualifier)  # the newest engine)
        if not ref.qualifier:
            limits.remove_function(ref.account, ref.region, ref.name)
    return status, headers, content


def app(moto_app: WsgiApp, limits: Any, environ: dict[str, Any],
        start_response: Any) -> Iterable[bytes]:
    """WSGI application for the requests :func:`handles` accepts."""
    return serve(lambda: respond(moto_app, limits, environ), start_response)
