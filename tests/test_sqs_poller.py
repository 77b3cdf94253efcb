"""The SQS poller: what a function mapped to a queue receives, and what stays in the queue.

Every function here copies each event it receives to a "sink" queue before doing anything
else, so a test sees exactly which records each invocation got; it is invoked once before
its mapping exists, so that its first batch does not wait for a cold start. Queues whose
retries a test waits for have a visibility timeout of 1 second, the others 5 seconds (a
batch still running when its messages become visible again is delivered twice, as on AWS).
The endpoint runs AWS's long delays 1,000 times faster (MaximumBatchingWindowInSeconds=300
gathers for 0.3 s).
"""
from __future__ import annotations

import hashlib
import json
import threading

import psutil
import pytest

import lambdakit
import lambdakit.events
from conftest import wait_for
import kit_helpers
from kit_helpers import (REGION, CachingKit, function_statistic, mapping_deleted, mapping_state,
                         queue, role, running_kit)
from lambdakit.pollers.sqs import failed_items, fitting
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

POLL = {"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage",
                                      "sqs:GetQueueAttributes"], "Resource": "*"}
SEND = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}

#: copies the event to the sink queue, then fails or reports messages whose body says "fail"
HANDLER = """
import json, os, time
import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    if "warmup" in event:
        return None
    extra = {"MessageGroupId": "sink"} if os.environ["SINK"].endswith(".fifo") else {}
    sqs.send_message(QueueUrl=os.environ["SINK"], MessageBody=json.dumps(event), **extra)
    time.sleep(float(os.environ.get("SLEEP", "0")))
    failing = [r["messageId"] for r in event["Records"] if "fail" in r["body"]]
    mode = os.environ.get("MODE", "")
    if mode == "raise" and failing:
        raise RuntimeError("cannot process " + ", ".join(failing))
    if mode == "report":
        return {"batchItemFailures": [{"itemIdentifier": i} for i in failing]}
    if mode == "invalid" and failing:
        return {"batchItemFailures": [{"messageId": i} for i in failing]}
    return None
"""


@pytest.fixture(scope="module")
def kit():
    with running_kit(kit_class=CachingKit) as kit:
        yield kit


@pytest.fixture(scope="module")
def role_arn(kit):
    return make_role(kit)[1]


def make_role(kit, *statements):
    """An execution role that may write logs and send (policy ``app``), and poll queues
    (policy ``poll``, with ``statements``: a test takes it away and gives it back)."""
    name, arn = role(kit, SEND, prefix="sqs-role")
    kit.client("iam").put_role_policy(RoleName=name, PolicyName="poll", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [POLL, *statements]}))
    return name, arn


class Queue:
    def __init__(self, kit, fifo=False, **attributes):
        self.sqs = kit.client("sqs")
        attributes.setdefault("VisibilityTimeout", 5)
        self.url, self.arn = queue(kit, prefix="sqs-q", fifo=fifo, **attributes)
        self.name = self.arn.rsplit(":", 1)[1]
        self.received: list[dict] = []

    def send(self, body, **kwargs):
        text = body if isinstance(body, str) else json.dumps(body)
        return self.sqs.send_message(QueueUrl=self.url, MessageBody=text, **kwargs)["MessageId"]

    def count(self, which="ApproximateNumberOfMessages"):
        attributes = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["All"])
        return int(attributes["Attributes"][which])

    def empty(self):
        return self.count() == 0 and self.count("ApproximateNumberOfMessagesNotVisible") == 0

    def drain(self):
        """Messages now visible (deleted, remembered in ``received``)."""
        for message in self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get(
                "Messages", []):
            self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
            self.received.append(json.loads(message["Body"]) if message["Body"].startswith(
                ("{", "[")) else message["Body"])
        return self.received

    def wait(self, count, timeout=30.0):
        wait_for(lambda: len(self.drain()) >= count, timeout=timeout,
                 message=f"{count} message(s) in {self.name}")
        return self.received


def function(kit, role, sink, timeout=5, **environment):
    """The HANDLER function; its timeout fits the queue's visibility timeout (5 s unless a test
    shortens both), so that a busy machine does not time a batch out and deliver it twice."""
    name = kit_helpers.function(kit, HANDLER, role, prefix="sqs-fn", Timeout=timeout,
                                Environment={"Variables": {"SINK": sink.url, **environment}})
    kit.client("lambda").invoke(FunctionName=name, Payload=b'{"warmup": true}')
    return name


def mapping(kit, source, name, **kwargs):
    lam = kit.client("lambda")
    uuid_ = lam.create_event_source_mapping(EventSourceArn=source.arn, FunctionName=name,
                                            **kwargs)["UUID"]
    mapping_state(lam, uuid_, "Enabled" if kwargs.get("Enabled", True) else "Disabled")
    return uuid_


def delete(kit, uuid_, wait=False):
    """Delete a mapping (its poller stops at once; the endpoint's stop joins it)."""
    lam = kit.client("lambda")
    lam.delete_event_source_mapping(UUID=uuid_)
    if wait:
        mapping_deleted(lam, uuid_)


def runs(kit, name):
    """The function's invocations after its warm-up."""
    return [r for r in kit.records if r.function_name == name][1:]


def ids(events):
    return [r["messageId"] for event in events for r in event["Records"]]


def test_batches_of_at_most_batch_size_deliver_every_message_once(kit, role_arn):
    source, sink = Queue(kit), Queue(kit)
    name = function(kit, role_arn, sink)
    uuid_ = mapping(kit, source, name, BatchSize=10)
    sent = [source.send({"n": n}) for n in range(25)]
    wait_for(lambda: len(ids(sink.drain())) >= 25, timeout=40, message="25 records delivered")
    events = sink.received
    assert sorted(ids(events)) == sorted(sent)  # every message exactly once
    assert all(1 <= len(event["Records"]) <= 10 for event in events)
    # the handler forwards its batch before its invocation ends and is recorded
    wait_for(lambda: len(runs(kit, name)) == len(events), message="one record per batch")
    assert all(r.invocation_type == "RequestResponse" and r.status == "success"
               for r in runs(kit, name))
    wait_for(source.empty, message="the queue emptied")
    delete(kit, uuid_)


def test_records_have_aws_shape(kit, role_arn):
    source, sink = Queue(kit), Queue(kit)
    name = function(kit, role_arn, sink)
    uuid_ = mapping(kit, source, name)
    message_id = source.send("plain text", MessageAttributes={
        "Author": {"DataType": "String", "StringValue": "John"},
        "Weeks": {"DataType": "Number", "StringValue": "6"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
    item = sink.wait(1)[0]["Records"][0]
    sample = lambdakit.events.sqs("x", attributes={"a": "b"})["Records"][0]
    assert list(item) == list(sample)  # the same keys, in AWS's order
    assert item["messageId"] == message_id and item["body"] == "plain text"
    assert item["md5OfBody"] == hashlib.md5(b"plain text").hexdigest()
    assert (item["eventSource"], item["eventSourceARN"], item["awsRegion"]) == (
        "aws:sqs", source.arn, REGION)
    assert list(item["attributes"]) == ["ApproximateReceiveCount", "SentTimestamp", "SenderId",
                                        "ApproximateFirstReceiveTimestamp"]
    assert item["attributes"]["ApproximateReceiveCount"] == "1"
    assert item["messageAttributes"] == {
        "Author": {"stringValue": "John", "stringListValues": [], "binaryListValues": [],
                   "dataType": "String"},
        "Weeks": {"stringValue": "6", "stringListValues": [], "binaryListValues": [],
                  "dataType": "Number"},
        "Blob": {"binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [],
                 "dataType": "Binary"}}
    assert item["md5OfMessageAttributes"] == lambdakit.events.sqs_md5_of_attributes(
        item["messageAttributes"])
    delete(kit, uuid_)


def test_the_batching_window_gathers_more_than_one_receive(kit, role_arn):
    source, sink = Queue(kit), Queue(kit)
    name = function(kit, role_arn, sink)
    uuid_ = mapping(kit, source, name, BatchSize=100, MaximumBatchingWindowInSeconds=300,
                    Enabled=False)
    sent = [source.send({"n": n}) for n in range(25)]
    kit.client("lambda").update_event_source_mapping(UUID=uuid_, Enabled=True)
    events = sink.wait(1)
    assert len(events) == 1 and sorted(ids(events)) == sorted(sent)  # one batch of 25
    wait_for(source.empty)
    delete(kit, uuid_)


def test_a_failed_batch_returns_to_the_queue_and_moves_to_the_dead_letter_queue(kit, role_arn):
    dlq, sink = Queue(kit), Queue(kit)
    source = Queue(kit, VisibilityTimeout=1, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 2}))
    name = function(kit, role_arn, sink, timeout=1, MODE="raise")
    uuid_ = mapping(kit, source, name)
    message_id = source.send({"fail": True})
    dead = dlq.wait(1)
    assert dead == [{"fail": True}]
    events = sink.drain()
    assert ids(events) == [message_id, message_id]  # received twice (maxReceiveCount), then moved
    assert [e["Records"][0]["attributes"]["ApproximateReceiveCount"] for e in events] == ["1", "2"]
    assert [r.status for r in runs(kit, name)] == ["error", "error"]
    delete(kit, uuid_)


def test_partial_batch_response_retries_only_the_failed_messages(kit, role_arn):
    dlq, sink = Queue(kit), Queue(kit)
    source = Queue(kit, VisibilityTimeout=1, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 2}))
    name = function(kit, role_arn, sink, timeout=1, MODE="report")
    uuid_ = mapping(kit, source, name, FunctionResponseTypes=["ReportBatchItemFailures"],
                    Enabled=False)
    good = [source.send({"n": n}) for n in range(3)]
    bad = source.send({"n": 3, "fail": True})
    kit.client("lambda").update_event_source_mapping(UUID=uuid_, Enabled=True)
    assert dlq.wait(1) == [{"n": 3, "fail": True}]
    delivered = ids(sink.drain())
    assert sorted(delivered) == sorted(good + [bad, bad])  # successes once, the failure twice
    wait_for(source.empty)
    delete(kit, uuid_)


def test_an_invalid_partial_batch_response_fails_the_whole_batch(kit, role_arn):
    dlq, sink = Queue(kit), Queue(kit)
    source = Queue(kit, VisibilityTimeout=1, RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 2}))
    name = function(kit, role_arn, sink, timeout=1, MODE="invalid")
    uuid_ = mapping(kit, source, name, FunctionResponseTypes=["ReportBatchItemFailures"],
                    Enabled=False)
    good, bad = source.send({"n": 1}), source.send({"n": 2, "fail": True})
    kit.client("lambda").update_event_source_mapping(UUID=uuid_, Enabled=True)
    assert sorted(m["n"] for m in dlq.wait(2)) == [1, 2]  # both, though only one was named
    assert sorted(ids(sink.drain())) == sorted([good, bad, good, bad])
    delete(kit, uuid_)


@pytest.mark.parametrize("payload, failed", [
    (b"", set()), (b"null", set()), (b"{}", set()), (b'{"batchItemFailures": []}', set()),
    (b'{"batchItemFailures": null}', set()),
    (b'{"batchItemFailures": [{"itemIdentifier": "a"}]}', {"a"}),
    (b"not json", None), (b'"done"', None), (b'{"batchItemFailures": "a"}', None),
    (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
    (b'{"batchItemFailures": [{"itemIdentifier": null}]}', None),
    (b'{"batchItemFailures": [{"id": "a"}]}', None),
    (b'{"batchItemFailures": [{"itemIdentifier": "zzz"}]}', None)])
def test_partial_batch_response_rules(payload, failed):
    assert failed_items(payload, [{"messageId": "a"}, {"messageId": "b"}]) == failed


def test_a_batch_stops_at_the_synchronous_payload_limit():
    records = [{"body": "x" * 1000} for _ in range(10)]
    three = len(json.dumps({"Records": records[:3]}).encode())  # the event the function gets
    assert fitting(records) == 10
    assert fitting(records, limit=three) == 3
    assert fitting(records, limit=three - 1) == 2
    assert fitting(records, limit=10) == 1  # one message always goes, as AWS sends it alone
    assert fitting([{"body": "x" * 3_500_000}] * 3) == 1  # two would pass 6 MiB


def test_filters_delete_messages_that_match_no_pattern_without_invoking(kit, role_arn):
    source, sink = Queue(kit), Queue(kit)
    name = function(kit, role_arn, sink)
    pattern = {"body": {"kind": ["order"], "total": [{"numeric": [">", 100]}]}}
    # a pattern on another key never matches: SQS mappings filter on the body key only
    on_attributes = {"attributes": {"ApproximateReceiveCount": ["1"]}}
    uuid_ = mapping(kit, source, name, Enabled=False, FilterCriteria={"Filters": [
        {"Pattern": json.dumps(pattern)}, {"Pattern": json.dumps({"body": ["ping"]})},
        {"Pattern": json.dumps(on_attributes)}]})
    wanted = [source.send({"kind": "order", "total": 250}), source.send("ping")]
    for body in ({"kind": "order", "total": 5}, {"kind": "refund", "total": 500}, "pong"):
        source.send(body)
    kit.client("lambda").update_event_source_mapping(UUID=uuid_, Enabled=True)
    wait_for(source.empty, message="every message deleted, matched or not")
    delivered = sink.drain()
    assert sorted(ids(delivered)) == sorted(wanted)
    bodies = sorted(r["body"] for e in delivered for r in e["Records"])
    assert bodies == sorted([json.dumps({"kind": "order", "total": 250}), "ping"])  # as sent
    delete(kit, uuid_)


def overlap(records):
    """The most invocations that were running at the same moment."""
    edges = sorted([(r.start_time, 1) for r in records] + [(r.end_time, -1) for r in records],
                   key=lambda e: (e[0], e[1]))
    running = most = 0
    for _, step in edges:
        running += step
        most = max(most, running)
    return most


def test_maximum_concurrency_caps_batches_in_flight(kit, role_arn):
    source, sink = Queue(kit), Queue(kit)
    name = function(kit, role_arn, sink, SLEEP="0.4")
    uuid_ = mapping(kit, source, name, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2},
                    Enabled=False)
    for n in range(8):
        source.send({"n": n})
    kit.client("lambda").update_event_source_mapping(UUID=uuid_, Enabled=True)
    wait_for(lambda: len(ids(sink.drain())) >= 8, timeout=40, message="8 records delivered")
    wait_for(source.empty)
    assert overlap(runs(kit, name)) == 2  # several batches at once, never more than the cap
    delete(kit, uuid_)


def test_a_backlog_starts_with_five_batches_in_flight():
    """AWS starts five batches at once and adds up to 300 more per minute: with AWS's minute
    stretched to 100 real minutes, a backlog never sees a sixth batch during this test."""
    with running_kit(time_scale=100, kit_class=CachingKit) as slow:
        source, sink = Queue(slow), Queue(slow)
        name = function(slow, make_role(slow)[1], sink, SLEEP="0.3")
        for n in range(30):
            source.send({"n": n})
        uuid_ = mapping(slow, source, name, BatchSize=1)
        wait_for(lambda: len(ids(sink.drain())) >= 30, timeout=60, message="30 records delivered")
        assert 2 <= overlap(runs(slow, name)) <= 5
        delete(slow, uuid_)


def test_fifo_groups_are_processed_in_order(kit, role_arn):
    source, sink = Queue(kit, fifo=True), Queue(kit, fifo=True)
    name = function(kit, role_arn, sink)
    uuid_ = mapping(kit, source, name, BatchSize=2, Enabled=False)
    for n in range(6):
        for group in ("a", "b"):
            source.send({"group": group, "n": n}, MessageGroupId=group,
                        MessageDeduplicationId=f"{group}-{n}")
    kit.client("lambda").update_event_source_mapping(UUID=uuid_, Enabled=True)
    wait_for(lambda: len(ids(sink.drain())) >= 12, timeout=40, message="12 records delivered")
    seen = [json.loads(r["body"]) for e in sink.received for r in e["Records"]]
    for group in ("a", "b"):
        assert [m["n"] for m in seen if m["group"] == group] == list(range(6))
    fifo_attributes = sink.received[0]["Records"][0]["attributes"]
    assert {"MessageGroupId", "SequenceNumber", "MessageDeduplicationId"} <= set(fifo_attributes)
    delete(kit, uuid_)


def test_disabling_stops_delivery_and_an_update_takes_effect(kit, role_arn):
    source, sink = Queue(kit), Queue(kit)
    name = function(kit, role_arn, sink)
    uuid_ = mapping(kit, source, name, BatchSize=1)
    first = [source.send({"n": n}) for n in range(2)]
    wait_for(lambda: len(ids(sink.drain())) >= 2)
    assert [len(e["Records"]) for e in sink.received] == [1, 1]
    lam = kit.client("lambda")
    lam.update_event_source_mapping(UUID=uuid_, Enabled=False)
    mapping_state(lam, uuid_, "Disabled")
    assert kit.endpoint.engine.event_sources.poller(uuid_) is None  # nothing polls any more
    later = [source.send({"n": n}) for n in range(2, 7)]
    assert source.count() == 5
    lam.update_event_source_mapping(UUID=uuid_, Enabled=True, BatchSize=10)
    wait_for(lambda: len(ids(sink.drain())) >= 7)
    assert sorted(ids(sink.received)) == sorted(first + later)
    assert len(sink.received) == 3  # the five waiting messages came as one batch
    delete(kit, uuid_)


def test_a_permission_taken_away_fails_at_poll_time_and_recovers(kit):
    role_name, arn = make_role(kit)
    source, sink = Queue(kit), Queue(kit)
    name = function(kit, arn, sink)
    lam, iam = kit.client("lambda"), kit.client("iam")
    uuid_ = mapping(kit, source, name)
    iam.delete_role_policy(RoleName=role_name, PolicyName="poll")
    wait_for(lambda: lam.get_event_source_mapping(UUID=uuid_).get(
        "LastProcessingResult", "").startswith("PROBLEM: AccessDenied"),
        message="the poller reports the refusal")
    message_id = source.send({"n": 1})
    assert source.count() == 1 and runs(kit, name) == []
    iam.put_role_policy(RoleName=role_name, PolicyName="poll", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [POLL]}))
    assert ids(sink.wait(1)) == [message_id]
    assert lam.get_event_source_mapping(UUID=uuid_)["LastProcessingResult"] == "OK"
    delete(kit, uuid_)


def test_throttled_batches_stay_in_the_queue(kit, role_arn):
    source, sink = Queue(kit, VisibilityTimeout=1), Queue(kit)
    name = function(kit, role_arn, sink, timeout=1)
    lam = kit.client("lambda")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    uuid_ = mapping(kit, source, name)
    message_id = source.send({"n": 1})
    wait_for(lambda: function_statistic(kit, name, "Throttles") >= 2, timeout=20,
             message="throttled attempts")
    assert runs(kit, name) == [] and sink.drain() == []
    assert source.count() + source.count("ApproximateNumberOfMessagesNotVisible") == 1
    lam.delete_function_concurrency(FunctionName=name)
    assert ids(sink.wait(1)) == [message_id]
    delete(kit, uuid_)


def poller_threads():
    return [t for t in threading.enumerate()
            if t.name.startswith(("lambdakit-poller-", "lambdakit-sqs-", "lambdakit-esm-"))]


def test_delete_and_stop_leave_no_poller_threads_or_workers():
    endpoint = Endpoint(settings=Settings(time_scale=0.001)).start()
    kit = CachingKit(endpoint)
    before = set(poller_threads())
    try:
        arn = make_role(kit)[1]
        source, sink = Queue(kit), Queue(kit)
        name = function(kit, arn, sink, SLEEP="0.2")
        deleted = mapping(kit, source, name, BatchSize=1)
        kept = mapping(kit, Queue(kit), name)
        for n in range(4):
            source.send({"n": n})
        sink.wait(1)
        threads = [t for t in poller_threads() if t not in before]
        assert threads
        mine = [t for t in threads if deleted[:8] in t.name]
        delete(kit, deleted, wait=True)
        assert mine and not [t for t in mine if t.is_alive()]
        assert kit.client("lambda").get_event_source_mapping(UUID=kept)["State"] == "Enabled"
        pids = [env["pid"] for env in kit.environments()]
    finally:
        endpoint.stop()
    assert not [t for t in threads if t.is_alive()]
    assert not [t for t in poller_threads() if t not in before and t.is_alive()]
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
