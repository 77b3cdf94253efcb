"""LoggingConfig as Lambda has it: format, log levels and log group, checked, returned and applied.

Shapes from AWS's developer guide ("Configuring advanced logging controls for Lambda
functions", "Log-level filtering") and API reference ("LoggingConfig"): the JSON system
records are ``{"time", "type": "platform.*", "record"}``; the runtime writes ``logging``
records as JSON with ``timestamp``, ``level``, ``message``, ``logger`` and ``requestId``.
"""
from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from lambdakit.function_rules import LEVELS_NEED_JSON

LOGGING_HANDLER = """
import logging
import os

logger = logging.getLogger()


def handler(event, context):
    logger.debug("debug detail")
    logger.info("order %s accepted", event.get("order", 1))
    logger.warning("stock low")
    print("plain print")
    if event.get("fail"):
        raise ValueError("bad order")
    return {"format": os.environ.get("AWS_LAMBDA_LOG_FORMAT"),
            "level": os.environ.get("AWS_LAMBDA_LOG_LEVEL"),
            "group": context.log_group_name}
"""


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def messages(deploy, group):
    """Every message in log group ``group``, oldest first."""
    logs = deploy.client("logs")
    events = logs.filter_log_events(logGroupName=group)["events"]
    return [event["message"] for event in sorted(events, key=lambda e: e["timestamp"])]


def records(lines):
    """The lines that are JSON objects, parsed."""
    return [json.loads(line) for line in lines if line.startswith("{")]


def platform(lines, kind):
    return [r for r in records(lines) if r.get("type") == f"platform.{kind}"]


# -- the control plane ----------------------------------------------------------------------

def test_defaults_are_text_and_the_function_group(deploy, lam):
    name = f"fn-{uuid.uuid4().hex[:10]}"
    created = lam.create_function(FunctionName=name, Role=deploy.role, Runtime="python3.12",
                                  Handler="lambda_function.handler",
                                  Code={"ZipFile": __import__("lambdakit").zip_code(LOGGING_HANDLER)})
    default = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    assert created["LoggingConfig"] == default
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"] == default
    assert lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"] == default


def test_json_format_takes_info_levels_by_default(deploy, lam):
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={"LogFormat": "JSON"})
    assert lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"] == {
        "LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "INFO",
        "LogGroup": f"/aws/lambda/{name}"}


@pytest.mark.parametrize("config, code, message", [
    ({"ApplicationLogLevel": "DEBUG"}, "InvalidParameterValueException", LEVELS_NEED_JSON),
    ({"LogFormat": "Text", "SystemLogLevel": "WARN"}, "InvalidParameterValueException",
     LEVELS_NEED_JSON),
    ({"LogFormat": "XML"}, "ValidationException",
     "1 validation error detected: Value 'XML' at 'loggingConfig.logFormat' failed to satisfy "
     "constraint: Member must satisfy enum value set: [JSON, Text]"),
    ({"LogFormat": "JSON", "ApplicationLogLevel": "VERBOSE"}, "ValidationException",
     "1 validation error detected: Value 'VERBOSE' at 'loggingConfig.applicationLogLevel' failed "
     "to satisfy constraint: Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, "
     "ERROR, FATAL]"),
    ({"LogFormat": "JSON", "SystemLogLevel": "ERROR"}, "ValidationException",
     "1 validation error detected: Value 'ERROR' at 'loggingConfig.systemLogLevel' failed to "
     "satisfy constraint: Member must satisfy enum value set: [DEBUG, INFO, WARN]"),
    ({"LogGroup": "my group"}, "ValidationException",
     "1 validation error detected: Value 'my group' at 'loggingConfig.logGroup' failed to satisfy "
     "constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"),
    ({"LogGroup": "g" * 513}, "ValidationException",
     f"1 validation error detected: Value '{'g' * 513}' at 'loggingConfig.logGroup' failed to "
     "satisfy constraint: Member must have length less than or equal to 512"),
])
def test_refused_configurations_change_nothing(deploy, lam, config, code, message):
    name = f"fn-{uuid.uuid4().hex[:10]}"
    assert error_of(lambda: deploy.create(LOGGING_HANDLER, name=name, LoggingConfig=config)) == (
        400, code, message)
    assert error_of(lambda: lam.get_function(FunctionName=name))[1] == "ResourceNotFoundException"
    existing = deploy.create(LOGGING_HANDLER)
    before = lam.get_function_configuration(FunctionName=existing)
    assert error_of(lambda: lam.update_function_configuration(
        FunctionName=existing, LoggingConfig=config)) == (400, code, message)
    after = lam.get_function_configuration(FunctionName=existing)
    assert after["LoggingConfig"] == before["LoggingConfig"]
    assert after["LastModified"] == before["LastModified"]


def test_updates_keep_what_they_leave_out_and_versions_keep_theirs(deploy, lam):
    group = f"/orders/{uuid.uuid4().hex[:8]}"
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={"LogGroup": group})
    wait = {"Delay": 0.05, "MaxAttempts": 200}
    lam.update_function_configuration(FunctionName=name, LoggingConfig={
        "LogFormat": "JSON", "ApplicationLogLevel": "WARN"})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=wait)
    json_config = {"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "INFO",
                   "LogGroup": group}
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"] == json_config
    version = lam.publish_version(FunctionName=name)["Version"]
    # back to Text: the levels go, the group stays
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=wait)
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"] == {
        "LogFormat": "Text", "LogGroup": group}
    assert lam.get_function_configuration(FunctionName=name, Qualifier=version)[
        "LoggingConfig"] == json_config
    # the published version still runs with its own configuration
    response = deploy.invoke(name, Qualifier=version)
    assert response["Body"] == {"format": "JSON", "level": "WARN", "group": group}
    assert deploy.invoke(name)["Body"] == {"format": None, "level": None, "group": group}


# -- the logs -------------------------------------------------------------------------------

def test_json_format_writes_platform_records_and_json_application_logs(deploy):
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={"LogFormat": "JSON"}, MemorySize=256)
    response = deploy.invoke(name, {"order": 7}, LogType="Tail")
    assert response["Body"] == {"format": "JSON", "level": "INFO", "group": f"/aws/lambda/{name}"}
    lines = messages(deploy, f"/aws/lambda/{name}")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert tail.splitlines() == lines  # the tail shows what was written
    assert not any(line.startswith(("START", "END", "REPORT", "INIT_START")) for line in lines)
    rid = response["ResponseMetadata"]["RequestId"]
    arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"

    [init] = platform(lines, "initStart")
    assert set(init) == {"time", "type", "record"}
    assert init["record"]["initializationType"] == "on-demand"
    assert init["record"]["phase"] == "init"
    assert init["record"]["runtimeVersion"].startswith("python:3.12")
    assert init["record"]["functionName"] == name
    assert init["record"]["functionVersion"] == "$LATEST"
    [start] = platform(lines, "start")
    assert start["record"] == {"requestId": rid, "functionArn": arn, "version": "$LATEST"}
    assert start["time"].endswith("Z") and len(start["time"]) == len("2026-01-01T00:00:00.000Z")
    [report] = platform(lines, "report")
    assert report["record"]["requestId"] == rid and report["record"]["status"] == "success"
    metrics = report["record"]["metrics"]
    assert set(metrics) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB",
                            "initDurationMs"}
    assert metrics["memorySizeMB"] == 256 and metrics["billedDurationMs"] >= 1
    # DEBUG system records are below the default SystemLogLevel INFO
    assert not platform(lines, "runtimeDone") and not platform(lines, "initRuntimeDone")

    application = [r for r in records(lines) if "type" not in r]
    assert [(r["level"], r["message"]) for r in application] == [
        ("INFO", "order 7 accepted"), ("WARNING", "stock low")]  # DEBUG is below INFO
    for entry in application:
        assert entry["requestId"] == rid and entry["logger"] == "root"
        assert entry["timestamp"].endswith("Z")
    assert "plain print" in lines  # print() is not JSON: Lambda counts it as INFO
    order = [line.split('"type":"platform.')[1].split('"')[0] if '"platform.' in line else line
             for line in lines]
    assert order.index("start") < lines.index("plain print") < order.index("report")

    warm = deploy.invoke(name, {"order": 8})
    warm_lines = messages(deploy, f"/aws/lambda/{name}")
    [warm_report] = [r for r in platform(warm_lines, "report")
                     if r["record"]["requestId"] == warm["ResponseMetadata"]["RequestId"]]
    assert "initDurationMs" not in warm_report["record"]["metrics"]
    assert len(platform(warm_lines, "initStart")) == 1


def test_a_handler_error_is_one_json_line_and_an_error_report(deploy):
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={"LogFormat": "JSON"})
    response = deploy.invoke(name, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    lines = messages(deploy, f"/aws/lambda/{name}")
    [error] = [r for r in records(lines) if r.get("errorType") == "ValueError"]
    assert error["level"] == "ERROR" and error["errorMessage"] == "bad order"
    assert error["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert isinstance(error["stackTrace"], list)
    [report] = platform(lines, "report")
    assert report["record"]["status"] == "error"


def test_application_log_level_filters_the_functions_logs(deploy):
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={"LogFormat": "JSON",
                                                         "ApplicationLogLevel": "WARN"})
    assert deploy.invoke(name)["Body"]["level"] == "WARN"
    lines = messages(deploy, f"/aws/lambda/{name}")
    application = [r for r in records(lines) if "type" not in r]
    assert [r["message"] for r in application] == ["stock low"]
    assert "plain print" not in lines  # INFO, below WARN
    assert platform(lines, "start") and platform(lines, "report")  # system logs: still INFO


def test_debug_levels_let_everything_through(deploy):
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={
        "LogFormat": "JSON", "ApplicationLogLevel": "DEBUG", "SystemLogLevel": "DEBUG"})
    response = deploy.invoke(name)
    lines = messages(deploy, f"/aws/lambda/{name}")
    assert [r["message"] for r in records(lines) if "type" not in r] == [
        "debug detail", "order 1 accepted", "stock low"]
    [done] = platform(lines, "runtimeDone")
    assert done["record"]["requestId"] == response["ResponseMetadata"]["RequestId"]
    assert done["record"]["status"] == "success"
    assert platform(lines, "initRuntimeDone")[0]["record"]["status"] == "success"


def test_system_log_level_warn_drops_the_platform_records(deploy):
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={"LogFormat": "JSON",
                                                         "SystemLogLevel": "WARN"})
    deploy.invoke(name)
    lines = messages(deploy, f"/aws/lambda/{name}")
    assert not [r for r in records(lines) if "type" in r]
    assert "plain print" in lines


def test_text_format_is_unchanged(deploy):
    name = deploy.create(LOGGING_HANDLER)
    assert deploy.invoke(name)["Body"] == {"format": None, "level": None,
                                           "group": f"/aws/lambda/{name}"}
    lines = messages(deploy, f"/aws/lambda/{name}")
    assert lines[0].startswith("INIT_START") and lines[-1].startswith("REPORT RequestId")
    assert any(line.startswith("[WARNING]") and "stock low" in line for line in lines)
    # without a log level the root logger keeps Python's default, WARNING
    assert not any("order 1 accepted" in line or "debug detail" in line for line in lines)


def test_a_custom_log_group_receives_the_logs(deploy):
    group = f"/shared/orders-{uuid.uuid4().hex[:8]}"
    name = deploy.create(LOGGING_HANDLER, LoggingConfig={"LogGroup": group})
    assert deploy.invoke(name)["Body"]["group"] == group
    lines = messages(deploy, group)
    assert lines[-1].startswith("REPORT RequestId")
    logs = deploy.client("logs")
    assert not logs.describe_log_groups(logGroupNamePrefix=f"/aws/lambda/{name}")["logGroups"]
    [stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert stream["logStreamName"].split("]")[0].endswith("[$LATEST")


def test_the_role_needs_the_logs_permissions_on_the_custom_group(deploy):
    iam, logs = deploy.client("iam"), deploy.client("logs")
    role_name = f"role-{uuid.uuid4().hex[:8]}"
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}
    role_arn = iam.create_role(RoleName=role_name,
                               AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    # allowed on the default groups only, as many roles are
    iam.put_role_policy(RoleName=role_name, PolicyName="logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/*"}]}))
    group = f"/custom/{uuid.uuid4().hex[:8]}"
    name = f"fn-{uuid.uuid4().hex[:10]}"
    deploy.lam.create_function(FunctionName=name, Role=role_arn, Runtime="python3.12",
                               Handler="lambda_function.handler",
                               Code={"ZipFile": __import__("lambdakit").zip_code(LOGGING_HANDLER)},
                               LoggingConfig={"LogGroup": group})
    deploy.lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    response = deploy.invoke(name, LogType="Tail")
    assert "REPORT RequestId" in base64.b64decode(response["LogResult"]).decode()
    assert not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]  # no logs at all
    # the same role writes once the function goes back to its default group
    deploy.lam.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogGroup": f"/aws/lambda/{name}"})
    deploy.lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    deploy.invoke(name)
    assert messages(deploy, f"/aws/lambda/{name}")[-1].startswith("REPORT RequestId")
