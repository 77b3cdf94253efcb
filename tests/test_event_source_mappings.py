"""The event source mapping API as boto3 sees it: shapes, AWS's checks and errors, states.

The kit answers Create/Get/List/Update/DeleteEventSourceMapping itself (moto never sees
them). Each expected message is AWS's own wording (see lambdakit.event_source_mappings).
What the SQS poller then does with a mapping is in test_sqs_poller.py.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import wait_for
import kit_helpers
from kit_helpers import (ACCOUNT, REGION, function_arn, mapping_deleted, mapping_state,
                         running_kit, unique)

NO_RETRIES = Config(retries={"max_attempts": 0, "mode": "standard"})
POLL = {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                                      "sqs:GetQueueAttributes"], "Resource": "*"}
HANDLER = "def handler(event, context):\n    return None\n"
NOT_FOUND = "The resource you requested does not exist."


@pytest.fixture(scope="module")
def kit():
    with running_kit() as kit:
        yield kit


@pytest.fixture(scope="module")
def lam(kit):
    return kit.client("lambda", config=NO_RETRIES)


def role(kit, *statements):
    """The ARN of a new execution role with ``statements`` (and logs)."""
    return kit_helpers.role(kit, *statements, prefix="esm-role")[1]


def function(kit, role_arn, **config):
    return kit_helpers.function(kit, HANDLER, role_arn, prefix="esm-fn", **config)


def queue(kit, fifo=False, **attributes):
    """The ARN of a new queue."""
    return kit_helpers.queue(kit, prefix="esm-q", fifo=fifo, **attributes)[1]


@pytest.fixture(scope="module")
def fn(kit):
    """A function whose role may poll queues."""
    return function(kit, role(kit, POLL))


def error(call, **kwargs):
    with pytest.raises(ClientError) as caught:
        call(**kwargs)
    response = caught.value.response
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"])


def test_create_get_list_delete_as_boto3_sees_them(kit, lam, fn):
    source = queue(kit)
    created = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=fn)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    del created["ResponseMetadata"]
    uuid_ = created["UUID"]
    assert isinstance(created.pop("LastModified"), dt.datetime)
    assert created == {
        "UUID": uuid_, "BatchSize": 10, "MaximumBatchingWindowInSeconds": 0,
        "EventSourceArn": source, "FunctionArn": function_arn(fn), "State": "Creating",
        "StateTransitionReason": "USER_INITIATED", "FunctionResponseTypes": [],
        "EventSourceMappingArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:event-source-mapping:"
                                 f"{uuid_}"}
    mapping_state(lam, uuid_, "Enabled")
    got = lam.get_event_source_mapping(UUID=uuid_)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert {k: v for k, v in got.items() if k not in ("ResponseMetadata", "LastModified")} == {
        **created, "State": "Enabled"}
    for query in ({"EventSourceArn": source}, {"FunctionName": fn}, {"FunctionName": function_arn(fn)},
                  {"EventSourceArn": source, "FunctionName": fn}):
        listed = lam.list_event_source_mappings(**query)["EventSourceMappings"]
        assert [m["UUID"] for m in listed] == [uuid_], query
    assert lam.list_event_source_mappings(EventSourceArn=queue(kit))["EventSourceMappings"] == []
    deleted = lam.delete_event_source_mapping(UUID=uuid_)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert deleted["State"] == "Deleting" and deleted["UUID"] == uuid_
    mapping_deleted(lam, uuid_)
    assert error(lam.get_event_source_mapping, UUID=uuid_) == (
        "ResourceNotFoundException", 404, NOT_FOUND)
    assert lam.list_event_source_mappings(EventSourceArn=source)["EventSourceMappings"] == []


def test_unknown_uuid_is_not_found_for_get_update_delete(lam):
    missing = str(uuid.uuid4())
    for call in (lam.get_event_source_mapping, lam.delete_event_source_mapping):
        assert error(call, UUID=missing) == ("ResourceNotFoundException", 404, NOT_FOUND)
    assert error(lam.update_event_source_mapping, UUID=missing, BatchSize=5) == (
        "ResourceNotFoundException", 404, NOT_FOUND)


def test_list_pages_with_marker_and_max_items(kit, lam, fn):
    source = queue(kit)
    other = function(kit, role(kit, POLL))
    uuids = [lam.create_event_source_mapping(EventSourceArn=source, FunctionName=name,
                                             Enabled=False)["UUID"] for name in (fn, other)]
    first = lam.list_event_source_mappings(EventSourceArn=source, MaxItems=1)
    assert [m["UUID"] for m in first["EventSourceMappings"]] == uuids[:1]
    second = lam.list_event_source_mappings(EventSourceArn=source, MaxItems=1,
                                            Marker=first["NextMarker"])
    assert [m["UUID"] for m in second["EventSourceMappings"]] == uuids[1:]
    assert "NextMarker" not in second
    paginated = [m["UUID"] for page in lam.get_paginator("list_event_source_mappings").paginate(
        EventSourceArn=source, PaginationConfig={"PageSize": 1}) for m in page[
        "EventSourceMappings"]]
    assert paginated == uuids
    for uuid_ in uuids:
        lam.delete_event_source_mapping(UUID=uuid_)


def test_a_version_or_alias_is_kept_in_function_arn_and_duplicates_conflict(kit, lam, fn):
    source = queue(kit)
    version = kit.client("lambda").publish_version(FunctionName=fn)["Version"]
    kit.client("lambda").create_alias(FunctionName=fn, Name="live", FunctionVersion=version)
    on_alias = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=f"{fn}:live",
                                               Enabled=False)
    assert on_alias["FunctionArn"] == function_arn(fn, "live")
    on_version = lam.create_event_source_mapping(EventSourceArn=source,
                                                 FunctionName=function_arn(fn, version), Enabled=False)
    assert on_version["FunctionArn"] == function_arn(fn, version)
    listed = lam.list_event_source_mappings(FunctionName=function_arn(fn, "live"))
    assert [m["UUID"] for m in listed["EventSourceMappings"]] == [on_alias["UUID"]]
    # the same source and function ARN again: AWS's conflict, naming the existing mapping
    assert error(lam.create_event_source_mapping, EventSourceArn=source,
                 FunctionName=function_arn(fn, "live")) == (
        "ResourceConflictException", 409,
        f'An event source mapping with SQS arn (" {source} ") and function (" {fn} ") already '
        f"exists. Please update or delete the existing mapping with UUID {on_alias['UUID']}")
    assert error(lam.create_event_source_mapping, EventSourceArn=source,
                 FunctionName=f"{fn}:nope") == (
        "InvalidParameterValueException", 400, "Function does not exist")
    for item in (on_alias, on_version):
        lam.delete_event_source_mapping(UUID=item["UUID"])


def test_create_refuses_what_aws_refuses(kit, lam, fn):
    source, fifo = queue(kit), queue(kit, fifo=True)

    def create(**kwargs):
        kwargs.setdefault("EventSourceArn", source)
        kwargs.setdefault("FunctionName", fn)
        return error(lam.create_event_source_mapping, **kwargs)

    invalid = "InvalidParameterValueException"
    assert create(FunctionName="no-such-function") == (invalid, 400, "Function does not exist")
    missing_queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{unique('nowhere')}"
    assert create(EventSourceArn=missing_queue) == (invalid, 400, (
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist."))
    assert create(EventSourceArn="arn:aws:s3:::some-bucket") == (
        invalid, 400, "Unsupported source arn : arn:aws:s3:::some-bucket")
    assert create(BatchSize=10001) == ("ValidationException", 400, (
        "1 validation error detected: Value '10001' at 'batchSize' failed to satisfy "
        "constraint: Member must have value less than or equal to 10000"))
    assert create(BatchSize=11) == (invalid, 400, (
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
        "greater than 10"))
    assert create(MaximumBatchingWindowInSeconds=301) == ("ValidationException", 400, (
        "1 validation error detected: Value '301' at 'maximumBatchingWindowInSeconds' failed "
        "to satisfy constraint: Member must have value less than or equal to 300"))
    assert create(EventSourceArn=fifo, BatchSize=11, MaximumBatchingWindowInSeconds=1) == (
        invalid, 400, "Maximum batch size must be between 1 and 10 inclusive")
    assert create(EventSourceArn=fifo, MaximumBatchingWindowInSeconds=1) == (
        invalid, 400,
        "Unsupported 'maximumBatchingWindowInSeconds' parameter for given event source mapping "
        "type.")
    assert create(StartingPosition="LATEST") == (
        invalid, 400, "StartingPosition is not valid for SQS event sources.")
    for member, value in (("BisectBatchOnFunctionError", True), ("MaximumRetryAttempts", 3),
                          ("MaximumRecordAgeInSeconds", 120), ("ParallelizationFactor", 2),
                          ("TumblingWindowInSeconds", 60),
                          ("DestinationConfig", {"OnFailure": {"Destination": source}})):
        name = member[0].lower() + member[1:]
        assert create(**{member: value}) == (invalid, 400, (
            f"Unsupported '{name}' parameter for given event source mapping type.")), member
    assert create(FunctionResponseTypes=["Everything"]) == ("ValidationException", 400, (
        "1 validation error detected: Value '[Everything]' at 'functionResponseTypes' failed to "
        "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value "
        "set: [ReportBatchItemFailures]]"))
    assert create(ScalingConfig={"MaximumConcurrency": 1001}) == ("ValidationException", 400, (
        "1 validation error detected: Value '1001' at 'scalingConfig.maximumConcurrency' failed "
        "to satisfy constraint: Member must have value less than or equal to 1000"))
    # patterns AWS refuses (recorded against AWS by LocalStack's test suite)
    for pattern in ("null", "simple string", json.dumps({"eventSource": "aws:sqs"}),
                    json.dumps({"eventSource": []})):
        assert create(FilterCriteria={"Filters": [{"Pattern": pattern}]}) == (
            invalid, 400, "Invalid filter pattern definition."), pattern
    six = [{"Pattern": json.dumps({"body": {"n": [i]}})} for i in range(6)]
    code, status, _ = create(FilterCriteria={"Filters": six})
    assert (code, status) == (invalid, 400)
    # streams: StartingPosition is required and ScalingConfig is SQS-only
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{unique('s')}"
    assert create(EventSourceArn=stream) == (invalid, 400, (
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null."))
    assert create(EventSourceArn=stream, StartingPosition="LATEST",
                  ScalingConfig={"MaximumConcurrency": 5}) == (
        invalid, 400, "Unsupported 'scalingConfig' parameter for given event source mapping type.")
    assert create(EventSourceArn=stream, StartingPosition="LATEST",
                  MaximumRecordAgeInSeconds=30) == (invalid, 400, (
        "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
        "(inclusive)"))
    assert create(EventSourceArn=stream, StartingPosition="LATEST") == (
        invalid, 400, f"Stream not found: {stream}")
    assert create(EventSourceArn=stream, StartingPosition="OLDEST") == (
        "ValidationException", 400,
        "1 validation error detected: Value 'OLDEST' at 'startingPosition' failed to satisfy "
        "constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
    assert create(EventSourceArn=stream, StartingPosition="LATEST",
                  StartingPositionTimestamp=dt.datetime(2026, 1, 1)) == (
        invalid, 400, "Timestamp only valid with StartingPosition AT_TIMESTAMP")
    assert create(EventSourceArn=stream, StartingPosition="LATEST", DestinationConfig={
        "OnSuccess": {"Destination": source}}) == (
        invalid, 400,
        "Unsupported 'destinationConfig' parameter for given event source mapping type.")
    ddb = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/t/stream/2026-01-01T00:00:00.000"
    assert create(EventSourceArn=ddb, StartingPosition="AT_TIMESTAMP",
                  StartingPositionTimestamp=dt.datetime(2026, 1, 1)) == (
        invalid, 400, f"Unsupported starting position for arn type: {ddb}")
    assert lam.list_event_source_mappings(FunctionName=fn)["EventSourceMappings"] == []


def test_the_queue_must_stay_invisible_longer_than_the_function_runs(kit, lam):
    name = function(kit, role(kit, POLL), Timeout=5)
    source = queue(kit, VisibilityTimeout=2)
    assert error(lam.create_event_source_mapping, EventSourceArn=source, FunctionName=name) == (
        "InvalidParameterValueException", 400,
        "Queue visibility timeout: 2 seconds is less than Function timeout: 5 seconds")
    created = lam.create_event_source_mapping(EventSourceArn=queue(kit, VisibilityTimeout=5),
                                              FunctionName=name, Enabled=False)
    lam.delete_event_source_mapping(UUID=created["UUID"])


def test_the_execution_role_must_allow_polling(kit, lam):
    source = queue(kit)
    nothing = function(kit, role(kit))
    assert error(lam.create_event_source_mapping, EventSourceArn=source, FunctionName=nothing) == (
        "InvalidParameterValueException", 400,
        "The provided execution role does not have permissions to call ReceiveMessage on SQS")
    receive_only = function(kit, role(kit, {"Effect": "Allow", "Action": "sqs:ReceiveMessage",
                                            "Resource": source}))
    assert error(lam.create_event_source_mapping, EventSourceArn=source,
                 FunctionName=receive_only) == (
        "InvalidParameterValueException", 400,
        "The provided execution role does not have permissions to call DeleteMessage on SQS")
    denied = function(kit, role(kit, POLL, {"Effect": "Deny", "Action": "sqs:GetQueueAttributes",
                                            "Resource": source}))
    assert error(lam.create_event_source_mapping, EventSourceArn=source, FunctionName=denied) == (
        "InvalidParameterValueException", 400,
        "The provided execution role does not have permissions to call GetQueueAttributes on SQS")
    # the queue's own policy may grant the role what its identity policies do not
    granted_by_queue = role(kit)
    sqs = kit.client("sqs")
    url = sqs.get_queue_url(QueueName=source.split(":")[-1])["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": granted_by_queue},
            "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            "Resource": source}]})})
    allowed = function(kit, granted_by_queue)
    created = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=allowed,
                                              Enabled=False)
    lam.delete_event_source_mapping(UUID=created["UUID"])


def test_a_stream_needs_the_roles_read_permissions(kit, lam):
    name = unique("esm-stream")
    kit.client("kinesis").create_stream(StreamName=name, ShardCount=1)
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"
    reader = function(kit, role(kit, POLL))  # may read queues, not streams
    assert error(lam.create_event_source_mapping, EventSourceArn=stream, FunctionName=reader,
                 StartingPosition="LATEST") == (
        "InvalidParameterValueException", 400,
        f"Cannot access stream {stream}. Please ensure the role can perform the GetRecords, "
        "GetShardIterator, DescribeStream, and ListShards Actions on your stream in IAM.")


def poller_threads(uuid_):
    return [t for t in threading.enumerate()
            if t.name.startswith((f"lambdakit-poller-{uuid_[:8]}", f"lambdakit-sqs-{uuid_[:8]}"))
            and t.is_alive()]


def test_states_follow_enable_disable_and_updates(kit, lam, fn):
    source = queue(kit)
    created = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=fn,
                                              Enabled=False)
    uuid_ = created["UUID"]
    assert created["State"] == "Creating"
    mapping_state(lam, uuid_, "Disabled")
    assert kit.endpoint.engine.event_sources.poller(uuid_) is None
    assert poller_threads(uuid_) == []
    enabling = lam.update_event_source_mapping(UUID=uuid_, Enabled=True)
    assert enabling["State"] == "Enabling" and enabling["ResponseMetadata"]["HTTPStatusCode"] == 202
    mapping_state(lam, uuid_, "Enabled")
    assert wait_for(lambda: poller_threads(uuid_))
    updating = lam.update_event_source_mapping(
        UUID=uuid_, BatchSize=50, MaximumBatchingWindowInSeconds=2,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        ScalingConfig={"MaximumConcurrency": 3},
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["order"]}})}]})
    assert updating["State"] == "Updating"
    assert (updating["BatchSize"], updating["MaximumBatchingWindowInSeconds"]) == (50, 2)
    assert updating["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert updating["ScalingConfig"] == {"MaximumConcurrency": 3}
    assert updating["LastModified"] >= created["LastModified"]
    mapping_state(lam, uuid_, "Enabled")
    # settings not named stay; an empty FilterCriteria or ScalingConfig removes it
    cleared = lam.update_event_source_mapping(UUID=uuid_, FilterCriteria={}, ScalingConfig={})
    assert "FilterCriteria" not in cleared and "ScalingConfig" not in cleared
    assert cleared["BatchSize"] == 50
    assert error(lam.update_event_source_mapping, UUID=uuid_, MaximumBatchingWindowInSeconds=0) == (
        "InvalidParameterValueException", 400,
        "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater "
        "than 10")
    disabling = lam.update_event_source_mapping(UUID=uuid_, Enabled=False)
    assert disabling["State"] == "Disabling"
    mapping_state(lam, uuid_, "Disabled")
    assert wait_for(lambda: poller_threads(uuid_) == [])
    assert lam.get_event_source_mapping(UUID=uuid_)["BatchSize"] == 50
    lam.delete_event_source_mapping(UUID=uuid_)
    mapping_deleted(lam, uuid_)


def test_update_can_point_the_mapping_at_another_function(kit, lam, fn):
    source = queue(kit)
    created = lam.create_event_source_mapping(EventSourceArn=source, FunctionName=fn,
                                              Enabled=False)
    other = function(kit, role(kit, POLL))
    moved = lam.update_event_source_mapping(UUID=created["UUID"], FunctionName=other)
    assert moved["FunctionArn"] == function_arn(other)
    # the new function's role must be able to poll too
    weak = function(kit, role(kit))
    assert error(lam.update_event_source_mapping, UUID=created["UUID"], FunctionName=weak) == (
        "InvalidParameterValueException", 400,
        "The provided execution role does not have permissions to call ReceiveMessage on SQS")
    assert lam.get_event_source_mapping(UUID=created["UUID"])["FunctionArn"] == function_arn(other)
    lam.delete_event_source_mapping(UUID=created["UUID"])
    mapping_deleted(lam, created["UUID"])


def test_malformed_json_body_is_refused(kit):
    import urllib.request

    request = urllib.request.Request(
        f"{kit.endpoint.url}/2015-03-31/event-source-mappings/", data=b"{not json",
        method="POST", headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/lambda/"
                             "aws4_request, SignedHeaders=host, Signature=x"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request)
    assert caught.value.code == 400
    assert caught.value.headers["x-amzn-ErrorType"] == "InvalidRequestContentException"
