"""Provisioned concurrency on the live engine: the API, pre-initialised environments, spill-over.

A version or alias with provisioned concurrency P gets P environments whose Init ran when the
configuration was put (Status IN_PROGRESS, then READY). Up to P invocations at once run on them
with no Init; beyond P they spill over to on-demand environments (cold starts). boto3 has no
waiter for the status, so the tests poll GetProvisionedConcurrencyConfig with a deadline.
"""
from __future__ import annotations

import base64
import json
import threading
import uuid

import pytest
from botocore.exceptions import ClientError

import lambdakit.kit
from conftest import wait_for
from lambdakit.server import Endpoint
from lambdakit.settings import Settings
from test_concurrency_live import NO_RETRIES, statistic, unreserved

# Marks its start with a file, then waits for the test to create the release file; returns how
# its environment was initialised (AWS_LAMBDA_INITIALIZATION_TYPE).
HELD = """
import os, time

KIND = os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]

def handler(event, context):
    if "release" in event:
        open(event["release"] + "." + context.aws_request_id, "w").close()
        while not os.path.exists(event["release"]):
            time.sleep(0.01)
    return KIND
"""
LATEST_MESSAGE = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
SHAPE = {"RequestedProvisionedConcurrentExecutions", "AvailableProvisionedConcurrentExecutions",
         "AllocatedProvisionedConcurrentExecutions", "Status", "LastModified"}


def published(deploy, source=HELD, alias="live"):
    """A function with version 1 and an alias on it; returns (name, version)."""
    name = deploy.create(source, Timeout=60)
    version = deploy.lam.publish_version(FunctionName=name)["Version"]
    deploy.lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=version)
    return name, version


def status(lam, name, qualifier, wanted, timeout=30):
    """Poll GetProvisionedConcurrencyConfig until its Status is ``wanted``; return the config."""
    return wait_for(lambda: (lambda c: c if c["Status"] == wanted else None)(
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)),
        timeout=timeout, message=f"{name}:{qualifier} {wanted}")


def held_burst(lam, name, qualifier, count, release):
    """Invoke ``count`` times at once and wait until all are running; returns (threads, results).

    Each result is (payload, decoded log tail); the invocations end when ``release`` is created.
    """
    results, lock = [], threading.Lock()

    def call():
        response = lam.invoke(FunctionName=name, Qualifier=qualifier, LogType="Tail",
                              Payload=json.dumps({"release": str(release)}))
        with lock:
            results.append((json.load(response["Payload"]),
                            base64.b64decode(response["LogResult"]).decode()))

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(list(release.parent.glob(release.name + ".*"))) == count, timeout=60,
             message=f"{count} invocations in flight")
    release.touch()
    for thread in threads:
        thread.join(timeout=60)
    return results


def records_of(deploy, name):
    return [r for r in deploy.session.records if r.function_name == name]


def provisioned_environments(deploy):
    return [e for e in deploy.session.environments()
            if e["initialization_type"] == "provisioned-concurrency"]


def test_latest_and_unknown_qualifiers_are_refused(deploy, lam):
    name, _ = published(deploy)
    with pytest.raises(ClientError) as info:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST",
                                               ProvisionedConcurrentExecutions=1)
    error = info.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidParameterValueException", 400)
    assert error["Error"]["Message"] == LATEST_MESSAGE
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as info:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="nope",
                                               ProvisionedConcurrentExecutions=1)
    assert info.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}:nope")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)[
        "ProvisionedConcurrencyConfigs"] == []
    # over the account's limits: the rules' own messages, before any environment starts
    with pytest.raises(ClientError) as info:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                               ProvisionedConcurrentExecutions=unreserved(lam) - 99)
    assert info.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "Specified ConcurrentExecutions for function decreases account's "
                   "UnreservedConcurrentExecution below its minimum value of [100]."}
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    with pytest.raises(ClientError) as info:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                               ProvisionedConcurrentExecutions=2)
    assert info.value.response["Error"]["Message"] == (
        "Requested Provisioned Concurrency should not be greater than the "
        "reservedConcurrentExecution for function")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    lam.delete_function(FunctionName=name)


def test_an_alias_gets_initialised_environments_and_spills_over(deploy, tmp_path):
    lam = deploy.session.client("lambda", config=NO_RETRIES)
    name, version = published(deploy)
    before = unreserved(lam)
    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                                 ProvisionedConcurrentExecutions=2)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert put["Status"] == "IN_PROGRESS"
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert unreserved(lam) == before - 2  # taken from the shared pool at once

    config = status(lam, name, "live", "READY")
    assert SHAPE <= set(config)
    assert (config["AllocatedProvisionedConcurrentExecutions"],
            config["AvailableProvisionedConcurrentExecutions"]) == (2, 2)
    listed = lam.list_provisioned_concurrency_configs(FunctionName=name)["ProvisionedConcurrencyConfigs"]
    assert [item["FunctionArn"] for item in listed] == [
        f"arn:aws:lambda:us-east-1:123456789012:function:{name}:live"]
    assert listed[0]["Status"] == "READY"
    # Init already ran, in environments told they are provisioned
    assert len(provisioned_environments(deploy)) >= 2

    # reserved concurrency may not drop below what is provisioned
    with pytest.raises(ClientError) as info:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    assert info.value.response["Error"]["Message"] == (
        "Specified ReservedConcurrentExecutions for function is less than the function's "
        "total provisioned concurrency [2].")

    # P at once: all on provisioned environments, no Init in any of them
    results = held_burst(lam, name, "live", 2, tmp_path / "two")
    assert [payload for payload, _ in results] == ["provisioned-concurrency"] * 2
    assert not any("Init Duration" in tail for _, tail in results)
    assert [r.cold for r in records_of(deploy, name)] == [False, False]

    # P + 1 at once: exactly one spills over to a new on-demand environment
    results = held_burst(lam, name, "live", 3, tmp_path / "three")
    assert sorted(payload for payload, _ in results) == [
        "on-demand", "provisioned-concurrency", "provisioned-concurrency"]
    assert sum("Init Duration" in tail for _, tail in results) == 1
    assert sorted(r.cold for r in records_of(deploy, name)[2:]) == [False, False, True]

    resource = {"FunctionName": name, "Resource": f"{name}:live"}
    assert statistic(deploy, "ProvisionedConcurrencySpilloverInvocations", "Sum", resource) == 1
    assert statistic(deploy, "ProvisionedConcurrencyInvocations", "Sum", resource) == 4
    assert statistic(deploy, "ProvisionedConcurrentExecutions", "Maximum", resource) == 2
    assert statistic(deploy, "ProvisionedConcurrencyUtilization", "Maximum", resource) == 1.0

    # the version itself has no provisioned concurrency: invoking it directly is on-demand
    assert json.load(lam.invoke(FunctionName=name, Qualifier=version)["Payload"]) == "on-demand"

    used = {r.environment_id for r in records_of(deploy, name)}
    lam.delete_function(FunctionName=name)  # the configuration and its environments go too
    assert unreserved(lam) == before
    wait_for(lambda: not used & {e["environment_id"] for e in deploy.session.environments()},
             timeout=10, message="the function's environments to shut down")


def test_delete_shuts_the_environments_down_and_later_invokes_are_cold(deploy, lam):
    name, version = published(deploy)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                           ProvisionedConcurrentExecutions=1)
    status(lam, name, version, "READY")
    ids = {e["environment_id"] for e in provisioned_environments(deploy)}
    assert json.load(lam.invoke(FunctionName=name, Qualifier=version)["Payload"]) == (
        "provisioned-concurrency")
    assert records_of(deploy, name)[-1].cold is False
    mine = {records_of(deploy, name)[-1].environment_id}
    assert mine <= ids

    response = lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    wait_for(lambda: not mine & {e["environment_id"] for e in deploy.session.environments()},
             timeout=10, message="the provisioned environment to shut down")
    with pytest.raises(lam.exceptions.ProvisionedConcurrencyConfigNotFoundException):
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert json.load(lam.invoke(FunctionName=name, Qualifier=version)["Payload"]) == "on-demand"
    assert records_of(deploy, name)[-1].cold is True
    lam.delete_function(FunctionName=name)


def test_deleting_the_alias_deletes_its_configuration(deploy, lam):
    name, _ = published(deploy)
    before = unreserved(lam)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                           ProvisionedConcurrentExecutions=1)
    status(lam, name, "live", "READY")
    assert json.load(lam.invoke(FunctionName=name, Qualifier="live")["Payload"]) == (
        "provisioned-concurrency")
    used = {r.environment_id for r in records_of(deploy, name)}
    lam.delete_alias(FunctionName=name, Name="live")
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)[
        "ProvisionedConcurrencyConfigs"] == []
    assert unreserved(lam) == before
    wait_for(lambda: not used & {e["environment_id"] for e in deploy.session.environments()},
             timeout=10, message="the alias's environment to shut down")
    lam.delete_function(FunctionName=name)


def test_a_failing_init_fails_the_configuration(deploy, lam):
    name, _ = published(deploy, "raise RuntimeError('no database')\n")
    before = unreserved(lam)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                           ProvisionedConcurrentExecutions=1)
    config = status(lam, name, "live", "FAILED")
    assert config["StatusReason"] == "FUNCTION_ERROR_INIT_FAILURE"
    assert config["AllocatedProvisionedConcurrentExecutions"] == 0
    assert unreserved(lam) == before
    lam.delete_function(FunctionName=name)


def test_more_than_the_machine_can_run_fails_with_the_local_cap(tmp_path):
    endpoint = Endpoint(settings=Settings(max_environments=2)).start()
    try:
        kit = lambdakit.kit.Kit(endpoint)
        lam = kit.client("lambda")
        name = "provisioned-cap-" + uuid.uuid4().hex[:8]
        kit.deploy(name, HELD)
        version = lam.publish_version(FunctionName=name)["Version"]
        before = unreserved(lam)
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                               ProvisionedConcurrentExecutions=2)
        config = status(lam, name, version, "FAILED")
        assert "LAMBDAKIT_MAX_ENVIRONMENTS" in config["StatusReason"]
        assert "at most 2 worker processes" in config["StatusReason"]
        assert config["AvailableProvisionedConcurrentExecutions"] == 0
        assert unreserved(lam) == before  # a failed configuration holds no concurrency
        assert not [e for e in kit.environments()
                    if e["initialization_type"] == "provisioned-concurrency"]
        # one fits (a worker stays free for on-demand invocations)
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                               ProvisionedConcurrentExecutions=1)
        status(lam, name, version, "READY")
        assert json.load(lam.invoke(FunctionName=name, Qualifier=version)["Payload"]) == (
            "provisioned-concurrency")
        lam.delete_function(FunctionName=name)
        wait_for(lambda: not kit.environments(), timeout=10, message="no environments left")
    finally:
        endpoint.stop()
