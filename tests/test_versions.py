"""Versions and aliases: snapshots, qualified ARNs and weighted routing."""
from __future__ import annotations

import collections

import lambdakit

VERSIONED = """
def handler(event, context):
    return {"code": "CODE", "version": context.function_version,
            "arn": context.invoked_function_arn}
"""
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def publish(deploy, name, code):
    deploy.lam.update_function_code(FunctionName=name,
                                    ZipFile=lambdakit.zip_code(VERSIONED.replace("CODE", code)))
    deploy.lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    return deploy.lam.publish_version(FunctionName=name)["Version"]


def test_published_version_keeps_its_code_after_latest_changes(deploy):
    name = deploy.create(VERSIONED.replace("CODE", "one"))
    v1 = deploy.lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(deploy, name, "two")
    publish(deploy, name, "three")
    deploy.lam.update_function_code(FunctionName=name,
                                    ZipFile=lambdakit.zip_code(VERSIONED.replace("CODE", "latest")))
    deploy.lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    one = deploy.invoke(name, Qualifier=v1)
    assert one["Body"] == {"code": "one", "version": v1, "arn": f"{ARN}{name}:{v1}"}
    assert one["ExecutedVersion"] == v1
    assert deploy.invoke(f"{name}:{v2}")["Body"]["code"] == "two"
    latest = deploy.invoke(name)
    assert latest["Body"]["code"] == "latest" and latest["ExecutedVersion"] == "$LATEST"
    assert deploy.invoke(name, Qualifier="$LATEST")["Body"]["arn"] == f"{ARN}{name}:$LATEST"


def test_published_version_keeps_its_configuration(deploy):
    name = deploy.create("""
import os
def handler(event, context):
    return os.environ["STAGE"]
""", Environment={"Variables": {"STAGE": "blue"}})
    v1 = deploy.lam.publish_version(FunctionName=name)["Version"]
    deploy.lam.update_function_configuration(FunctionName=name,
                                             Environment={"Variables": {"STAGE": "green"}})
    deploy.lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    assert deploy.invoke(name, Qualifier=v1)["Body"] == "blue"
    assert deploy.invoke(name)["Body"] == "green"


def test_alias_resolves_to_its_version(deploy):
    name = deploy.create(VERSIONED.replace("CODE", "one"))
    v1 = deploy.lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(deploy, name, "two")
    deploy.lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    response = deploy.invoke(name, Qualifier="live")
    assert response["ExecutedVersion"] == v1
    assert response["Body"] == {"code": "one", "version": v1, "arn": f"{ARN}{name}:live"}
    deploy.lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v2)
    assert deploy.invoke(f"{ARN}{name}:live")["Body"]["code"] == "two"


def test_weighted_alias_splits_traffic(deploy):
    name = deploy.create(VERSIONED.replace("CODE", "one"))
    v1 = deploy.lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(deploy, name, "two")
    deploy.lam.create_alias(FunctionName=name, Name="canary", FunctionVersion=v1,
                            RoutingConfig={"AdditionalVersionWeights": {v2: 0.3}})
    executed = collections.Counter()
    for _ in range(200):
        response = deploy.invoke(name, Qualifier="canary")
        executed[response["ExecutedVersion"]] += 1
        code = {v1: "one", v2: "two"}[response["ExecutedVersion"]]
        assert response["Body"]["code"] == code
    # 200 draws at 30%: the chance of falling outside 30..90 is below one in a million
    assert set(executed) == {v1, v2}
    assert 30 <= executed[v2] <= 90


def test_qualifier_mismatch_is_rejected(deploy):
    import pytest
    from botocore.exceptions import ClientError
    name = deploy.create(VERSIONED)
    v1 = deploy.lam.publish_version(FunctionName=name)["Version"]
    with pytest.raises(ClientError) as info:
        deploy.lam.invoke(FunctionName=f"{name}:{v1}", Qualifier="$LATEST")
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_an_existing_alias_is_a_resource_conflict_and_stays_as_it_was(deploy):
    name = deploy.create(VERSIONED.replace("CODE", "one"))
    v1 = deploy.lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(deploy, name, "two")
    deploy.lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    try:
        deploy.lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v2)
    except deploy.lam.exceptions.ResourceConflictException as error:  # AWS's code, 409
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        assert error.response["Error"]["Message"] == f"Alias already exists: {ARN}{name}:live"
    else:
        raise AssertionError("a second CreateAlias of 'live' was accepted")
    assert deploy.lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == v1
