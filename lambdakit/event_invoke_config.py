"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s), and the function's DeadLetterConfig.

moto 5.2.1 has routes for the event invoke configuration but stores it wrongly for the
kit's purpose: a second Put appends a configuration that Get never returns, Update is a
Put (settings not named are lost), ``Qualifier`` is ignored and destination types are
not checked. The kit answers these operations itself and keeps the configurations in
the engine's async queue (:class:`lambdakit.async_invoke.AsyncQueue`), keyed by
function and qualifier (``$LATEST`` when there is none), where the queue reads them.

As on AWS:

- ``MaximumRetryAttempts`` 0–2 and ``MaximumEventAgeInSeconds`` 60–21600
  (``ValidationException``; botocore checks the minimums itself);
- a destination must be an SQS queue, SNS topic, EventBridge event bus or Lambda
  function, and the function's execution role must allow sending to it
  (``sqs:SendMessage``, ``sns:Publish``, ``events:PutEvents``,
  ``lambda:InvokeFunction``), otherwise ``InvalidParameterValueException``
  "The destination ARN ... is invalid.";
- Put replaces the whole configuration, Update changes only the settings it names.

moto also drops ``DeadLetterConfig`` from CreateFunction and UpdateFunctionConfiguration;
the kit keeps its ``TargetArn`` on moto's function (``_lk_dead_letter``) and adds it back
to the configuration those operations and GetFunction(Configuration) return.
"""
from __future__ import annotations

import json
import re
import time
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

from .errors import InvalidParameterValueException, ResourceNotFoundException
from .invoke_api import function_ref
from .rest_api import check_integers, json_object, json_response, pass_through, serve

CONFIG_PATH = re.compile(r"^/2019-09-25/functions/(?P<name>[^/]+)/event-invoke-config/?$")
LIST_PATH = re.compile(r"^/2019-09-25/functions/(?P<name>[^/]+)/event-invoke-config/list/?$")
CREATE_PATH = re.compile(r"^/2015-03-31/functions/?$")
FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/?$")
CONFIGURATION_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/configuration/?$")

#: the action the execution role needs on each kind of destination
DESTINATION_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish",
                       "events": "events:PutEvents", "lambda": "lambda:InvokeFunction"}
DEAD_LETTER_ACTIONS = {"sqs": "sqs:SendMessage", "sns": "sns:Publish"}

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def handles(environ: dict[str, Any]) -> bool:
    """True for the requests this module answers or watches."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    return ((method in ("PUT", "POST", "GET", "DELETE") and bool(CONFIG_PATH.match(path)))
            or (method == "GET" and bool(LIST_PATH.match(path)))
            or (method == "POST" and bool(CREATE_PATH.match(path)))
            or (method == "GET" and bool(FUNCTION_PATH.match(path)))
            or (method in ("GET", "PUT") and bool(CONFIGURATION_PATH.match(path))))


def _moto_function(ref: Any) -> Any:
    """moto's function (the $LATEST object), or ResourceNotFoundException as Lambda says it."""
    from moto.awslambda.models import lambda_backends

    group = lambda_backends[ref.account][ref.region]._lambdas._functions.get(ref.name)
    if not group or group.get("latest") is None:
        raise ResourceNotFoundException(f"Function not found: {ref.invoked_arn}")
    latest = group["latest"]
    qualifier = ref.qualifier
    if qualifier and qualifier != "$LATEST":
        from moto.awslambda.models import lambda_backends as backends

        known = ({str(v.version) for v in group.get("versions", [])}
                 | set(backends[ref.account][ref.region]._lambdas._aliases.get(ref.base_arn, {})))
        if qualifier not in known:
            raise ResourceNotFoundException(f"Function not found: {ref.invoked_arn}")
    return latest


#: (member, botocore's field name, minimum, maximum)
LIMITS = (("MaximumRetryAttempts", "maximumRetryAttempts", 0, 2),
          ("MaximumEventAgeInSeconds", "maximumEventAgeInSeconds", 60, 21600))


def role_may_send(role_arn: str, function: str, target: str, actions: dict[str, str]) -> bool:
    """True when ``target`` is a supported destination and the role may send to it."""
    from . import permissions_enforce

    parts = target.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in actions:
        return False
    if parts[2] == "lambda" and parts[5] != "function":
        return False
    if parts[2] == "events" and not parts[5].startswith("event-bus/"):
        return False
    try:
        caller = permissions_enforce.role_caller(role_arn, function)
        prefix = parts[2]
        statements = permissions_enforce.resource_policy(prefix, target)
        return permissions_enforce.decide_action(caller, actions[prefix], target,
                                                 statements).allowed
    except Exception:
        return False


def _check_destinations(config: dict[str, Any], role: str, function: str) -> None:
    destinations = config.get("DestinationConfig") or {}
    for which in ("OnSuccess", "OnFailure"):
        target = (destinations.get(which) or {}).get("Destination")
        if target and not role_may_send(role, function, target, DESTINATION_ACTIONS):
            raise InvalidParameterValueException(f"The destination ARN {target} is invalid.")


def _describe(function_arn: str, config: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {"LastModified": config["LastModified"], "FunctionArn": function_arn}
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if config.get(key) is not None:
            answer[key] = config[key]
    destinations = config.get("DestinationConfig") or {}
    answer["DestinationConfig"] = {"OnSuccess": dict(destinations.get("OnSuccess") or {}),
                                   "OnFailure": dict(destinations.get("OnFailure") or {})}
    return answer


def respond(moto_app: WsgiApp, engine: Any, environ: dict[str, Any]
            ) -> tuple[int, list[tuple[str, str]], bytes]:
    from .permissions import caller_from_environ

    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    caller, region = caller_from_environ(environ)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    configs = engine.async_queue.configs

    listing = LIST_PATH.match(path)
    match = CONFIG_PATH.match(path) if not listing else None
    if listing or match:
        found = listing or match
        qualifier = None if listing else (query.get("Qualifier") or [None])[0]
        ref = function_ref(unquote(found["name"]), qualifier, caller.account, region)
        latest = _moto_function(ref)
        for stale in [k for k, c in configs.items()  # left by a deleted namesake
                      if k[:3] == (ref.account, ref.region, ref.name)
                      and c.get("_function") is not latest]:
            del configs[stale]
        if listing:
            items = [_describe(ref.base_arn if q == "$LATEST" else f"{ref.base_arn}:{q}", c)
                     for (a, r, n, q), c in sorted(configs.items())
                     if (a, r, n) == (ref.account, ref.region, ref.name)]
            return json_response(200, {"FunctionEventInvokeConfigs": items})
        key = (ref.account, ref.region, ref.name, ref.qualifier or "$LATEST")
        arn = ref.invoked_arn
        if method == "GET" or method == "DELETE":
            if key not in configs:
                raise ResourceNotFoundException(
                    f"The function {arn} doesn't have an EventInvokeConfig")
            if method == "DELETE":
                del configs[key]
                return json_response(204, None)
            return json_response(200, _describe(arn, configs[key]))
        update = json_object(body)
        check_integers(update, LIMITS)
        if method == "POST":  # Update: only the settings named change
            if key not in configs:
                raise ResourceNotFoundException(
                    f"The function {arn} doesn't have an EventInvokeConfig")
            merged = dict(configs[key])
            for name in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
                if name in update:
                    merged[name] = update[name]
            if "DestinationConfig" in update:
                destinations = dict(merged.get("DestinationConfig") or {})
                destinations.update(update["DestinationConfig"] or {})
                merged["DestinationConfig"] = destinations
        else:
            merged = {k: update[k] for k in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds",
                                             "DestinationConfig") if k in update}
        _check_destinations(merged, latest.role, ref.name)
        merged["LastModified"] = time.time()
        merged["_function"] = latest
        configs[key] = merged
        return json_response(200, _describe(arn, merged))

    # CreateFunction, UpdateFunctionConfiguration, GetFunction(Configuration): DeadLetterConfig
    target: str | None = None
    named = False
    if method in ("POST", "PUT") and body:
        try:
            spec = json.loads(body)
        except ValueError:
            spec = None
        if isinstance(spec, dict) and "DeadLetterConfig" in spec:
            named = True
            target = (spec.get("DeadLetterConfig") or {}).get("TargetArn") or None
            if target:
                parts = target.split(":")
                if len(parts) < 6 or parts[2] not in DEAD_LETTER_ACTIONS:
                    raise InvalidParameterValueException(
                        f"The provided DeadLetterConfig TargetArn {target} is not a valid "
                        "SQS queue or SNS topic ARN.")
    status, headers, content = pass_through(moto_app, environ, body)
    if status >= 300:
        return status, headers, content
    try:
        answer = json.loads(content)
    except ValueError:
        return status, headers, content
    configuration = answer.get("Configuration", answer) if isinstance(answer, dict) else None
    if not isinstance(configuration, dict) or "FunctionName" not in configuration:
        return status, headers, content
    from moto.awslambda.models import lambda_backends

    name = configuration["FunctionName"]
    group = lambda_backends[caller.account][region]._lambdas._functions.get(name) or {}
    latest = group.get("latest")
    if latest is None:
        return status, headers, content
    if named:
        latest._lk_dead_letter = target
    current = getattr(latest, "_lk_dead_letter", None)
    if current:
        configuration["DeadLetterConfig"] = {"TargetArn": current}
    content = json.dumps(answer).encode()
    return status, [(k, v) for k, v in headers if k.lower() != "content-length"], content


def app(moto_app: WsgiApp, engine: Any, environ: dict[str, Any],
        start_response: Any) -> Iterable[bytes]:
    """WSGI application for the requests :func:`handles` accepts."""
    return serve(lambda: respond(moto_app, engine, environ), start_response)
