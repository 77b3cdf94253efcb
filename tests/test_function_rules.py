"""Lambda's rules on what control-plane calls may change, as boto3 users meet them."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

import lambdakit

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
STAGED = """
import os
def handler(event, context):
    return {"code": "CODE", "stage": os.environ.get("STAGE")}
"""


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def wait_updated(lam, name):
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})


def publish(deploy, name, code):
    deploy.lam.update_function_code(FunctionName=name, ZipFile=lambdakit.zip_code(STAGED.replace("CODE", code)))
    wait_updated(deploy.lam, name)
    return deploy.lam.publish_version(FunctionName=name)["Version"]


# -- published versions are immutable ---------------------------------------------------

@pytest.mark.parametrize("qualified", ["{name}:{v}", ARN + "{name}:{v}"])
def test_update_of_a_published_version_is_refused_and_changes_nothing(deploy, qualified):
    lam = deploy.lam
    name = deploy.create(STAGED.replace("CODE", "one"), Environment={"Variables": {"STAGE": "blue"}})
    v1 = lam.publish_version(FunctionName=name)["Version"]
    target = qualified.format(name=name, v=v1)
    before = lam.get_function_configuration(FunctionName=name, Qualifier=v1)

    status, code, message = error_of(lambda: lam.update_function_code(
        FunctionName=target, ZipFile=lambdakit.zip_code(STAGED.replace("CODE", "two"))))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert f"{ARN}{name}:{v1}" in message and "published" in message
    status, code, _ = error_of(lambda: lam.update_function_configuration(
        FunctionName=target, Environment={"Variables": {"STAGE": "green"}}, Timeout=9))
    assert (status, code) == (400, "InvalidParameterValueException")

    after = lam.get_function_configuration(FunctionName=name, Qualifier=v1)
    assert (after["CodeSha256"], after["Timeout"], after["Environment"]) == (
        before["CodeSha256"], before["Timeout"], before["Environment"])
    assert deploy.invoke(name, Qualifier=v1)["Body"] == {"code": "one", "stage": "blue"}
    latest = lam.get_function_configuration(FunctionName=name)  # $LATEST untouched too
    assert latest["CodeSha256"] == before["CodeSha256"] and latest["Timeout"] == before["Timeout"]
    assert deploy.invoke(name)["Body"] == {"code": "one", "stage": "blue"}


def test_update_through_an_alias_is_refused(deploy):
    lam = deploy.lam
    name = deploy.create(STAGED.replace("CODE", "one"))
    v1 = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    status, code, message = error_of(lambda: lam.update_function_configuration(
        FunctionName=f"{name}:live", Timeout=9))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert f"{ARN}{name}:live" in message
    assert lam.get_function_configuration(FunctionName=name, Qualifier="live")["Timeout"] == 3


def test_unpublished_version_is_still_updated_by_name_or_arn(deploy):
    lam = deploy.lam
    name = deploy.create(STAGED.replace("CODE", "one"))
    v1 = lam.publish_version(FunctionName=name)["Version"]
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": {"STAGE": "green"}})
    wait_updated(lam, name)
    lam.update_function_code(FunctionName=f"{ARN}{name}",
                             ZipFile=lambdakit.zip_code(STAGED.replace("CODE", "two")))
    wait_updated(lam, name)
    assert deploy.invoke(name)["Body"] == {"code": "two", "stage": "green"}
    assert deploy.invoke(name, Qualifier=v1)["Body"] == {"code": "one", "stage": None}


def test_update_of_a_missing_version_is_not_found(deploy):
    name = deploy.create(STAGED.replace("CODE", "one"))
    status, code, _ = error_of(lambda: deploy.lam.update_function_configuration(
        FunctionName=f"{name}:7", Timeout=9))
    assert (status, code) == (404, "ResourceNotFoundException")
