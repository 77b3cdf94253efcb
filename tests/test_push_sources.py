"""Services that push events: S3 notifications, SNS subscriptions and EventBridge rules.

Each source invokes the function asynchronously, as its service principal, only where the
function's resource-based policy allows it (with aws:SourceArn / aws:SourceAccount), and
sends AWS's event shape. The same scenarios run for the three sources through a small
``Source`` adapter. AWS's long delays run 1,000 times faster (Settings(time_scale=0.001)).

"Asynchronous" is proved without timing: the handler waits until a "gate" SQS queue holds a
message and only then reports; the publishing call returns while the gate is still closed.
"Refused" is read synchronously: a refused delivery queues nothing (AsyncEventsReceived),
and the refusal is in ``push_sources.recent_refusals()`` when the publishing call returns.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import re
import tempfile
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from conftest import wait_for
from kit_helpers import (ACCOUNT, REGION, CachingKit, function, function_arn, queue, receive, role,
                         running_kit, statistic, unique)
from lambdakit import events, push_sources

OTHER_ACCOUNT = "210987654321"

REPORTER = """
import os, time

def handler(event, context):
    gate, deadline = os.environ.get("GATE"), time.time() + 50
    while gate and not os.path.exists(gate):
        if time.time() > deadline:
            raise TimeoutError("the gate never opened")
        time.sleep(0.01)
    if os.environ.get("FAIL"):
        raise RuntimeError("failing on purpose")
    return {"arn": context.invoked_function_arn, "version": context.function_version}
"""
SEND = {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}


@pytest.fixture(scope="module")
def kit():
    with running_kit(kit_class=CachingKit) as kit:
        yield kit


@pytest.fixture(scope="module")
def role_arn(kit):
    return role(kit, SEND, prefix="push-role")[1]


def empty(kit, url):
    return "Messages" not in kit.client("sqs").receive_message(QueueUrl=url,
                                                               MaxNumberOfMessages=10)


class Function:
    """A REPORTER function; its OnSuccess destination is the queue ``out`` (the record holds
    the event and what the handler saw). With ``gate``, the handler waits for a file."""

    def __init__(self, kit, role_arn, *, gate=False, fail=False, on_failure=None, **config):
        self.kit = kit
        self.out, out_arn = queue(kit, prefix="push-q")
        variables = {}
        if gate:
            self.gate = os.path.join(tempfile.gettempdir(), unique("lambdakit-gate"))
            variables["GATE"] = self.gate
        if fail:
            variables["FAIL"] = "1"
        self.name = function(kit, REPORTER, role_arn, prefix="push-fn", Timeout=60,
                             Environment={"Variables": variables}, **config)
        self.arn = function_arn(self.name)
        self.destinations = {"OnSuccess": {"Destination": out_arn}}
        if on_failure:
            self.destinations["OnFailure"] = {"Destination": on_failure}
        self.configure()

    def configure(self, **qualifier):
        """The event invoke configuration (one per function, version or alias, as on AWS)."""
        self.kit.client("lambda").put_function_event_invoke_config(
            FunctionName=self.name, MaximumRetryAttempts=1, DestinationConfig=self.destinations,
            **qualifier)

    def open_gate(self):
        with open(self.gate, "w"):
            pass

    def reports(self, count=1):
        """What the handler got and saw, per successful invocation."""
        records = [m["Json"] for m in receive(self.kit, self.out, count)]
        if hasattr(self, "gate") and os.path.exists(self.gate):
            os.remove(self.gate)
        return [dict(r["responsePayload"], event=r["requestPayload"]) for r in records]

    def runs(self):
        return [r for r in self.kit.records if r.function_name == self.name]

    def queued(self):
        """Events queued for the function so far (AsyncEventsReceived, counted at submit)."""
        return statistic(self.kit, "AWS/Lambda", "AsyncEventsReceived",
                         {"FunctionName": self.name})


# --------------------------------------------------------------------------- the sources


class S3Source:
    principal = "s3.amazonaws.com"

    def __init__(self, kit):
        self.kit, self.s3 = kit, kit.client("s3")
        self.bucket = unique("push-bucket")
        self.s3.create_bucket(Bucket=self.bucket)
        self.arn = f"arn:aws:s3:::{self.bucket}"

    def other_arn(self):
        return f"arn:aws:s3:::{unique('other-bucket')}"

    def wire(self, target_arn, validate=True):
        self.s3.put_bucket_notification_configuration(
            Bucket=self.bucket, SkipDestinationValidation=not validate,
            NotificationConfiguration={"LambdaFunctionConfigurations": [{
                "Id": "to-lambda", "LambdaFunctionArn": target_arn,
                "Events": ["s3:ObjectCreated:*"]}]})

    def fire(self):
        self.s3.put_object(Bucket=self.bucket, Key="in/photo 1.jpg", Body=b"hello s3")
        return {"key": "in/photo+1.jpg"}

    def check(self, event, fired):
        (record,) = event["Records"]
        assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
        assert record["s3"]["object"]["key"] == fired["key"]


class SNSSource:
    principal = "sns.amazonaws.com"

    def __init__(self, kit):
        self.kit, self.sns = kit, kit.client("sns")
        self.arn = self.sns.create_topic(Name=unique("push-topic"))["TopicArn"]

    def other_arn(self):
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{unique('other-topic')}"

    def wire(self, target_arn, validate=True, **attributes):
        self.subscription = self.sns.subscribe(
            TopicArn=self.arn, Protocol="lambda", Endpoint=target_arn,
            Attributes=attributes, ReturnSubscriptionArn=True)["SubscriptionArn"]

    def fire(self, message="hello sns", **kwargs):
        return {"id": self.sns.publish(TopicArn=self.arn, Message=message, **kwargs)["MessageId"]}

    def check(self, event, fired):
        (record,) = event["Records"]
        assert record["EventSource"] == "aws:sns"
        assert record["Sns"]["MessageId"] == fired["id"] and record["Sns"]["TopicArn"] == self.arn


class EventBridgeSource:
    principal = "events.amazonaws.com"

    def __init__(self, kit):
        self.kit, self.events = kit, kit.client("events")
        self.rule = unique("push-rule")
        self.arn = self.events.put_rule(Name=self.rule, EventPattern=json.dumps(
            {"source": ["lambdakit.shop"], "detail-type": ["OrderPlaced"]}))["RuleArn"]

    def other_arn(self):
        return f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{unique('other-rule')}"

    def wire(self, target_arn, validate=True, **target):
        self.events.put_targets(Rule=self.rule, Targets=[{"Id": "fn", "Arn": target_arn,
                                                          **target}])

    def fire(self, detail_type="OrderPlaced", detail=None):
        answer = self.events.put_events(Entries=[{
            "Source": "lambdakit.shop", "DetailType": detail_type,
            "Detail": json.dumps(detail or {"order": 1001, "items": ["book"]}),
            "Resources": ["arn:aws:s3:::shop/orders/1001"]}])
        assert answer["FailedEntryCount"] == 0
        return {"id": answer["Entries"][0]["EventId"]}

    def check(self, event, fired):
        assert event["id"] == fired["id"] and event["source"] == "lambdakit.shop"
        assert event["detail"] == {"order": 1001, "items": ["book"]}


SOURCES = {"s3": S3Source, "sns": SNSSource, "eventbridge": EventBridgeSource}


@pytest.fixture(params=sorted(SOURCES))
def source(request, kit):
    return SOURCES[request.param](kit)


def grant(kit, source, function, *, source_arn=None, source_account=ACCOUNT, qualifier=None):
    extra = {"Qualifier": qualifier} if qualifier else {}
    if source_account:
        extra["SourceAccount"] = source_account
    kit.client("lambda").add_permission(
        FunctionName=function.name, StatementId=unique("push"), Action="lambda:InvokeFunction",
        Principal=source.principal, SourceArn=source_arn or source.arn, **extra)


# --------------------------------------------------------------------------- every source


def test_runs_once_asynchronously_with_the_policy_allowing_the_source(kit, role_arn, source):
    function = Function(kit, role_arn, gate=True)
    grant(kit, source, function)
    source.wire(function.arn)
    fired = source.fire()
    # the publishing call has returned; the handler is still waiting at the closed gate
    assert function.queued() == 1
    assert empty(kit, function.out) and function.runs() == []
    function.open_gate()
    (report,) = function.reports()
    source.check(report["event"], fired)
    assert report["arn"] == function.arn and report["version"] == "$LATEST"
    wait_for(lambda: function.runs(), message="the invocation record")
    assert [r.invocation_type for r in function.runs()] == ["Event"]


@pytest.mark.parametrize("wrong", ["no permission", "other source", "other account"])
def test_refused_without_a_matching_permission(kit, role_arn, source, wrong, caplog):
    function = Function(kit, role_arn)
    if wrong == "other source":
        grant(kit, source, function, source_arn=source.other_arn())
    elif wrong == "other account":
        grant(kit, source, function, source_account=OTHER_ACCOUNT)
    source.wire(function.arn, validate=False)
    with caplog.at_level(logging.WARNING, logger="lambdakit"):
        source.fire()
    refusal = push_sources.recent_refusals()[-1]
    assert (refusal.service, refusal.source_arn, refusal.function_arn) == (
        source.principal, source.arn, function.arn)
    assert refusal.message == (
        f"User: {source.principal} is not authorized to perform: lambda:InvokeFunction on "
        f"resource: {function.arn} because no resource-based policy allows the "
        "lambda:InvokeFunction action")
    assert kit.explain_last_denial() is refusal.decision and not refusal.decision.allowed
    assert any(function.arn in r.getMessage() and source.arn in r.getMessage()
               for r in caplog.records)
    assert function.queued() == 0 and function.runs() == []


def test_a_failing_handler_is_retried_then_reaches_on_failure_and_the_dlq(kit, role_arn, source):
    dlq_url, dlq_arn = queue(kit)
    failed_url, failed_arn = queue(kit)
    function = Function(kit, role_arn, fail=True, on_failure=failed_arn,
                        DeadLetterConfig={"TargetArn": dlq_arn})  # MaximumRetryAttempts=1
    grant(kit, source, function)
    source.wire(function.arn)
    fired = source.fire()
    record = receive(kit, failed_url)[0]["Json"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responsePayload"]["errorMessage"] == "failing on purpose"
    source.check(record["requestPayload"], fired)
    dead = receive(kit, dlq_url)[0]
    assert dead["Json"] == record["requestPayload"]
    assert dead["MessageAttributes"]["ErrorMessage"]["StringValue"] == "failing on purpose"
    assert len(function.runs()) == 2
    assert empty(kit, function.out)


def test_an_alias_target_runs_the_aliased_version_with_the_alias_permission(kit, role_arn,
                                                                            source):
    function = Function(kit, role_arn)
    lam = kit.client("lambda")
    version = lam.publish_version(FunctionName=function.name)["Version"]
    alias_arn = lam.create_alias(FunctionName=function.name, Name="live",
                                 FunctionVersion=version)["AliasArn"]
    grant(kit, source, function)  # the unqualified function's permission does not cover the alias
    source.wire(alias_arn, validate=False)
    source.fire()
    assert push_sources.recent_refusals()[-1].function_arn == alias_arn
    assert function.queued() == 0
    grant(kit, source, function, qualifier="live")
    function.configure(Qualifier="live")
    fired = source.fire()
    (report,) = function.reports()
    source.check(report["event"], fired)
    assert (report["arn"], report["version"]) == (alias_arn, version)


# --------------------------------------------------------------------------- S3


def test_s3_event_has_the_shape_s3_sends(kit, role_arn):
    source = S3Source(kit)
    function = Function(kit, role_arn)
    grant(kit, source, function)
    source.wire(function.arn)
    kit.client("s3").put_object(Bucket=source.bucket, Key="in/a b+c=d.txt", Body=b"hello s3")
    kit.client("s3").put_object(Bucket=source.bucket, Key="in/second.txt", Body=b"2")
    first, second = sorted((r["event"]["Records"][0] for r in function.reports(2)),
                           key=lambda r: r["s3"]["object"]["sequencer"])
    sample = events.s3_put()["Records"][0]
    assert set(first) == set(sample)
    assert set(first["s3"]) == set(sample["s3"])
    assert set(first["s3"]["bucket"]) == set(sample["s3"]["bucket"])
    assert first["eventVersion"] == "2.1" and first["awsRegion"] == REGION
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["eventTime"])
    assert first["s3"]["configurationId"] == "to-lambda"
    assert first["s3"]["bucket"]["name"] == source.bucket
    assert first["s3"]["bucket"]["arn"] == source.arn
    assert first["s3"]["object"]["key"] == "in/a+b%2Bc%3Dd.txt"  # URL-encoded as S3 does
    assert first["s3"]["object"]["size"] == 8
    assert first["s3"]["object"]["eTag"] == "b60d991fa6dbd33863c7cec70d15dbac"  # md5(b"hello s3")
    assert second["s3"]["object"]["key"] == "in/second.txt"  # sequencer grows with each event
    assert "versionId" not in first["s3"]["object"]  # the bucket is not versioned
    assert first["requestParameters"]["sourceIPAddress"] == "127.0.0.1"


def test_s3_key_filters_still_decide_which_objects_notify(kit, role_arn):
    source = S3Source(kit)
    function = Function(kit, role_arn)
    grant(kit, source, function)
    kit.client("s3").put_bucket_notification_configuration(
        Bucket=source.bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [{
            "LambdaFunctionArn": function.arn, "Events": ["s3:ObjectCreated:Put"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"},
                                               {"Name": "suffix", "Value": ".jpg"}]}}}]})
    for key in ("out/a.jpg", "in/a.txt"):
        kit.client("s3").put_object(Bucket=source.bucket, Key=key, Body=b"x")
    assert function.queued() == 0
    kit.client("s3").put_object(Bucket=source.bucket, Key="in/a.jpg", Body=b"x")
    assert function.queued() == 1
    (report,) = function.reports()
    assert report["event"]["Records"][0]["s3"]["object"]["key"] == "in/a.jpg"


def test_s3_refuses_a_notification_configuration_it_cannot_validate(kit, role_arn):
    source = S3Source(kit)
    function = Function(kit, role_arn)
    grant(kit, source, function, source_arn=source.other_arn())
    s3 = kit.client("s3")
    with pytest.raises(ClientError) as refused:
        source.wire(function.arn)
    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (error["Code"], error["Message"]) == (
        "InvalidArgument", "Unable to validate the following destination configurations")
    assert error["ArgumentName1"] == f"{function.arn}, null"
    assert error["ArgumentValue1"] == f"Not authorized to invoke function [{function.arn}]"
    assert s3.get_bucket_notification_configuration(Bucket=source.bucket).get(
        "LambdaFunctionConfigurations") is None  # nothing was stored
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{unique('missing')}"
    with pytest.raises(ClientError) as not_found:
        source.wire(missing)
    assert not_found.value.response["Error"]["ArgumentName1"] == f"{missing}, null"
    grant(kit, source, function)
    source.wire(function.arn)  # now S3 may invoke it
    configs = s3.get_bucket_notification_configuration(Bucket=source.bucket)
    assert configs["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == function.arn


def test_s3_delivery_is_refused_once_the_permission_is_removed(kit, role_arn):
    source = S3Source(kit)
    function = Function(kit, role_arn)
    lam = kit.client("lambda")
    lam.add_permission(FunctionName=function.name, StatementId="s3", Principal=source.principal,
                       Action="lambda:InvokeFunction", SourceArn=source.arn,
                       SourceAccount=ACCOUNT)
    source.wire(function.arn)
    lam.remove_permission(FunctionName=function.name, StatementId="s3")
    source.fire()
    assert push_sources.recent_refusals()[-1].source_arn == source.arn
    assert function.queued() == 0 and function.runs() == []


# --------------------------------------------------------------------------- SNS


def test_sns_event_has_the_shape_sns_sends_and_filter_policies_apply(kit, role_arn):
    source = SNSSource(kit)
    function = Function(kit, role_arn)
    grant(kit, source, function)
    source.wire(function.arn, FilterPolicy=json.dumps({"kind": ["order"]}))
    source.fire(message="not for me", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "invoice"}})
    assert function.queued() == 0  # filtered out by SNS, never sent to Lambda
    fired = source.fire(message=json.dumps({"order": 7}), Subject="New order", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "count": {"DataType": "Number", "StringValue": "3"}})
    (report,) = function.reports()
    (record,) = report["event"]["Records"]
    sample = events.sns()["Records"][0]
    assert set(record) == set(sample) and set(record["Sns"]) == set(sample["Sns"])
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == source.subscription
    sns = record["Sns"]
    assert (sns["Type"], sns["MessageId"], sns["TopicArn"]) == ("Notification", fired["id"],
                                                               source.arn)
    assert (sns["Subject"], json.loads(sns["Message"])) == ("New order", {"order": 7})
    assert sns["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"},
                                        "count": {"Type": "Number", "Value": "3"}}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", sns["Timestamp"])
    assert sns["UnsubscribeUrl"] == (f"https://sns.{REGION}.amazonaws.com/?Action=Unsubscribe"
                                     f"&SubscriptionArn={source.subscription}")
    assert sns["SigningCertUrl"].startswith(f"https://sns.{REGION}.amazonaws.com/")
    assert sns["SignatureVersion"] == "1"  # a topic's default: SHA1withRSA
    verify_signature(sns, hashes.SHA1())
    assert function.queued() == 1
    kit.client("sns").set_topic_attributes(TopicArn=source.arn, AttributeName="SignatureVersion",
                                           AttributeValue="2")
    source.fire(message="signed with SHA256", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})
    (report,) = function.reports()
    sns = report["event"]["Records"][0]["Sns"]
    assert sns["SignatureVersion"] == "2" and sns["Subject"] is None
    verify_signature(sns, hashes.SHA256())
    with pytest.raises(InvalidSignature):
        verify_signature(dict(sns, Message="tampered"), hashes.SHA256())


def verify_signature(notification, algorithm):
    """Check a notification's signature as SNS's documentation says, with moto's certificate."""
    from moto.sns.models import sns_backends

    name = notification["SigningCertUrl"].rsplit("/", 1)[1]
    pem = sns_backends[ACCOUNT][REGION]._message_public_keys[name]
    x509.load_pem_x509_certificate(pem).public_key().verify(
        base64.b64decode(notification["Signature"]),
        push_sources.string_to_sign(notification).encode(), padding.PKCS1v15(), algorithm)


def test_sns_subscribe_succeeds_and_a_refused_delivery_counts_as_failed(kit, role_arn):
    source = SNSSource(kit)
    function = Function(kit, role_arn)
    source.wire(function.arn)  # Subscribe does not check the function's policy
    source.fire()
    source.fire()
    topic = source.arn.split(":")[-1]
    assert statistic(kit, "AWS/SNS", "NumberOfNotificationsFailed", {"TopicName": topic}) == 2
    assert statistic(kit, "AWS/SNS", "NumberOfNotificationsDelivered", {"TopicName": topic}) == 0
    assert function.queued() == 0
    grant(kit, source, function)
    source.fire()
    assert statistic(kit, "AWS/SNS", "NumberOfNotificationsDelivered", {"TopicName": topic}) == 1
    function.reports()


# --------------------------------------------------------------------------- EventBridge


def test_eventbridge_event_has_the_shape_eventbridge_sends(kit, role_arn):
    source = EventBridgeSource(kit)
    function = Function(kit, role_arn)
    grant(kit, source, function)
    source.wire(function.arn)
    source.fire(detail_type="OrderShipped")  # the rule's pattern does not match
    assert function.queued() == 0
    fired = source.fire()
    (report,) = function.reports()
    event = report["event"]
    assert set(event) == set(events.eventbridge())
    assert event["version"] == "0" and event["id"] == fired["id"]
    assert (event["detail-type"], event["source"]) == ("OrderPlaced", "lambdakit.shop")
    assert (event["account"], event["region"]) == (ACCOUNT, REGION)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert event["resources"] == ["arn:aws:s3:::shop/orders/1001"]
    assert event["detail"] == {"order": 1001, "items": ["book"]}
    dims = {"RuleName": source.rule}
    assert statistic(kit, "AWS/Events", "Invocations", dims) == 1
    assert statistic(kit, "AWS/Events", "FailedInvocations", dims) == 0


def test_eventbridge_counts_failed_invocations_and_a_disabled_rule_sends_nothing(kit, role_arn):
    source = EventBridgeSource(kit)
    function = Function(kit, role_arn)
    source.wire(function.arn)
    source.fire()
    dims = {"RuleName": source.rule}
    assert statistic(kit, "AWS/Events", "FailedInvocations", dims) == 1
    assert statistic(kit, "AWS/Events", "Invocations", dims) == 1
    grant(kit, source, function)
    source.events.disable_rule(Name=source.rule)
    source.fire()
    assert statistic(kit, "AWS/Events", "Invocations", dims) == 1
    assert function.queued() == 0


def test_eventbridge_sends_a_refused_event_to_the_target_dead_letter_queue(kit, role_arn):
    source = EventBridgeSource(kit)
    function = Function(kit, role_arn)
    dlq_url, dlq_arn = queue(kit)
    kit.client("sqs").set_queue_attributes(QueueUrl=dlq_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": dlq_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": source.arn}}}]})})
    _, closed_arn = queue(kit)  # no queue policy: EventBridge may not send to it
    source.wire(function.arn, DeadLetterConfig={"Arn": dlq_arn})
    fired = source.fire()
    (dead,) = receive(kit, dlq_url)
    assert dead["Json"]["id"] == fired["id"] and dead["Json"]["detail"]["order"] == 1001
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == source.arn and attributes["TARGET_ARN"] == function.arn
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS"
    assert attributes["ERROR_MESSAGE"].startswith("User: events.amazonaws.com is not authorized")
    dims = {"RuleName": source.rule}
    assert statistic(kit, "AWS/Events", "InvocationsSentToDlq", dims) == 1
    source.wire(function.arn, DeadLetterConfig={"Arn": closed_arn})
    source.fire()
    assert statistic(kit, "AWS/Events", "InvocationsFailedToBeSentToDlq", dims) == 1
    assert statistic(kit, "AWS/Events", "FailedInvocations", dims) == 2
    assert function.queued() == 0


def test_eventbridge_target_input_and_input_transformer(kit, role_arn):
    source = EventBridgeSource(kit)
    function = Function(kit, role_arn)
    grant(kit, source, function)
    source.events.put_targets(Rule=source.rule, Targets=[
        {"Id": "constant", "Arn": function.arn, "Input": json.dumps({"fixed": True})},
        {"Id": "path", "Arn": function.arn, "InputPath": "$.detail"},
        {"Id": "template", "Arn": function.arn, "InputTransformer": {
            "InputPathsMap": {"order": "$.detail.order", "kind": "$.detail-type"},
            "InputTemplate": '{"order": <order>, "kind": "<kind>"}'}}])
    source.fire()
    got = [r["event"] for r in function.reports(3)]
    assert sorted(got, key=json.dumps) == sorted(
        [{"fixed": True}, {"order": 1001, "items": ["book"]},
         {"order": 1001, "kind": "OrderPlaced"}], key=json.dumps)


def test_s3_events_reach_a_function_through_eventbridge(kit, role_arn):
    bucket = S3Source(kit)
    kit.client("s3").put_bucket_notification_configuration(
        Bucket=bucket.bucket, NotificationConfiguration={"EventBridgeConfiguration": {}})
    rule = unique("s3-rule")
    eb = kit.client("events")
    rule_arn = eb.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket.bucket]}}}))["RuleArn"]
    function = Function(kit, role_arn)
    kit.client("lambda").add_permission(
        FunctionName=function.name, StatementId="eb", Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com", SourceArn=rule_arn, SourceAccount=ACCOUNT)
    eb.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": function.arn}])
    kit.client("s3").put_object(Bucket=bucket.bucket, Key="in/a b.txt", Body=b"hello s3")
    (report,) = function.reports()
    event = report["event"]
    assert set(event) == set(events.eventbridge())
    assert (event["source"], event["detail-type"]) == ("aws.s3", "Object Created")
    assert event["resources"] == [bucket.arn] and event["account"] == ACCOUNT
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    detail = event["detail"]
    assert detail["bucket"] == {"name": bucket.bucket} and detail["reason"] == "PutObject"
    assert detail["object"]["key"] == "in/a b.txt"  # not URL-encoded in EventBridge events
    assert (detail["object"]["size"], detail["object"]["etag"]) == (
        8, "b60d991fa6dbd33863c7cec70d15dbac")
    assert detail["requester"] == ACCOUNT and detail["source-ip-address"] == "127.0.0.1"


def test_create_bucket_events_of_moto_reach_a_permitted_rule_target(kit, role_arn):
    eb, rule = kit.client("events"), unique("create-rule")
    rule_arn = eb.put_rule(Name=rule, EventPattern=json.dumps(
        {"source": ["aws.s3"], "detail": {"eventName": ["CreateBucket"]}}))["RuleArn"]
    function = Function(kit, role_arn)
    eb.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": function.arn}])
    try:
        S3Source(kit)  # refused: no permission yet
        assert push_sources.recent_refusals()[-1].source_arn == rule_arn
        assert function.queued() == 0
        grant(kit, SimpleNamespace(principal=EventBridgeSource.principal, arn=rule_arn),
              function)
        bucket = S3Source(kit)
        (report,) = function.reports()
        assert report["event"]["resources"] == [bucket.arn]
        assert report["event"]["source"] == "aws.s3"
    finally:
        eb.remove_targets(Rule=rule, Ids=["fn"])
        eb.delete_rule(Name=rule)
