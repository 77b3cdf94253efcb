"""Invoke through boto3: results, context, environment variables, invocation types."""
from __future__ import annotations

import base64
import json
import os
import re

import pytest

import lambdakit
from conftest import wait_for
from lambdakit.course.monitoring import parse_report

CONTEXT_HANDLER = """
import json, os
def handler(event, context):
    return {
        "aws_request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": int(context.memory_limit_in_mb),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "client_context": getattr(context.client_context, "custom", None),
        "env": {k: v for k, v in os.environ.items()
                if k.startswith(("AWS_", "LAMBDA_", "_HANDLER", "GREETING", "TZ"))},
        "event": event,
    }
"""
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_invoke_returns_handler_result_with_aws_metadata(deploy):
    name = deploy.create(CONTEXT_HANDLER, MemorySize=256, Timeout=7,
                         Environment={"Variables": {"GREETING": "hello"}})
    first = deploy.invoke(name, {"n": 1})
    second = deploy.invoke(name, {"n": 2})
    assert first["StatusCode"] == 200 and "FunctionError" not in first
    assert first["ExecutedVersion"] == "$LATEST"
    body = first["Body"]
    assert body["event"] == {"n": 1}
    assert body["aws_request_id"] == first["ResponseMetadata"]["RequestId"]
    assert second["Body"]["aws_request_id"] == second["ResponseMetadata"]["RequestId"]
    assert body["aws_request_id"] != second["Body"]["aws_request_id"]
    assert body["function_name"] == name
    assert body["function_version"] == "$LATEST"
    assert body["invoked_function_arn"] == ARN + name
    assert body["memory_limit_in_mb"] == 256
    assert body["log_group_name"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", body["log_stream_name"])
    assert 0 < body["remaining"] <= 7000


def test_reserved_and_configured_environment_variables(deploy):
    name = deploy.create(CONTEXT_HANDLER, handler="lambda_function.handler", MemorySize=192,
                         Environment={"Variables": {"GREETING": "hello"}})
    env = deploy.invoke(name)["Body"]["env"]
    assert env["GREETING"] == "hello"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "192"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["_HANDLER"] == "lambda_function.handler"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{name}"
    assert env["AWS_LAMBDA_LOG_STREAM_NAME"].startswith(tuple("0123456789"))
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_LAMBDA_RUNTIME_API"].startswith("127.0.0.1:")
    assert env["LAMBDA_TASK_ROOT"] and env["TZ"] == ":UTC"
    # the handler acts as its execution role, never with the caller's keys
    assert env["AWS_ACCESS_KEY_ID"] != "testing" and env["AWS_SESSION_TOKEN"]


RUNTIME_IMPORTS = """
import importlib, os
def handler(event, context):
    found = {}
    for name in event["modules"]:
        try:
            importlib.import_module(name)
            found[name] = "imported"
        except ImportError as error:
            found[name] = str(error)
    return {"found": found, "tz": os.environ["TZ"], "pythonpath": os.environ.get("PYTHONPATH")}
"""


def test_a_handler_has_the_lambda_runtime_packages_and_not_the_kits(deploy, monkeypatch):
    # the Python runtime has the SDK (and its dependencies) and the runtime client; the kit's
    # other packages, and the kit itself, are out of reach as they would be on AWS
    monkeypatch.setenv("PYTHONPATH", os.path.dirname(os.path.dirname(lambdakit.__file__)))
    name = deploy.create(RUNTIME_IMPORTS, Environment={"Variables": {"TZ": "Europe/Paris"}})
    runtime = ["boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "json"]
    kits = ["yaml", "moto", "lambdakit", "psutil", "werkzeug", "ipywidgets"]
    body = deploy.invoke(name, Payload=json.dumps({"modules": runtime + kits}))["Body"]
    assert all(body["found"][m] == "imported" for m in runtime), body["found"]
    assert {m: body["found"][m] for m in kits} == {m: f"No module named '{m}'" for m in kits}
    assert body["tz"] == "Europe/Paris"  # TZ may be set by the function (":UTC" otherwise)
    assert body["pythonpath"] is None  # the kit's own PYTHONPATH stays with the kit


def test_a_missing_library_fails_init_as_on_aws(deploy):
    name = deploy.create("import yaml\ndef handler(event, context):\n    return 1\n")
    answer = deploy.invoke(name)
    assert answer["FunctionError"] == "Unhandled"
    assert answer["Body"]["errorType"] == "Runtime.ImportModuleError"
    assert answer["Body"]["errorMessage"] == (
        "Unable to import module 'lambda_function': No module named 'yaml'")


def _report(response):
    return parse_report(base64.b64decode(response["LogResult"]).decode())


def test_billed_duration_covers_init_on_a_cold_start(deploy):
    # Lambda bills the Init phase of on-demand cold starts (since August 2025)
    name = deploy.create("import time\ntime.sleep(0.05)\ndef handler(event, context):\n"
                         "    return 1\n")
    cold = _report(deploy.lam.invoke(FunctionName=name, LogType="Tail"))
    warm = _report(deploy.lam.invoke(FunctionName=name, LogType="Tail"))
    assert cold["Init Duration"] >= 50
    # rounded up to the next ms (the log shows two decimals of each part: allow their rounding)
    both = cold["Duration"] + cold["Init Duration"]
    assert both - 0.01 <= cold["Billed Duration"] < both + 1.01
    assert "Init Duration" not in warm
    assert warm["Duration"] - 0.01 <= warm["Billed Duration"] < max(1, warm["Duration"]) + 1.01


def test_client_context_reaches_the_handler(deploy):
    name = deploy.create(CONTEXT_HANDLER)
    context = base64.b64encode(json.dumps({"custom": {"user": "ada"}}).encode()).decode()
    assert deploy.invoke(name, ClientContext=context)["Body"]["client_context"] == {"user": "ada"}


def test_dry_run_validates_without_running(deploy, endpoint):
    name = deploy.create(CONTEXT_HANDLER)
    before = len(endpoint.engine.records)
    response = deploy.lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert response["Payload"].read() == b""
    assert len(endpoint.engine.records) == before
    with pytest.raises(deploy.lam.exceptions.ResourceNotFoundException):
        deploy.lam.invoke(FunctionName="no-such-function", InvocationType="DryRun")


def test_event_invocation_returns_202_and_runs_in_background(deploy, endpoint):
    name = deploy.create(CONTEXT_HANDLER)
    response = deploy.lam.invoke(FunctionName=name, InvocationType="Event",
                                 Payload=json.dumps({"async": True}))
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    request_id = response["ResponseMetadata"]["RequestId"]
    record = wait_for(lambda: next((r for r in endpoint.engine.records
                                    if r.request_id == request_id), None),
                      message="the Event invocation to run")
    assert record.invocation_type == "Event" and record.status == "success"


def test_function_can_be_named_by_arn_and_partial_arn(deploy):
    name = deploy.create(CONTEXT_HANDLER)
    assert deploy.invoke(ARN + name)["StatusCode"] == 200
    assert deploy.invoke(f"123456789012:function:{name}")["StatusCode"] == 200


def test_handler_inside_can_call_local_aws_as_its_role(deploy):
    source = """
import boto3
def handler(event, context):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=event["bucket"])
    return {"caller": boto3.client("sts").get_caller_identity()["Arn"],
            "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]]}
"""
    import uuid

    import lambdakit
    from lambdakit.kit import LAMBDA_TRUST_POLICY

    # the role's policies decide what the handler may do (tests/test_permissions_role_calls.py)
    iam, role = deploy.client("iam"), f"s3-user-{uuid.uuid4().hex[:8]}"
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(
        LAMBDA_TRUST_POLICY))["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="s3", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": ["s3:CreateBucket", "s3:ListAllMyBuckets"],
            "Resource": "*"}]}))
    name = f"fn-{uuid.uuid4().hex[:10]}"
    deploy.lam.create_function(FunctionName=name, Runtime="python3.12", Role=arn, Timeout=30,
                               Handler="lambda_function.handler",
                               Code={"ZipFile": lambdakit.zip_code(source)})
    deploy.lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    body = deploy.invoke(name, {"bucket": f"b-{name}"})["Body"]
    assert f"b-{name}" in body["buckets"]
    assert body["caller"].startswith(f"arn:aws:sts::123456789012:assumed-role/{role}/")
    assert f"b-{name}" in [b["Name"] for b in deploy.client("s3").list_buckets()["Buckets"]]
