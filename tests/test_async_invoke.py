"""Asynchronous invocation: the internal queue, retries, maximum event age, destinations, DLQ.

A dedicated endpoint runs AWS's delays 1,000 times faster (Settings(time_scale=0.001)): the
one-minute wait before a first retry lasts 60 ms and MaximumEventAgeInSeconds=60 lasts 60 ms.
Everything is observed the way a learner would: SQS messages, CloudWatch metrics, and the
kit's invocation records; no fixed sleeps.
"""
from __future__ import annotations

import json
import threading

import psutil
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import lambdakit
import lambdakit.kit
from conftest import wait_for
from kit_helpers import (ACCOUNT, REGION, function, function_statistic, queue, receive, role,
                         running_kit)
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

NO_RETRIES = Config(retries={"max_attempts": 0, "mode": "standard"})

SUCCEEDS = """
def handler(event, context):
    return {"doubled": event["n"] * 2}
"""
FAILS = """
def handler(event, context):
    raise ValueError("no good: " + str(event["n"]))
"""
SEND = {"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish"], "Resource": "*"}


@pytest.fixture(scope="module")
def kit():
    with running_kit() as kit:
        yield kit


def invoke_event(kit, name, event):
    answer = kit.client("lambda").invoke(FunctionName=name, InvocationType="Event",
                                         Payload=json.dumps(event))
    assert answer["StatusCode"] == 202
    return answer["ResponseMetadata"]["RequestId"]


def runs(kit, name):
    return [r for r in kit.records if r.function_name == name]


def test_success_sends_the_invocation_record_to_the_on_success_queue(kit):
    _, role_arn = role(kit, SEND)
    name = function(kit, SUCCEEDS, role_arn)
    url, arn = queue(kit)
    kit.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}})
    request_id = invoke_event(kit, name, {"n": 21})
    record = receive(kit, url)[0]["Json"]
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": request_id, "condition": "Success", "approximateInvokeCount": 1,
        "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:$LATEST"}
    assert record["requestPayload"] == {"n": 21}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"doubled": 42}
    assert [r.invocation_type for r in runs(kit, name)] == ["Event"]
    assert wait_for(lambda: function_statistic(kit, name, "AsyncEventsReceived") == 1)
    assert function_statistic(kit, name, "AsyncEventAge", "Maximum") is not None
    assert not function_statistic(kit, name, "AsyncEventsDropped")


def test_function_errors_are_retried_twice_then_go_to_on_failure_and_the_dlq(kit):
    _, role_arn = role(kit, SEND)
    dlq_url, dlq_arn = queue(kit)
    name = function(kit, FAILS, role_arn, DeadLetterConfig={"TargetArn": dlq_arn})
    lam = kit.client("lambda")
    assert lam.get_function_configuration(FunctionName=name)["DeadLetterConfig"] == {
        "TargetArn": dlq_arn}
    url, arn = queue(kit)
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": arn}})
    request_id = invoke_event(kit, name, {"n": 7})
    record = receive(kit, url)[0]["Json"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "no good: 7"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert len(runs(kit, name)) == 3  # the first attempt and two retries, no more
    # destinations "in addition to or instead of a dead-letter queue": both get it
    dead = receive(kit, dlq_url)[0]
    assert dead["Json"] == {"n": 7}
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes == {"RequestID": request_id, "ErrorCode": "200",
                          "ErrorMessage": "no good: 7"}
    assert wait_for(lambda: function_statistic(kit, name, "AsyncEventsDropped") == 1)


def test_zero_retry_attempts_means_one_invocation(kit):
    _, role_arn = role(kit, SEND)
    name = function(kit, FAILS, role_arn)
    url, arn = queue(kit)
    kit.client("lambda").put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}})
    invoke_event(kit, name, {"n": 1})
    record = receive(kit, url)[0]["Json"]
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert len(runs(kit, name)) == 1


def test_a_role_that_may_not_send_is_refused_at_put_and_counts_failed_deliveries(kit):
    role_name, role_arn = role(kit)
    name = function(kit, SUCCEEDS, role_arn)
    url, arn = queue(kit)
    lam, iam = kit.client("lambda"), kit.client("iam")
    with pytest.raises(ClientError) as refused:
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert refused.value.response["Error"]["Message"] == f"The destination ARN {arn} is invalid."
    # allowed when configured, then the permission is taken away: the delivery is refused
    iam.put_role_policy(RoleName=role_name, PolicyName="send", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [SEND]}))
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}})
    iam.delete_role_policy(RoleName=role_name, PolicyName="send")
    invoke_event(kit, name, {"n": 2})
    assert wait_for(lambda: function_statistic(kit, name, "DestinationDeliveryFailures") == 1)
    assert len(runs(kit, name)) == 1
    sqs = kit.client("sqs")
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)


def test_throttled_events_are_retried_until_the_event_is_too_old(kit):
    _, role_arn = role(kit, SEND)
    name = function(kit, SUCCEEDS, role_arn)
    url, arn = queue(kit)
    lam = kit.client("lambda")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=600,  # 0.6 s here
        DestinationConfig={"OnFailure": {"Destination": arn}})
    invoke_event(kit, name, {"n": 3})
    record = receive(kit, url)[0]["Json"]
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] > 1  # retried with backoff
    assert record["requestPayload"] == {"n": 3}
    assert runs(kit, name) == []
    assert (function_statistic(kit, name, "Throttles")
            == record["requestContext"]["approximateInvokeCount"])
    assert wait_for(lambda: function_statistic(kit, name, "AsyncEventsDropped") == 1)


def test_event_invoke_config_round_trip_and_validation(kit):
    _, role_arn = role(kit, SEND)
    name = function(kit, SUCCEEDS, role_arn)
    _, arn = queue(kit)
    lam = kit.client("lambda", config=NO_RETRIES)
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert lam.list_function_event_invoke_configs(FunctionName=name)[
        "FunctionEventInvokeConfigs"] == []
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as missing:
        lam.get_function_event_invoke_config(FunctionName=name)
    assert missing.value.response["Error"]["Message"] == (
        f"The function {fn_arn} doesn't have an EventInvokeConfig")
    put = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1,
                                               MaximumEventAgeInSeconds=3600)
    assert put["FunctionArn"] == fn_arn and put["MaximumRetryAttempts"] == 1
    assert put["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    # Update changes only what it names; Put replaces everything
    updated = lam.update_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}})
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 3600)
    assert updated["DestinationConfig"]["OnFailure"] == {"Destination": arn}
    got = lam.get_function_event_invoke_config(FunctionName=name)
    assert got["DestinationConfig"]["OnFailure"] == {"Destination": arn}
    replaced = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert "MaximumEventAgeInSeconds" not in replaced
    assert replaced["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}
    listed = lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
    assert [c["FunctionArn"] for c in listed] == [fn_arn]
    lam.delete_function_event_invoke_config(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName=name)

    def error(**kwargs):
        with pytest.raises(ClientError) as caught:
            lam.put_function_event_invoke_config(FunctionName=name, **kwargs)
        return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]

    assert error(MaximumRetryAttempts=3) == ("ValidationException", (
        "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy "
        "constraint: Member must have value less than or equal to 2"))
    assert error(MaximumEventAgeInSeconds=21601) == ("ValidationException", (
        "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to "
        "satisfy constraint: Member must have value less than or equal to 21600"))
    bucket = "arn:aws:s3:::some-bucket"
    assert error(DestinationConfig={"OnSuccess": {"Destination": bucket}}) == (
        "InvalidParameterValueException", f"The destination ARN {bucket} is invalid.")
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as unknown:
        lam.put_function_event_invoke_config(FunctionName="no-such-fn", MaximumRetryAttempts=1)
    assert unknown.value.response["Error"]["Message"] == (
        f"Function not found: arn:aws:lambda:{REGION}:{ACCOUNT}:function:no-such-fn")


def test_time_scale_setting():
    assert Settings().time_scale == 1.0
    assert Settings(time_scale=0.01).time_scale == 0.01
    with pytest.raises(ValueError):
        Settings(time_scale=0)


def test_stop_leaves_no_threads_or_workers_with_events_still_queued():
    endpoint = Endpoint(settings=Settings(time_scale=1.0)).start()
    kit = lambdakit.kit.Kit(endpoint)
    try:
        _, role_arn = role(kit)
        name = function(kit, FAILS, role_arn)
        invoke_event(kit, name, {"n": 0})
        queue_ = endpoint.engine.async_queue
        # the first attempt fails; the retry then waits a real minute in the queue
        wait_for(lambda: len(runs(kit, name)) == 1 and queue_.pending() == 1, timeout=20)
        pids = [env["pid"] for env in kit.environments()]
        threads = [queue_._thread, *getattr(queue_._workers, "_threads", ())]
    finally:
        endpoint.stop()
    assert not any(thread.is_alive() for thread in threads)
    assert queue_.pending() == 0
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert not [t for t in threading.enumerate() if t in threads]
