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


# -- alias routing rules ------------------------------------------------------------------

def two_versions(deploy):
    name = deploy.create(STAGED.replace("CODE", "one"))
    v1 = deploy.lam.publish_version(FunctionName=name)["Version"]
    return name, v1, publish(deploy, name, "two")


@pytest.mark.parametrize("version, weights, expected", [
    ("1", {"2": 1.5}, (400, "ValidationException",
                       "1 validation error detected: Value '{2=1.5}' at "
                       "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map "
                       "value must satisfy constraint: [Member must have value less than or equal "
                       "to 1.0, Member must have value greater than or equal to 0.0, Member must "
                       "not be null]")),
    ("1", {"2": 0.1, "3": 0.1}, (400, "InvalidParameterValueException",
                                 "Number of items in AdditionalVersionWeights cannot be greater than 1")),
    ("$LATEST", {"1": 0.2}, (400, "InvalidParameterValueException",
                             "$LATEST is not supported for an alias pointing to more than 1 version")),
    ("1", {"$LATEST": 0.2}, (400, "ValidationException",
                             "1 validation error detected: Value '{$LATEST=0.2}' at "
                             "'routingConfig.additionalVersionWeights' failed to satisfy constraint: "
                             "Map keys must satisfy constraint: [Member must have length less than or "
                             "equal to 1024, Member must have length greater than or equal to 1, "
                             "Member must satisfy regular expression pattern: [0-9]+, Member must "
                             "not be null]")),
    ("1", {"1": 0.2}, (400, "InvalidParameterValueException",
                       "Invalid function version 1. Function version 1 is already included in "
                       "routing configuration.")),
    ("1", {"9": 0.2}, (404, "ResourceNotFoundException", "Function not found: {arn}:9")),
])
def test_create_alias_refuses_bad_routing_and_creates_nothing(deploy, version, weights, expected):
    lam = deploy.lam
    name, _, _ = two_versions(deploy)
    status, code, message = expected
    assert error_of(lambda: lam.create_alias(
        FunctionName=name, Name="canary", FunctionVersion=version,
        RoutingConfig={"AdditionalVersionWeights": weights})) == (
        status, code, message.replace("{arn}", f"{ARN}{name}"))
    assert lam.list_aliases(FunctionName=name)["Aliases"] == []


def test_update_alias_refuses_bad_routing_and_keeps_the_alias(deploy):
    lam = deploy.lam
    name, v1, v2 = two_versions(deploy)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1,
                     RoutingConfig={"AdditionalVersionWeights": {v2: 0.25}})
    before = lam.get_alias(FunctionName=name, Name="live")
    for call in (
        # a weight out of range
        lambda: lam.update_alias(FunctionName=name, Name="live",
                                 RoutingConfig={"AdditionalVersionWeights": {v2: 2.0}}),
        # moving a weighted alias to $LATEST
        lambda: lam.update_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST"),
        # the main version becomes the additional one
        lambda: lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v2),
    ):
        status, _, _ = error_of(call)
        assert status == 400
    after = lam.get_alias(FunctionName=name, Name="live")
    assert (after["FunctionVersion"], after["RoutingConfig"], after["RevisionId"]) == (
        before["FunctionVersion"], before["RoutingConfig"], before["RevisionId"])
    assert {deploy.invoke(name, Qualifier="live")["ExecutedVersion"] for _ in range(40)} <= {v1, v2}


def test_valid_routing_is_accepted_and_can_be_removed(deploy):
    lam = deploy.lam
    name, v1, v2 = two_versions(deploy)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST")  # no weights: fine
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v1,
                     RoutingConfig={"AdditionalVersionWeights": {v2: 1.0}})
    assert {deploy.invoke(name, Qualifier="live")["ExecutedVersion"] for _ in range(5)} == {v2}
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v2,
                     RoutingConfig={"AdditionalVersionWeights": {}})
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="$LATEST")
    assert deploy.invoke(name, Qualifier="live")["ExecutedVersion"] == "$LATEST"


# -- environment variables ----------------------------------------------------------------

RESERVED_MESSAGE = ("Lambda was unable to configure your environment variables because the environment "
                    "variables you have provided contains reserved keys that are currently not "
                    "supported for modification. Reserved keys used in this request: ")
TOO_BIG_MESSAGE = ("Lambda was unable to configure your environment variables because the environment "
                   "variables you have provided exceeded the 4KB limit. String measured: ")


def test_create_function_refuses_reserved_keys_and_creates_nothing(deploy):
    name = "fn-reserved-env"
    status, code, message = error_of(lambda: deploy.create(
        STAGED, name=name, Environment={"Variables": {"STAGE": "blue", "AWS_REGION": "eu-west-1",
                                                      "LAMBDA_TASK_ROOT": "/tmp"}}))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message == RESERVED_MESSAGE + "AWS_REGION, LAMBDA_TASK_ROOT"
    assert error_of(lambda: deploy.lam.get_function(FunctionName=name))[1] == "ResourceNotFoundException"


def test_update_refuses_reserved_keys_and_keeps_the_configuration(deploy):
    lam = deploy.lam
    name = deploy.create(STAGED.replace("CODE", "one"), Environment={"Variables": {"STAGE": "blue"}})
    status, code, message = error_of(lambda: lam.update_function_configuration(
        FunctionName=name, Timeout=9, Environment={"Variables": {"_HANDLER": "x.y"}}))
    assert (status, code, message) == (400, "InvalidParameterValueException", RESERVED_MESSAGE + "_HANDLER")
    config = lam.get_function_configuration(FunctionName=name)
    assert config["Environment"] == {"Variables": {"STAGE": "blue"}} and config["Timeout"] == 3
    assert deploy.invoke(name)["Body"] == {"code": "one", "stage": "blue"}


def test_more_than_4_kb_of_variables_is_refused(deploy):
    lam = deploy.lam
    name = deploy.create(STAGED.replace("CODE", "one"))
    # the JSON text {"BIG":"xxx..."} is measured: 10 bytes of punctuation and key, then the value
    fits = {"BIG": "x" * (4096 - len('{"BIG":""}'))}
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": fits})
    wait_updated(lam, name)
    assert deploy.invoke(name)["StatusCode"] == 200
    too_big = {"BIG": fits["BIG"] + "x"}
    status, code, message = error_of(lambda: lam.update_function_configuration(
        FunctionName=name, Environment={"Variables": too_big}))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message == TOO_BIG_MESSAGE + '{"BIG":"' + too_big["BIG"] + '"}'
    assert lam.get_function_configuration(FunctionName=name)["Environment"] == {"Variables": fits}
    status, _, message = error_of(lambda: deploy.create(STAGED, Environment={"Variables": too_big}))
    assert status == 400 and message.startswith(TOO_BIG_MESSAGE)


def test_unreserved_runtime_variables_may_be_set(deploy):
    name = deploy.create("""
import os
def handler(event, context):
    return os.environ["PYTHONPATH"].split(":")[0], os.environ["LANG"]
""", Environment={"Variables": {"PYTHONPATH": "/opt/extra", "LANG": "de_DE.UTF-8"}})
    assert deploy.invoke(name)["Body"] == ["/opt/extra", "de_DE.UTF-8"]


# -- TracingConfig ----------------------------------------------------------------------

TRACING_ERROR = ("1 validation error detected: Value 'Always' at 'tracingConfig.mode' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]")


def test_tracing_mode_is_set_on_create_and_changed_by_update(deploy):
    lam = deploy.lam
    name = deploy.create(STAGED.replace("CODE", "one"))
    assert lam.get_function_configuration(FunctionName=name)["TracingConfig"] == {
        "Mode": "PassThrough"}  # Lambda's default
    lam.update_function_configuration(FunctionName=name, TracingConfig={"Mode": "Active"})
    wait_updated(lam, name)
    assert lam.get_function_configuration(FunctionName=name)["TracingConfig"] == {"Mode": "Active"}
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.update_function_configuration(FunctionName=name, TracingConfig={"Mode": "PassThrough"})
    wait_updated(lam, name)
    assert lam.get_function_configuration(FunctionName=name)["TracingConfig"]["Mode"] == "PassThrough"
    assert lam.get_function_configuration(FunctionName=name, Qualifier=version)[
        "TracingConfig"] == {"Mode": "Active"}  # the published version keeps its mode
    active = deploy.create(STAGED.replace("CODE", "two"), TracingConfig={"Mode": "Active"})
    assert lam.get_function_configuration(FunctionName=active)["TracingConfig"]["Mode"] == "Active"


def test_an_unknown_tracing_mode_is_refused_and_changes_nothing(deploy):
    lam = deploy.lam
    name = deploy.create(STAGED.replace("CODE", "one"), TracingConfig={"Mode": "Active"})
    assert error_of(lambda: lam.update_function_configuration(
        FunctionName=name, Timeout=9, TracingConfig={"Mode": "Always"})) == (
        400, "ValidationException", TRACING_ERROR)
    config = lam.get_function_configuration(FunctionName=name)
    assert config["TracingConfig"] == {"Mode": "Active"} and config["Timeout"] == 3
    assert error_of(lambda: deploy.create(STAGED, TracingConfig={"Mode": "Always"})) == (
        400, "ValidationException", TRACING_ERROR)
