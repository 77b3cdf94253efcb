"""Concurrency limits on real invocations: GetAccountSettings, reserved concurrency, 429s.

Throttled calls are counted with the SDK's retries turned off: boto3 retries a 429 by
itself (as against AWS), which would hide it.
"""
from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import lambdakit.kit
from conftest import wait_for
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

# Waits until the test creates the file named in the event: invocations stay in flight
# for exactly as long as the test needs, with no sleeps in the test.
HELD = """
import os, time

def handler(event, context):
    while not os.path.exists(event["release"]):
        time.sleep(0.01)
    return "done"
"""
NO_RETRIES = Config(retries={"max_attempts": 0, "mode": "standard"}, read_timeout=120)
MINIMUM = ("Specified ReservedConcurrentExecutions for function decreases account's "
           "UnreservedConcurrentExecution below its minimum value of [100].")


def burst(lam, name, count, release):
    """Invoke ``name`` ``count`` times at once; return (status codes, 429 error responses)."""
    statuses, throttles, lock = [], [], threading.Lock()

    def call():
        try:
            status = lam.invoke(FunctionName=name, Payload=json.dumps({"release": str(release)}))
            with lock:
                statuses.append(status["StatusCode"])
        except ClientError as error:
            with lock:
                throttles.append(error.response)

    threads = [threading.Thread(target=call) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, statuses, throttles


def statistic(deploy, metric, statistic, dimensions):
    """One statistic of an AWS/Lambda metric over the last few minutes (None if no data)."""
    now = dt.datetime.now(dt.timezone.utc)
    points = deploy.client("cloudwatch").get_metric_statistics(
        Namespace="AWS/Lambda", MetricName=metric, Statistics=[statistic],
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1),
        Period=600)["Datapoints"]
    return sum(p[statistic] for p in points) if statistic == "Sum" else (
        max((p[statistic] for p in points), default=None))


def unreserved(lam):
    return lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]


def test_account_settings_follow_reservations_and_deletions(deploy, lam):
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert settings["AccountLimit"]["CodeSizeZipped"] == 52428800
    before = unreserved(lam)
    name = deploy.create(HELD)
    assert lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=50)[
        "ReservedConcurrentExecutions"] == 50
    assert unreserved(lam) == before - 50
    lam.delete_function_concurrency(FunctionName=name)
    assert unreserved(lam) == before
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=20)
    lam.delete_function(FunctionName=name)  # a deleted function's reservation returns
    assert unreserved(lam) == before


def test_the_unreserved_minimum_is_enforced_and_the_old_setting_kept(deploy, lam):
    name = deploy.create(HELD)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    with pytest.raises(ClientError) as info:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=unreserved(lam) + 5 - 99)
    error = info.value.response
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidParameterValueException", 400)
    assert error["Error"]["Message"] == MINIMUM
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 5
    lam.delete_function(FunctionName=name)


def test_reserved_concurrency_throttles_exactly_the_excess(deploy, tmp_path):
    lam = deploy.session.client("lambda", config=NO_RETRIES)
    name = deploy.create(HELD, Timeout=60)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    release = tmp_path / "release"
    threads, statuses, throttles = burst(lam, name, 5, release)
    wait_for(lambda: len(throttles) == 3, timeout=60, message="three throttles")
    release.touch()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200, 200]
    for error in throttles:
        assert error["Error"] == {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."}
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
        assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert error["Type"] == "User"
    # CloudWatch tells the same story, as Lambda publishes it
    by_name = {"FunctionName": name}
    assert statistic(deploy, "Throttles", "Sum", by_name) == 3
    assert statistic(deploy, "Invocations", "Sum", by_name) == 2
    assert statistic(deploy, "ConcurrentExecutions", "Maximum", by_name) == 2
    assert statistic(deploy, "Errors", "Sum", by_name) == 0
    lam.delete_function(FunctionName=name)


def test_metrics_of_a_version_carry_the_resource_dimension(deploy, lam):
    name = deploy.create("def handler(event, context):\n    raise ValueError('no')\n")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.invoke(FunctionName=name, Qualifier=version)
    lam.invoke(FunctionName=name)
    assert statistic(deploy, "Invocations", "Sum", {"FunctionName": name}) == 2
    assert statistic(deploy, "Errors", "Sum", {"FunctionName": name}) == 2
    assert statistic(deploy, "Invocations", "Sum",
                     {"FunctionName": name, "Resource": f"{name}:{version}"}) == 1
    assert statistic(deploy, "Duration", "Maximum", {"FunctionName": name}) > 0


def test_reserved_zero_throttles_everything_until_deleted(deploy, tmp_path):
    lam = deploy.session.client("lambda", config=NO_RETRIES)
    name = deploy.create("def handler(event, context):\n    return 'ran'\n")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as info:
        lam.invoke(FunctionName=name)
    assert info.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    # an event is accepted (Lambda queues it) and then throttled, in the background
    assert lam.invoke(FunctionName=name, InvocationType="Event")["StatusCode"] == 202
    lam.delete_function_concurrency(FunctionName=name)
    assert json.load(lam.invoke(FunctionName=name)["Payload"]) == "ran"
    lam.delete_function(FunctionName=name)


def test_the_account_limit_throttles_unreserved_functions(tmp_path):
    endpoint = Endpoint(settings=Settings(account_concurrency=3)).start()
    try:
        kit = lambdakit.kit.Kit(endpoint)
        lam = kit.client("lambda", config=NO_RETRIES)
        assert lam.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 3
        name = "account-limit-" + tmp_path.name[-8:]
        kit.deploy(name, HELD, Timeout=60)
        release = tmp_path / "release"
        threads, statuses, throttles = burst(lam, name, 5, release)
        wait_for(lambda: len(throttles) == 2, timeout=60, message="two throttles")
        release.touch()
        for thread in threads:
            thread.join(timeout=60)
        assert statuses == [200, 200, 200]
        assert {t["Reason"] for t in throttles} == {"ConcurrentInvocationLimitExceeded"}
        lam.delete_function(FunctionName=name)
    finally:
        endpoint.stop()


def test_metric_queries_match_dimensions_exactly_as_on_aws(deploy):
    cloudwatch = deploy.client("cloudwatch")
    namespace = "Shop/" + dt.datetime.now().strftime("%H%M%S%f")
    cloudwatch.put_metric_data(Namespace=namespace, MetricData=[
        {"MetricName": "Orders", "Value": 1},
        {"MetricName": "Orders", "Value": 10, "Dimensions": [{"Name": "Store", "Value": "a"}]},
        {"MetricName": "Orders", "Value": 100, "Dimensions": [
            {"Name": "Store", "Value": "a"}, {"Name": "Till", "Value": "1"}]}])
    now = dt.datetime.now(dt.timezone.utc)

    def total(dimensions):
        points = cloudwatch.get_metric_statistics(
            Namespace=namespace, MetricName="Orders", Statistics=["Sum"], Dimensions=dimensions,
            StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1),
            Period=600)["Datapoints"]
        return sum(p["Sum"] for p in points)

    assert total([]) == 1
    assert total([{"Name": "Store", "Value": "a"}]) == 10
    assert total([{"Name": "Till", "Value": "1"}, {"Name": "Store", "Value": "a"}]) == 100
    # ListMetrics still filters by containment, as on AWS
    listed = cloudwatch.list_metrics(Namespace=namespace, Dimensions=[{"Name": "Store"}])["Metrics"]
    assert len(listed) == 2
