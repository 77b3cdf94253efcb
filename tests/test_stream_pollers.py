"""Kinesis and DynamoDB Streams event source mappings: order, retries, bisect, partial batch
responses, record age, starting positions, filters, OnFailure records, IteratorAge, tumbling
windows, resharding.

A dedicated endpoint runs AWS's delays 1,000 times faster (Settings(time_scale=0.001)): a
record is "60 seconds old" 60 ms after it arrived. Everything goes through boto3 as a learner
would: mappings are made with CreateEventSourceMapping, what the function received is read
back from its CloudWatch Logs (each invocation prints one ``BATCH`` line), failures from the
OnFailure SQS queue, metrics from CloudWatch. No fixed sleeps: every wait polls a condition.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import math
import threading

import pytest

import lambdakit
import lambdakit.kit
from lambdakit import events
from conftest import wait_for
import kit_helpers
from kit_helpers import (ACCOUNT, REGION, mapping_deleted, mapping_state, queue, receive, role,
                         running_kit, unique)
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

STREAM_READ = {"Effect": "Allow", "Resource": "*", "Action": [
    "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards",
    "kinesis:GetShardIterator", "kinesis:GetRecords", "dynamodb:DescribeStream",
    "dynamodb:GetShardIterator", "dynamodb:GetRecords", "dynamodb:ListStreams"]}
SEND = {"Effect": "Allow", "Action": ["sqs:SendMessage", "sns:Publish"], "Resource": "*"}

# Every invocation prints one JSON line with what it received; the test reads them back from
# the function's CloudWatch log group. FAIL_ON lists data values that make the batch fail.
RECORDER = """
import base64, json, os, time

FAIL_ON = set(json.loads(os.environ.get("FAIL_ON", "[]")))
PARTIAL = os.environ.get("PARTIAL") == "1"
SLEEP = float(os.environ.get("SLEEP", "0"))

def value(record):
    if "kinesis" in record:
        return json.loads(base64.b64decode(record["kinesis"]["data"]))["v"]
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    return image.get("v", {}).get("S")

def handler(event, context):
    values = [value(r) for r in event["Records"]]
    print("BATCH " + json.dumps({"values": values, "records": event["Records"]}))
    time.sleep(SLEEP)
    bad = [r for r in event["Records"] if value(r) in FAIL_ON]
    if bad and PARTIAL:
        seq = lambda r: (r.get("kinesis") or r.get("dynamodb"))["SequenceNumber" if "dynamodb" in r else "sequenceNumber"]
        return {"batchItemFailures": [{"itemIdentifier": seq(r)} for r in bad]}
    if bad:
        raise ValueError("poison: " + ", ".join(map(str, [value(r) for r in bad])))
    return {"ok": len(values)}
"""


@pytest.fixture(scope="module")
def kit():
    with running_kit() as kit:
        yield kit


@pytest.fixture(scope="module")
def role_arn(kit):
    return role(kit, STREAM_READ, SEND, prefix="stream-role")[1]


def function(kit, role_arn, fail_on=(), partial=False, sleep=0.0, **config):
    """A RECORDER function failing on the values ``fail_on`` (per item when ``partial``)."""
    env = {"FAIL_ON": json.dumps(list(fail_on)), "PARTIAL": "1" if partial else "0",
           "SLEEP": str(sleep)}
    # a timed-out batch is retried and so delivered twice: a busy machine must not time out
    config.setdefault("Timeout", 30)
    return kit_helpers.function(kit, RECORDER, role_arn, prefix="stream-fn",
                                Environment={"Variables": env}, **config)


def stream(kit, shards=1):
    kinesis, name = kit.client("kinesis"), unique("stream")
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def put(kit, arn, values, key=None):
    """Put one record per value (data {"v": value}); return {value: (shard, sequence)}."""
    kinesis, out = kit.client("kinesis"), {}
    for v in values:
        answer = kinesis.put_record(StreamARN=arn, Data=json.dumps({"v": v}).encode(),
                                    PartitionKey=key if key is not None else str(v))
        out[v] = (answer["ShardId"], answer["SequenceNumber"])
    return out


def batches(kit, name):
    """The batches the function received, in the order it ran them (from its log)."""
    logs = kit.client("logs")
    try:
        streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    events = [e for s in streams for e in logs.get_log_events(
        logGroupName=f"/aws/lambda/{name}", logStreamName=s["logStreamName"],
        startFromHead=True)["events"] if e["message"].startswith("BATCH ")]
    events.sort(key=lambda e: (e["timestamp"], e.get("ingestionTime", 0)))
    return [json.loads(e["message"][len("BATCH "):]) for e in events]


def values(kit, name):
    return [v for b in batches(kit, name) for v in b["values"]]


def create_mapping(kit, name, source_arn, **config):
    """CreateEventSourceMapping as a learner calls it; returns the mapping once Enabled."""
    lam = kit.client("lambda")
    config.setdefault("StartingPosition", "TRIM_HORIZON")
    uuid_ = lam.create_event_source_mapping(FunctionName=name, EventSourceArn=source_arn,
                                            **config)["UUID"]
    return mapping_state(lam, uuid_, "Enabled", message="the mapping Enabled")


def delete_mapping(kit, uuid_):
    lam = kit.client("lambda")
    lam.delete_event_source_mapping(UUID=uuid_)
    mapping_deleted(lam, uuid_)


@pytest.fixture
def mapped(kit):
    made = []

    def make(name, source_arn, **config):
        mapping = create_mapping(kit, name, source_arn, **config)
        made.append(mapping["UUID"])
        return mapping

    yield make
    for uuid_ in made:
        delete_mapping(kit, uuid_)


def poller_threads():
    return [t for t in threading.enumerate() if t.name.startswith("lambdakit-stream")]


# --------------------------------------------------------------------------- Kinesis


def test_every_record_is_processed_once_in_order_per_shard(kit, role_arn, mapped):
    name = function(kit, role_arn)
    arn = stream(kit, shards=3)
    written = put(kit, arn, list(range(30)))
    mapped(name, arn, BatchSize=4)
    wait_for(lambda: len(values(kit, name)) >= 30, timeout=30, message="30 records processed")
    got = batches(kit, name)
    assert sorted(v for b in got for v in b["values"]) == list(range(30))  # each exactly once
    shards = {shard for shard, _ in written.values()}
    assert len(shards) > 1
    for shard in shards:
        seen = [int(r["kinesis"]["sequenceNumber"]) for b in got for r in b["records"]
                if r["eventID"].startswith(shard + ":")]
        assert seen == sorted(seen)  # each shard in order
    for b in got:
        assert 1 <= len(b["records"]) <= 4
        assert len({r["eventID"].split(":")[0] for r in b["records"]}) == 1  # one shard a batch


def test_kinesis_event_shape(kit, role_arn, mapped):
    name = function(kit, role_arn)
    arn = stream(kit)
    written = put(kit, arn, ["hello"], key="pk-1")
    mapped(name, arn)
    wait_for(lambda: values(kit, name) == ["hello"], message="the record")
    record = batches(kit, name)[0]["records"][0]
    shard, sequence = written["hello"]
    assert record["eventSource"] == "aws:kinesis" and record["eventName"] == "aws:kinesis:record"
    assert record["eventVersion"] == "1.0" and record["awsRegion"] == REGION
    assert record["eventID"] == f"{shard}:{sequence}"
    assert record["eventSourceARN"] == arn and record["invokeIdentityArn"] == role_arn
    body = record["kinesis"]
    assert body["kinesisSchemaVersion"] == "1.0" and body["partitionKey"] == "pk-1"
    assert body["sequenceNumber"] == sequence
    assert json.loads(base64.b64decode(body["data"])) == {"v": "hello"}
    arrived = body["approximateArrivalTimestamp"]
    assert isinstance(arrived, float) and abs(arrived - dt.datetime.now().timestamp()) < 120
    sample = events.kinesis()["Records"][0]
    assert set(record) == set(sample) and set(body) == set(sample["kinesis"])


def test_a_failing_batch_blocks_its_shard_until_retries_run_out_then_on_failure(kit, role_arn,
                                                                                mapped):
    name = function(kit, role_arn, fail_on=[2])
    arn = stream(kit)
    url, q_arn = queue(kit)
    written = put(kit, arn, [1, 2, 3, 4])
    mapped(name, arn, BatchSize=2, MaximumRetryAttempts=2,
           DestinationConfig={"OnFailure": {"Destination": q_arn}})
    record = receive(kit, url)[0]["Json"]
    wait_for(lambda: values(kit, name)[-2:] == [3, 4], message="the shard moved on")
    got = [b["values"] for b in batches(kit, name)]
    assert got == [[1, 2], [1, 2], [1, 2], [3, 4]]  # blocked: 3 and 4 waited for 1+2 retries
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    assert record["requestContext"]["functionArn"] == function_arn
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    info = record["KinesisBatchInfo"]
    shard = written[1][0]
    assert info["shardId"] == shard and info["streamArn"] == arn and info["batchSize"] == 2
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (written[1][1], written[2][1])
    for key in ("approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord"):
        assert dt.datetime.strptime(info[key], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert "requestPayload" not in record  # stream records carry pointers, not the records


def test_on_failure_to_an_sns_topic(kit, role_arn, mapped):
    name = function(kit, role_arn, fail_on=["bad"])
    arn = stream(kit)
    url, q_arn = queue(kit)
    sns = kit.client("sns")
    topic = sns.create_topic(Name=unique("stream-topic"))["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=q_arn)
    written = put(kit, arn, ["bad"])
    mapped(name, arn, MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": topic}})
    envelope = receive(kit, url)[0]["Json"]
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    record = json.loads(envelope["Message"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == written["bad"][1]


def test_a_destination_the_role_may_not_use_loses_the_record_but_the_shard_moves_on(kit, mapped):
    _, arn_role = role(kit, STREAM_READ, prefix="stream-role")  # no sqs:SendMessage
    name = function(kit, arn_role, fail_on=[1])
    arn = stream(kit)
    url, q_arn = queue(kit)
    put(kit, arn, [1, 2], key="k")
    mapped(name, arn, BatchSize=1, MaximumRetryAttempts=0,
           DestinationConfig={"OnFailure": {"Destination": q_arn}})
    wait_for(lambda: values(kit, name) == [1, 2], message="the next record after the failed one")
    assert kit.client("sqs").receive_message(QueueUrl=url).get("Messages", []) == []


def test_bisect_isolates_a_poison_record_without_using_retries(kit, role_arn, mapped):
    name = function(kit, role_arn, fail_on=[5])
    arn = stream(kit)
    url, q_arn = queue(kit)
    written = put(kit, arn, list(range(8)), key="one-key")
    mapped(name, arn, BatchSize=8, MaximumRetryAttempts=0, BisectBatchOnFunctionError=True,
           DestinationConfig={"OnFailure": {"Destination": q_arn}})
    record = receive(kit, url)[0]["Json"]
    wait_for(lambda: 7 in values(kit, name), message="the records after the poison one")
    got = [b["values"] for b in batches(kit, name)]
    # 8 fail -> [0..3] ok, [4..7] fail -> [4,5] fail -> [4] ok, [5] fails, no retries: skipped
    assert got == [list(range(8)), [0, 1, 2, 3], [4, 5, 6, 7], [4, 5], [4], [5], [6, 7]]
    info = record["KinesisBatchInfo"]
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == written[5][1]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 4  # 8, 4, 2 and 1 records


def test_partial_batch_response_retries_from_the_lowest_failed_record(kit, role_arn, mapped):
    name = function(kit, role_arn, fail_on=[3, 5], partial=True)
    arn = stream(kit)
    url, q_arn = queue(kit)
    written = put(kit, arn, list(range(1, 7)), key="k")
    mapped(name, arn, BatchSize=6, MaximumRetryAttempts=1,
           FunctionResponseTypes=["ReportBatchItemFailures"],
           DestinationConfig={"OnFailure": {"Destination": q_arn}})
    record = receive(kit, url)[0]["Json"]
    got = [b["values"] for b in batches(kit, name)]
    assert got == [[1, 2, 3, 4, 5, 6], [3, 4, 5, 6]]  # checkpoint after 2, one retry from 3
    info = record["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        written[3][1], written[6][1], 4)
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}


def test_partial_batch_response_is_ignored_unless_enabled(kit, role_arn, mapped):
    name = function(kit, role_arn, fail_on=[2], partial=True)
    arn = stream(kit)
    put(kit, arn, [1, 2, 3], key="k")
    mapped(name, arn, BatchSize=3)
    wait_for(lambda: values(kit, name) == [1, 2, 3], message="one batch")
    put(kit, arn, [4], key="k")
    wait_for(lambda: values(kit, name) == [1, 2, 3, 4], message="the next record, no retry")


def test_records_older_than_maximum_record_age_are_skipped(kit, role_arn, mapped):
    name = function(kit, role_arn, fail_on=["bad"])
    arn = stream(kit)
    url, q_arn = queue(kit)
    # 300 s on AWS's clock is 0.3 s here: retried without limit until the record is too old
    uuid_ = mapped(name, arn, StartingPosition="LATEST", MaximumRetryAttempts=-1,
                   MaximumRecordAgeInSeconds=300,
                   DestinationConfig={"OnFailure": {"Destination": q_arn}})["UUID"]
    written = put(kit, arn, ["bad"], key="k")
    record = receive(kit, url)[0]["Json"]
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == len(batches(kit, name))
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == written["bad"][1]
    lam = kit.client("lambda")  # the shard moved on: a record that is not too old gets through
    lam.update_event_source_mapping(UUID=uuid_, MaximumRecordAgeInSeconds=-1)
    mapping_state(lam, uuid_, "Enabled", message="the update applied")
    put(kit, arn, ["good"], key="k")
    wait_for(lambda: values(kit, name)[-1:] == ["good"], message="the next record")
    assert values(kit, name).count("good") == 1


def test_throttles_do_not_use_retries_and_end_with_record_age(kit, role_arn, mapped):
    name = function(kit, role_arn)
    kit.client("lambda").put_function_concurrency(FunctionName=name,
                                                  ReservedConcurrentExecutions=0)
    arn = stream(kit)
    url, q_arn = queue(kit)
    # 10,000 s on AWS's clock is 10 s here (room for throttled attempts on a busy machine):
    # they back off and never count as retries
    mapped(name, arn, StartingPosition="LATEST", MaximumRetryAttempts=0,
           MaximumRecordAgeInSeconds=10000, DestinationConfig={"OnFailure": {"Destination": q_arn}})
    put(kit, arn, ["x"])
    record = receive(kit, url)[0]["Json"]
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert record["responseContext"]["statusCode"] == 429
    assert values(kit, name) == []


def test_latest_skips_old_records_and_trim_horizon_reads_them(kit, role_arn, mapped):
    old_fn, new_fn = function(kit, role_arn), function(kit, role_arn)
    arn = stream(kit)
    put(kit, arn, ["old-1", "old-2"])
    mapped(old_fn, arn, StartingPosition="TRIM_HORIZON")
    mapped(new_fn, arn, StartingPosition="LATEST")  # Enabled: it reads from now on
    put(kit, arn, ["new"])
    wait_for(lambda: sorted(values(kit, old_fn)) == ["new", "old-1", "old-2"], message="all three")
    wait_for(lambda: values(kit, new_fn) == ["new"], message="the new record only")


def test_at_timestamp_starts_from_that_time(kit, role_arn, mapped):
    name = function(kit, role_arn)
    arn = stream(kit)
    put(kit, arn, ["before"])
    # the SDK sends the timestamp in whole seconds: start at the next second
    cut = dt.datetime.fromtimestamp(math.floor(_arrival(kit, arn)) + 1, dt.timezone.utc)
    wait_for(lambda: dt.datetime.now(dt.timezone.utc) > cut, message="the next second")
    put(kit, arn, ["after"])
    mapped(name, arn, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=cut)
    wait_for(lambda: values(kit, name) == ["after"], message="the record after the timestamp")


def _arrival(kit, arn):
    kinesis = kit.client("kinesis")
    shard = kinesis.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard,
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(StreamARN=arn, ShardIterator=it)["Records"]
    return records[-1]["ApproximateArrivalTimestamp"].timestamp()


def test_filters_on_kinesis_data_skip_records_that_match_no_pattern(kit, role_arn, mapped):
    name = function(kit, role_arn)
    arn = stream(kit)
    kinesis = kit.client("kinesis")
    for v, kind in [(1, "buy"), (2, "sell"), (3, "buy")]:
        kinesis.put_record(StreamARN=arn, PartitionKey="k",
                           Data=json.dumps({"v": v, "order": {"type": kind}}).encode())
    kinesis.put_record(StreamARN=arn, PartitionKey="k", Data=b"not json")
    put(kit, arn, [4], key="k")  # no order: no match
    mapped(name, arn, FilterCriteria={"Filters": [
        {"Pattern": json.dumps({"data": {"order": {"type": ["buy"]}}})}]})
    wait_for(lambda: values(kit, name) == [1, 3], message="the two buy orders")


def test_parallelization_factor_runs_batches_of_a_shard_at_once_keys_in_order(kit, role_arn,
                                                                                mapped):
    name = function(kit, role_arn, sleep=0.2)
    arn = stream(kit)
    keys = [f"key-{i}" for i in range(16)]
    kinesis = kit.client("kinesis")
    for i in range(32):
        kinesis.put_record(StreamARN=arn, PartitionKey=keys[i % 16],
                           Data=json.dumps({"v": i}).encode())
    mapped(name, arn, BatchSize=2, ParallelizationFactor=4)
    wait_for(lambda: len(values(kit, name)) >= 32, timeout=30, message="32 records")
    got = batches(kit, name)
    outcomes = [(r.status, r.error_type, round(r.duration_ms)) for r in kit.records
                if r.function_name == name]
    assert sorted(values(kit, name)) == list(range(32)), outcomes
    for key in keys:  # one key's records stay in order
        seen = [int(r["kinesis"]["sequenceNumber"]) for b in got for r in b["records"]
                if r["kinesis"]["partitionKey"] == key]
        assert seen == sorted(seen) and len(seen) == 2
    runs = sorted((r.start_time, r.end_time) for r in kit.records if r.function_name == name)
    overlapping = max(sum(1 for s, e in runs if s <= start < e) for start, _ in runs)
    assert overlapping >= 2  # batches of the one shard ran at the same time


def test_resharding_reads_parent_shards_before_their_children(kit, role_arn, mapped):
    name = function(kit, role_arn)
    arn = stream(kit)
    kinesis = kit.client("kinesis")
    put(kit, arn, [1, 2, 3], key="k")
    kinesis.update_shard_count(StreamARN=arn, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    shards = kinesis.list_shards(StreamARN=arn)["Shards"]
    children = [s["ShardId"] for s in shards if s.get("ParentShardId") == "shardId-000000000000"]
    assert len(children) == 2
    # moto 5.2 (5.2.6 too) keeps routing PutRecord to the closed parent; AWS routes to the open
    # children
    for v in (4, 5, 6):
        _put_to_shard(arn, children[0], v)
    mapped(name, arn)
    wait_for(lambda: len(values(kit, name)) >= 6, message="six records")
    assert values(kit, name) == [1, 2, 3, 4, 5, 6]  # the closed parent first, then its child
    _put_to_shard(arn, children[1], 7)  # the open children are read on
    wait_for(lambda: values(kit, name) == list(range(1, 8)), message="seven records")


def _put_to_shard(arn, shard_id, v):
    from moto.kinesis.models import kinesis_backends

    backend = kinesis_backends[ACCOUNT][REGION]
    shard = backend.streams[arn.split("/")[-1]].shards[shard_id]
    shard.put_record("k", json.dumps({"v": v}).encode(), "")  # moto 5.2.6 keeps the raw bytes


def test_iterator_age_is_published_for_the_function_and_the_alias_mapped(kit, role_arn, mapped):
    name = function(kit, role_arn)
    lam = kit.client("lambda")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    arn = stream(kit)
    put(kit, arn, ["x"])
    mapping = mapped(f"{name}:live", arn)
    assert mapping["FunctionArn"].endswith(f"function:{name}:live")

    def maximum(*dimensions):
        now = dt.datetime.now(dt.timezone.utc)
        points = kit.client("cloudwatch").get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="IteratorAge", Statistics=["Maximum"],
            Dimensions=[{"Name": k, "Value": v} for k, v in dimensions],
            StartTime=now - dt.timedelta(minutes=5), EndTime=now + dt.timedelta(minutes=1),
            Period=600)["Datapoints"]
        return points and (points[0]["Maximum"], points[0]["Unit"])

    age, unit = wait_for(lambda: maximum(("FunctionName", name)), message="IteratorAge")
    assert unit == "Milliseconds" and age > 0
    assert maximum(("FunctionName", name), ("Resource", f"{name}:live"))
    assert [r.version for r in kit.records if r.function_name == name] == [version]


def test_disable_stops_polling_enable_resumes_after_the_checkpoint_delete_ends_threads(
        kit, role_arn):
    name = function(kit, role_arn)
    arn = stream(kit, shards=2)
    lam = kit.client("lambda")
    uuid_ = create_mapping(kit, name, arn, ParallelizationFactor=2)["UUID"]
    assert [t for t in poller_threads() if uuid_[:8] in t.name]
    put(kit, arn, [1, 2, 3])
    wait_for(lambda: sorted(values(kit, name)) == [1, 2, 3], message="three records")
    assert lam.get_event_source_mapping(UUID=uuid_)["LastProcessingResult"] == "OK"
    lam.update_event_source_mapping(UUID=uuid_, Enabled=False)
    mapping_state(lam, uuid_, "Disabled", message="the mapping Disabled")
    put(kit, arn, [4])
    lam.update_event_source_mapping(UUID=uuid_, Enabled=True)
    mapping_state(lam, uuid_, "Enabled", message="the mapping Enabled again")
    wait_for(lambda: sorted(values(kit, name)) == [1, 2, 3, 4], message="only the new record")
    put(kit, arn, [5])
    wait_for(lambda: sorted(values(kit, name)) == [1, 2, 3, 4, 5], message="no record twice")
    delete_mapping(kit, uuid_)
    wait_for(lambda: not [t for t in poller_threads() if uuid_[:8] in t.name],
             message="the poller's threads to end")


def test_batching_window_gathers_records_read_apart_into_one_batch(role_arn):
    # a 300 s window lasts 15 s on this endpoint (time scale 0.05): far longer than the plain
    # mapping needs to run record 1 on a busy machine, and the full batch of three ends it at once
    with Endpoint(settings=Settings(time_scale=0.05)) as endpoint:
        slow = lambdakit.kit.Kit(endpoint)
        windowed, plain = function(slow, role_arn), function(slow, role_arn)
        arn = stream(slow)
        lam = slow.client("lambda")
        made = [create_mapping(slow, windowed, arn, StartingPosition="LATEST", BatchSize=3,
                               MaximumBatchingWindowInSeconds=300)["UUID"],
                create_mapping(slow, plain, arn, StartingPosition="LATEST", BatchSize=3)["UUID"]]
        try:
            put(slow, arn, [1], key="k")
            # once the mapping without a window has run record 1, both have read it
            wait_for(lambda: values(slow, plain) == [1], message="record 1 alone")
            put(slow, arn, [2, 3], key="k")
            wait_for(lambda: values(slow, windowed) == [1, 2, 3], message="the windowed batch")
            assert [b["values"] for b in batches(slow, windowed)] == [[1, 2, 3]]
            wait_for(lambda: values(slow, plain) == [1, 2, 3], message="the plain batches")
            assert [b["values"] for b in batches(slow, plain)][0] == [1]
        finally:
            for uuid_ in made:
                lam.delete_event_source_mapping(UUID=uuid_)


# --------------------------------------------------------------------------- DynamoDB Streams


def table(kit, view="NEW_AND_OLD_IMAGES"):
    ddb, name = kit.client("dynamodb"), unique("table")
    answer = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return name, answer["TableDescription"]["LatestStreamArn"]


def test_dynamodb_insert_modify_remove_reach_the_function_in_order(kit, role_arn, mapped):
    name = function(kit, role_arn)
    table_name, arn = table(kit)
    ddb = kit.client("dynamodb")
    mapped(name, arn, StartingPosition="LATEST", BatchSize=10)
    ddb.put_item(TableName=table_name, Item={"id": {"S": "7"}, "v": {"S": "one"}})
    ddb.update_item(TableName=table_name, Key={"id": {"S": "7"}}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": {"S": "two"}})
    ddb.delete_item(TableName=table_name, Key={"id": {"S": "7"}})
    wait_for(lambda: len(values(kit, name)) >= 3, message="three changes")
    records = [r for b in batches(kit, name) for r in b["records"]]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = records
    assert insert["dynamodb"]["NewImage"] == {"id": {"S": "7"}, "v": {"S": "one"}}
    assert "OldImage" not in insert["dynamodb"]
    assert modify["dynamodb"]["OldImage"]["v"] == {"S": "one"}
    assert modify["dynamodb"]["NewImage"]["v"] == {"S": "two"}
    assert remove["dynamodb"]["OldImage"]["v"] == {"S": "two"} and "NewImage" not in remove["dynamodb"]
    sample = events.dynamodb_stream()["Records"][0]
    for r in records:
        assert set(r) == set(sample)
        assert r["eventSource"] == "aws:dynamodb" and r["eventSourceARN"] == arn
        assert r["awsRegion"] == REGION and r["eventVersion"] == "1.1"
        assert r["dynamodb"]["Keys"] == {"id": {"S": "7"}}
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(r["dynamodb"]["ApproximateCreationDateTime"], int)
        assert r["dynamodb"]["SizeBytes"] > 0
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers)


def test_dynamodb_filters_and_on_failure_batch_info(kit, role_arn, mapped):
    name = function(kit, role_arn, fail_on=["bad"])
    table_name, arn = table(kit)
    url, q_arn = queue(kit)
    ddb = kit.client("dynamodb")
    for i, v in enumerate(["good", "bad", "skip"]):
        ddb.put_item(TableName=table_name, Item={"id": {"S": str(i)}, "v": {"S": v}})
    ddb.delete_item(TableName=table_name, Key={"id": {"S": "0"}})
    mapped(name, arn, BatchSize=1, MaximumRetryAttempts=0,
           DestinationConfig={"OnFailure": {"Destination": q_arn}},
           FilterCriteria={"Filters": [{"Pattern": json.dumps({
               "eventName": ["INSERT"], "dynamodb": {"NewImage": {"v": {"S": ["good", "bad"]}}}})}]})
    record = receive(kit, url)[0]["Json"]
    wait_for(lambda: values(kit, name) == ["good", "bad"], message="the two matching inserts")
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn
    assert info["shardId"] == kit.client("dynamodbstreams").describe_stream(
        StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    assert dt.datetime.strptime(info["approximateArrivalOfFirstRecord"], "%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- tumbling windows

WINDOWED = """
import base64, json, os

def handler(event, context):
    values = [json.loads(base64.b64decode(r["kinesis"]["data"]))["v"] for r in event["Records"]]
    print("BATCH " + json.dumps({"values": values, "records": event["Records"],
                                 **{k: v for k, v in event.items() if k != "Records"}}))
    if os.environ.get("NO_STATE"):
        return {"total": sum(values)}
    state = dict(event["state"])
    state["sum"] = state.get("sum", 0) + sum(values)
    state["n"] = state.get("n", 0) + len(values)
    return {"state": state}
"""


def windowed_function(kit, role_arn, **env):
    return kit_helpers.function(kit, WINDOWED, role_arn, prefix="stream-window",
                                Environment={"Variables": env})


def _instant(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_tumbling_windows_carry_state_and_end_with_a_final_invocation(kit, role_arn, mapped):
    name = windowed_function(kit, role_arn)
    arn = stream(kit)
    put(kit, arn, [1, 2, 3], key="k")
    # 900 s windows last 0.9 s here; records may straddle a boundary, so expectations are
    # computed from the windows the invocations report
    mapped(name, arn, BatchSize=2, TumblingWindowInSeconds=900)
    finals = lambda: [b for b in batches(kit, name) if b["isFinalInvokeForWindow"]]
    wait_for(lambda: sum(b["state"].get("sum", 0) for b in finals()) == 6, timeout=20,
             message="the final invocations of the windows")
    got = batches(kit, name)
    shard = kit.client("kinesis").list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    windows = {}
    for b in got:
        assert b["shardId"] == shard and b["eventSourceARN"] == arn
        assert b["isWindowTerminatedEarly"] is False
        start, end = _instant(b["window"]["start"]), _instant(b["window"]["end"])
        assert round(end - start, 3) == 0.9
        seen = windows.setdefault(start, {"sum": 0, "n": 0, "final": 0})
        if b["isFinalInvokeForWindow"]:
            assert b["records"] == [] and b["state"] == {"sum": seen["sum"], "n": seen["n"]}
            seen["final"] += 1
            continue
        assert seen["final"] == 0  # records of a window come before its final invocation
        assert b["state"] == ({} if not seen["n"] else {"sum": seen["sum"], "n": seen["n"]})
        for r in b["records"]:
            assert start - 0.001 <= r["kinesis"]["approximateArrivalTimestamp"] < end + 0.001
        seen["sum"] += sum(b["values"])
        seen["n"] += len(b["values"])
    assert all(w["final"] == 1 for w in windows.values())
    assert sorted(v for b in got for v in b["values"]) == [1, 2, 3]


def test_a_tumbling_window_response_without_state_is_a_failed_invocation(kit, role_arn, mapped):
    name = windowed_function(kit, role_arn, NO_STATE="1")
    arn = stream(kit)
    url, q_arn = queue(kit)
    written = put(kit, arn, [5], key="k")
    mapped(name, arn, TumblingWindowInSeconds=900, MaximumRetryAttempts=1,
           DestinationConfig={"OnFailure": {"Destination": q_arn}})
    record = receive(kit, url)[0]["Json"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert "functionError" not in record["responseContext"]  # it returned, without a state
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == written[5][1]
