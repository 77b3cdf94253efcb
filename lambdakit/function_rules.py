"""Lambda's rules on what a function's control-plane calls may change.

Each check raises the :class:`~lambdakit.errors.LambdaError` AWS answers with,
before anything is stored, so a refused request changes nothing;
:mod:`lambdakit.motohooks` runs them in front of moto's own handling.

* Published versions are immutable: UpdateFunctionCode and
  UpdateFunctionConfiguration accept only the unqualified name or ``$LATEST``.
* An alias's RoutingConfig (CreateAlias / UpdateAlias) names one additional
  published version, with a weight from 0.0 to 1.0, next to a published main version.
* Environment variables (CreateFunction / UpdateFunctionConfiguration) take at
  most 4 KB and may not use the keys Lambda reserves for itself.
* LoggingConfig (CreateFunction / UpdateFunctionConfiguration): LogFormat ``Text`` or
  ``JSON``, log levels only with ``JSON``, a LogGroup name of at most 512 letters, digits
  and ``.-_/#``; :func:`logging_config` answers the configuration GetFunction
  then returns, with Lambda's defaults filled in.
"""
from __future__ import annotations

import json
import re
from typing import Any

from .errors import InvalidParameterValueException, ValidationException

LATEST = "$LATEST"

#: Keys Lambda sets itself and refuses in a function's configuration: the "Reserved environment
#: variables" of AWS's developer guide (configuration-envvars, "Defined runtime environment
#: variables"). TZ is not here: AWS lets a function set it.
RESERVED_ENVIRONMENT_KEYS = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
})
#: The limit on all of a function's variables together, measured as their JSON text.
ENVIRONMENT_LIMIT_BYTES = 4 * 1024
_UNCONFIGURABLE = ("Lambda was unable to configure your environment variables because the "
                   "environment variables you have provided ")


def check_unpublished(storage: Any, function_name: str, qualifier: str | None) -> None:
    """Refuse an UpdateFunctionCode / UpdateFunctionConfiguration aimed at a version or alias.

    ``function_name`` may carry the qualifier itself (``name:1``, a qualified ARN);
    ``storage`` is moto's ``LambdaStorage``. An unknown function or qualifier is left
    to moto, which answers ResourceNotFoundException as AWS does.
    """
    from .invoke_api import function_ref

    ref = function_ref(function_name, qualifier, storage.account_id, storage.region_name)
    if ref.qualifier in (None, LATEST):
        return
    storage.get_function_by_name_or_arn_with_qualifier(ref.name, ref.qualifier)  # or 404
    # AWS documents the rule ("You can't modify the code [configuration] of a published
    # version, only the unpublished version") but its exact error text for a qualified
    # FunctionName could not be found; this wording is the kit's, in Lambda's style.
    raise InvalidParameterValueException(
        f"Cannot update a published version or alias: {ref.invoked_arn}. A version's code and "
        f"configuration are locked when it is published; update the unpublished version "
        f"({ref.base_arn} or {ref.base_arn}:{LATEST}) and publish a new version instead.")


def check_alias_routing(storage: Any, function_name: str, function_version: str,
                        routing_config: dict[str, Any] | None) -> None:
    """Refuse a RoutingConfig Lambda would refuse, for an alias on ``function_version``.

    Same checks, order, exceptions and messages as Lambda (as recorded against AWS by
    LocalStack's Lambda provider; the $LATEST message is also quoted in AWS's CDK and
    Terraform modules). ``routing_config`` is the alias's routing after the request.
    """
    weights = (routing_config or {}).get("AdditionalVersionWeights") or {}
    if len(weights) > 1:
        raise InvalidParameterValueException(
            "Number of items in AdditionalVersionWeights cannot be greater than 1")
    for version, weight in weights.items():
        if not isinstance(weight, (int, float)) or not 0.0 <= weight <= 1.0:
            raise ValidationException(
                f"1 validation error detected: Value '{{{version}={weight}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value "
                "must satisfy constraint: [Member must have value less than or equal to 1.0, "
                "Member must have value greater than or equal to 0.0, Member must not be null]")
        if str(version) == str(function_version):
            raise InvalidParameterValueException(
                f"Invalid function version {function_version}. Function version "
                f"{function_version} is already included in routing configuration.")
        if function_version == LATEST:
            raise InvalidParameterValueException(
                "$LATEST is not supported for an alias pointing to more than 1 version")
        if not str(version).isdigit():
            raise ValidationException(
                f"1 validation error detected: Value '{{{version}={weight}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys "
                "must satisfy constraint: [Member must have length less than or equal to 1024, "
                "Member must have length greater than or equal to 1, Member must satisfy regular "
                "expression pattern: [0-9]+, Member must not be null]")
        storage.get_function_by_name_or_arn_with_qualifier(function_name, str(version))  # or 404


def check_environment(variables: dict[str, Any] | None) -> None:
    """Refuse reserved keys, then more than 4 KB of variables, with Lambda's messages.

    Lambda measures the variables as compact JSON (``{"KEY":"value",...}``) and quotes that
    string back in its message (as seen in real AWS errors quoted by Terraform and CDK users).
    """
    variables = variables or {}
    reserved = [key for key in variables if key in RESERVED_ENVIRONMENT_KEYS]
    if reserved:
        raise InvalidParameterValueException(
            _UNCONFIGURABLE + "contains reserved keys that are currently not supported for "
            f"modification. Reserved keys used in this request: {', '.join(reserved)}")
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode("utf-8")) > ENVIRONMENT_LIMIT_BYTES:
        raise InvalidParameterValueException(
            _UNCONFIGURABLE + f"exceeded the 4KB limit. String measured: {measured}")


#: LoggingConfig's members and their allowed values (AWS Lambda API reference, "LoggingConfig").
LOG_FORMATS = ("JSON", "Text")
APPLICATION_LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LOG_LEVELS = ("DEBUG", "INFO", "WARN")
_LOG_GROUP_PATTERN = re.compile(r"[\.\-_/#A-Za-z0-9]+")
#: AWS documents that log levels need the JSON format but not the exact wording of its refusal;
#: this is the kit's, in Lambda's style.
LEVELS_NEED_JSON = ("ApplicationLogLevel and SystemLogLevel can only be set for functions "
                    "configured to use JSON log format.")


def default_log_group(function_name: str) -> str:
    """The group Lambda writes to unless LoggingConfig names another."""
    return f"/aws/lambda/{function_name}"


def _enum_error(value: Any, member: str, allowed: tuple[str, ...],
                shape: str = "loggingConfig") -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{shape}.{member}' failed to "
        f"satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]")


#: TracingConfig's modes (AWS Lambda API reference, "TracingConfig").
TRACING_MODES = ("Active", "PassThrough")


def tracing_config(requested: Any) -> dict[str, str]:
    """The TracingConfig a request sets (X-Ray itself is not simulated: the mode is kept and
    reported back). A missing mode means PassThrough, Lambda's default.

    >>> tracing_config({"Mode": "Active"})
    {'Mode': 'Active'}
    """
    mode = (requested or {}).get("Mode") or "PassThrough"
    if mode not in TRACING_MODES:
        raise _enum_error(mode, "mode", TRACING_MODES, shape="tracingConfig")
    return {"Mode": mode}


def logging_config(function_name: str, current: dict[str, Any] | None,
                   requested: dict[str, Any] | None) -> dict[str, Any]:
    """The function's LoggingConfig after a CreateFunction / UpdateFunctionConfiguration.

    ``current`` is the stored configuration (None on create), ``requested`` the request's
    LoggingConfig. Members the request leaves out keep their value (or take Lambda's
    default: ``Text``, ``/aws/lambda/NAME``, and ``INFO`` for both levels once the format is
    JSON); levels go away when the format becomes Text. Raises ValidationException for a
    value outside a member's constraints, InvalidParameterValueException for levels without
    the JSON format, before anything is stored.
    """
    requested = requested or {}
    if not isinstance(requested, dict):
        raise ValidationException("1 validation error detected: Value at 'loggingConfig' "
                                  "failed to satisfy constraint: Member must be a structure")
    current = current or {}
    log_format = requested.get("LogFormat")
    if log_format is not None and log_format not in LOG_FORMATS:
        raise _enum_error(log_format, "logFormat", LOG_FORMATS)
    app_level = requested.get("ApplicationLogLevel")
    if app_level is not None and app_level not in APPLICATION_LOG_LEVELS:
        raise _enum_error(app_level, "applicationLogLevel", APPLICATION_LOG_LEVELS)
    system_level = requested.get("SystemLogLevel")
    if system_level is not None and system_level not in SYSTEM_LOG_LEVELS:
        raise _enum_error(system_level, "systemLogLevel", SYSTEM_LOG_LEVELS)
    group = requested.get("LogGroup")
    if group is not None:
        group = str(group)
        if len(group) > 512:
            raise ValidationException(
                f"1 validation error detected: Value '{group}' at 'loggingConfig.logGroup' "
                "failed to satisfy constraint: Member must have length less than or equal to 512")
        if not _LOG_GROUP_PATTERN.fullmatch(group):
            raise ValidationException(
                f"1 validation error detected: Value '{group}' at 'loggingConfig.logGroup' "
                "failed to satisfy constraint: Member must satisfy regular expression pattern: "
                "[\\.\\-_/#A-Za-z0-9]+")
    new_format = log_format or current.get("LogFormat") or "Text"
    if new_format != "JSON" and (app_level is not None or system_level is not None):
        raise InvalidParameterValueException(LEVELS_NEED_JSON)
    config: dict[str, Any] = {"LogFormat": new_format}
    if new_format == "JSON":
        config["ApplicationLogLevel"] = app_level or current.get("ApplicationLogLevel") or "INFO"
        config["SystemLogLevel"] = system_level or current.get("SystemLogLevel") or "INFO"
    config["LogGroup"] = group or current.get("LogGroup") or default_log_group(function_name)
    return config
