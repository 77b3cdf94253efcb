"""lambdakit.events: sample events in the shapes AWS sends, and handlers that consume them."""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import doctest
import hashlib
import json
import re
import subprocess
import sys
import urllib.parse
import uuid

import pytest

from lambdakit import events

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ISO_S = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
CLF = re.compile(r"^\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000$")
ALL = [events.api_gateway_proxy, events.http_api, events.s3_put, events.s3_delete, events.sns,
       events.sqs, events.eventbridge, events.dynamodb_stream, events.kinesis]


def _is_uuid4(value):
    return uuid.UUID(value).version == 4


def test_docstring_examples_run():
    assert doctest.testmod(events).failed == 0


@pytest.mark.parametrize("make", ALL, ids=lambda f: f.__name__)
def test_every_source_is_json_documented_and_deterministic_with_a_seed(make):
    assert make.__doc__ and ">>>" in make.__doc__
    event = make(seed=7)
    assert json.loads(json.dumps(event)) == event
    assert make(seed=7) == event
    assert make(seed=8) != event
    assert make() != make()  # fresh ids without a seed
    later = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert make(seed=7, time=later) != event
    if make not in (events.s3_put, events.s3_delete):  # S3 notifications name no account
        assert "123456789012" in json.dumps(event)
        assert "111122223333" in json.dumps(make(account="111122223333"))


def test_importing_lambdakit_does_not_import_the_events_module():
    code = "import sys, lambdakit; print('lambdakit.events' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_rest_api_event_has_the_format_1_0_shape():
    event = events.api_gateway_proxy("post", "/orders/7", {"item": "book"},
                                     headers={"X-Trace": ["a", "b"]}, query={"tag": ["x", "y"], "dry": 1},
                                     path_parameters={"id": "7"}, resource="/orders/{id}", seed=1)
    assert set(event) == {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                          "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                          "stageVariables", "requestContext", "body", "isBase64Encoded"}
    assert (event["httpMethod"], event["path"], event["resource"]) == ("POST", "/orders/7", "/orders/{id}")
    assert json.loads(event["body"]) == {"item": "book"} and event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"tag": "y", "dry": "1"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"], "dry": ["1"]}
    assert event["multiValueHeaders"]["X-Trace"] == ["a", "b"]
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["pathParameters"] == {"id": "7"} and event["stageVariables"] is None
    context = event["requestContext"]
    assert context["accountId"] == "123456789012" and context["stage"] == "prod"
    assert context["path"] == "/prod/orders/7" and _is_uuid4(context["requestId"])
    assert CLF.match(context["requestTime"]) and isinstance(context["requestTimeEpoch"], int)
    assert context["identity"]["sourceIp"] and context["domainName"].endswith(".execute-api.us-east-1.amazonaws.com")
    bare = events.api_gateway_proxy()
    assert bare["body"] is None and bare["queryStringParameters"] is None and bare["pathParameters"] is None


def test_binary_bodies_are_base64_encoded():
    rest = events.api_gateway_proxy("PUT", "/img", b"\x89PNG\x00")
    http = events.http_api("PUT", "/img", b"\x89PNG\x00")
    for event in (rest, http):
        assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x89PNG\x00"


def test_http_api_event_has_the_format_2_0_shape():
    event = events.http_api("GET", "/items/7", headers={"X-Trace": ["a", "b"]},
                            query={"tag": ["a", "b"], "q": "z"}, cookies=["s=1", "t=2"],
                            route_key="GET /items/{id}", path_parameters={"id": "7"}, seed=1)
    assert event["version"] == "2.0" and event["routeKey"] == "GET /items/{id}"
    assert event["rawPath"] == "/items/7" and event["rawQueryString"] == "tag=a&tag=b&q=z"
    assert event["queryStringParameters"] == {"tag": "a,b", "q": "z"}
    assert event["headers"]["x-trace"] == "a,b" and all(k == k.lower() for k in event["headers"])
    assert event["cookies"] == ["s=1", "t=2"] and "multiValueHeaders" not in event
    assert "body" not in event and event["isBase64Encoded"] is False
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"], http["protocol"]) == ("GET", "/items/7", "HTTP/1.1")
    assert CLF.match(event["requestContext"]["time"])
    assert isinstance(event["requestContext"]["timeEpoch"], int)


def test_s3_events_follow_the_notification_structure():
    event = events.s3_put("photos", "cats/my tom.jpg", body=b"meow", seed=1)
    (record,) = event["Records"]
    assert (record["eventVersion"], record["eventSource"], record["eventName"]) == ("2.1", "aws:s3",
                                                                                   "ObjectCreated:Put")
    assert record["awsRegion"] == "us-east-1" and ISO_MS.match(record["eventTime"])
    s3 = record["s3"]
    assert s3["s3SchemaVersion"] == "1.0"
    assert s3["bucket"]["name"] == "photos" and s3["bucket"]["arn"] == "arn:aws:s3:::photos"
    assert s3["object"]["key"] == "cats/my+tom.jpg"  # URL-encoded, as S3 sends it
    assert urllib.parse.unquote_plus(s3["object"]["key"]) == "cats/my tom.jpg"
    assert s3["object"]["size"] == 4 and s3["object"]["eTag"] == hashlib.md5(b"meow").hexdigest()
    assert re.fullmatch(r"[0-9A-F]{18}", s3["object"]["sequencer"])
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    removed = events.s3_delete("photos", "cats/tom.jpg", version_id="v2")["Records"][0]
    assert removed["eventName"] == "ObjectRemoved:Delete"
    assert set(removed["s3"]["object"]) == {"key", "versionId", "sequencer"}


def test_sns_event_shape():
    event = events.sns({"order": 1001}, subject="New order",
                       attributes={"kind": "order", "count": 2, "blob": b"\x00"}, seed=1)
    (record,) = event["Records"]
    assert (record["EventSource"], record["EventVersion"]) == ("aws:sns", "1.0")
    message = record["Sns"]
    assert record["EventSubscriptionArn"].startswith(message["TopicArn"] + ":")
    assert message["TopicArn"] == "arn:aws:sns:us-east-1:123456789012:sample-topic"
    assert message["Type"] == "Notification" and _is_uuid4(message["MessageId"])
    assert json.loads(message["Message"]) == {"order": 1001} and message["Subject"] == "New order"
    assert ISO_MS.match(message["Timestamp"]) and message["SignatureVersion"] == "1"
    assert message["SigningCertUrl"].startswith("https://sns.us-east-1.amazonaws.com/")
    assert message["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"},
                                            "count": {"Type": "Number", "Value": "2"},
                                            "blob": {"Type": "Binary", "Value": "AA=="}}
    assert events.sns("hi")["Records"][0]["Sns"]["Subject"] is None


def test_sqs_batch_has_real_md5s_and_ids():
    event = events.sqs(["first", {"n": 2}, "héllo"], attributes={"kind": "order"}, receive_count=3, seed=1)
    assert len(event["Records"]) == 3
    for record in event["Records"]:
        assert set(record) >= {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
                               "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"}
        assert _is_uuid4(record["messageId"]) and record["receiptHandle"].startswith("AQEB")
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode("utf-8")).hexdigest()
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:sample-queue"
        attributes = record["attributes"]
        assert attributes["ApproximateReceiveCount"] == "3"
        assert attributes["SentTimestamp"].isdigit() and attributes["ApproximateFirstReceiveTimestamp"].isdigit()
        assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert json.loads(event["Records"][1]["body"]) == {"n": 2}
    assert len({r["messageId"] for r in event["Records"]}) == 3
    single = events.sqs("just one")
    assert [r["body"] for r in single["Records"]] == ["just one"]
    assert "md5OfMessageAttributes" not in single["Records"][0]
    fifo = events.sqs(["a", "b"], "arn:aws:sqs:us-east-1:123456789012:orders.fifo", message_group_id="g7")
    first, second = (r["attributes"] for r in fifo["Records"])
    assert first["MessageGroupId"] == "g7" and int(second["SequenceNumber"]) > int(first["SequenceNumber"])


def test_sqs_md5s_match_what_the_queue_itself_computes(deploy):
    """Send the same body and attributes to a real (moto) queue: the MD5s agree."""
    client = deploy.client("sqs")
    url = client.create_queue(QueueName=f"md5-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    body, attributes = '{"order": 1001}', {"kind": "order", "count": 2}
    sent = client.send_message(QueueUrl=url, MessageBody=body, MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"},
        "count": {"DataType": "Number", "StringValue": "2"}})
    record = events.sqs([body], attributes=attributes)["Records"][0]
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    client.delete_queue(QueueUrl=url)


def test_eventbridge_envelope():
    event = events.eventbridge("com.example.orders", "OrderPlaced", {"order_id": "1001"},
                               resources=["arn:aws:s3:::photos"], seed=1)
    assert set(event) == {"version", "id", "detail-type", "source", "account", "time", "region",
                          "resources", "detail"}
    assert event["version"] == "0" and _is_uuid4(event["id"]) and ISO_S.match(event["time"])
    assert (event["account"], event["region"]) == ("123456789012", "us-east-1")
    assert event["detail"] == {"order_id": "1001"} and event["resources"] == ["arn:aws:s3:::photos"]
    assert events.eventbridge(account="111122223333", region="eu-west-1")["region"] == "eu-west-1"


def test_dynamodb_stream_records_and_dynamodb_json():
    event = events.dynamodb_stream([
        {"new": {"id": "1", "qty": 2, "price": decimal.Decimal("9.99"), "tags": {"a", "b"}}},
        {"old": {"id": "1", "qty": 2}, "new": {"id": "1", "qty": 3, "gift": True, "note": None}},
        {"old": {"id": "1", "qty": 3}},
    ], table="orders", seed=1)
    insert, modify, remove = event["Records"]
    assert [r["eventName"] for r in event["Records"]] == ["INSERT", "MODIFY", "REMOVE"]
    for record in event["Records"]:
        assert (record["eventSource"], record["eventVersion"]) == ("aws:dynamodb", "1.1")
        assert re.fullmatch(r"[0-9a-f]{32}", record["eventID"])
        assert re.fullmatch(r"arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/"
                            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", record["eventSourceARN"])
        body = record["dynamodb"]
        assert body["Keys"] == {"id": {"S": "1"}} and body["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert isinstance(body["ApproximateCreationDateTime"], int) and body["SizeBytes"] > 0
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in event["Records"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert "OldImage" not in insert["dynamodb"] and "NewImage" not in remove["dynamodb"]
    assert insert["dynamodb"]["NewImage"]["qty"] == {"N": "2"}
    assert insert["dynamodb"]["NewImage"]["price"] == {"N": "9.99"}
    assert insert["dynamodb"]["NewImage"]["tags"] == {"SS": ["a", "b"]}
    assert modify["dynamodb"]["NewImage"]["gift"] == {"BOOL": True}
    assert modify["dynamodb"]["NewImage"]["note"] == {"NULL": True}
    assert {k: events.from_dynamodb_json(v) for k, v in modify["dynamodb"]["OldImage"].items()} == {
        "id": "1", "qty": 2}
    keys_only = events.dynamodb_stream([{"new": {"id": "9", "x": 1}}], view_type="KEYS_ONLY")
    assert set(keys_only["Records"][0]["dynamodb"]) == {
        "ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes", "StreamViewType"}
    with pytest.raises(ValueError, match="key attribute 'id'"):
        events.dynamodb_stream([{"new": {"sku": "9"}}])
    with pytest.raises(ValueError, match="view_type"):
        events.dynamodb_stream(view_type="EVERYTHING")


@pytest.mark.parametrize("value", [
    "text", 7, -2, decimal.Decimal("0.1"), True, False, None, b"\x00\x01", [1, "a", None],
    {"nested": {"list": [{"deep": 1}]}}, {"a", "b"}, {1, 2}, {b"x", b"y"}])
def test_dynamodb_json_round_trips(value):
    typed = events.to_dynamodb_json(value)
    assert len(typed) == 1 and next(iter(typed)) in {"S", "N", "BOOL", "NULL", "B", "L", "M", "SS", "NS", "BS"}
    assert json.loads(json.dumps(typed)) == typed
    assert events.from_dynamodb_json(typed) == value


def test_dynamodb_json_matches_boto3s_serializer():
    from boto3.dynamodb.types import TypeSerializer

    item = {"id": "1", "qty": 2, "price": decimal.Decimal("9.99"), "ok": True, "none": None,
            "raw": b"\x01", "list": [1, "x"], "map": {"k": "v"}, "ss": {"a"}, "ns": {3}}
    serializer = TypeSerializer()
    expected = {k: serializer.serialize(v) for k, v in item.items()}
    expected["raw"] = {"B": base64.b64encode(b"\x01").decode()}  # JSON carries binary as base64
    assert {k: events.to_dynamodb_json(v) for k, v in item.items()} == expected


def test_kinesis_records_decode_and_keep_order():
    event = events.kinesis([b"\x00raw", "text", {"temp": 21.5}], stream="telemetry", partition_key="sensor-1",
                           seed=1)
    records = event["Records"]
    assert [base64.b64decode(r["kinesis"]["data"]) for r in records] == [
        b"\x00raw", b"text", b'{"temp": 21.5}']
    numbers = [int(r["kinesis"]["sequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and all(len(str(n)) == 56 for n in numbers)
    for record in records:
        assert (record["eventSource"], record["eventName"], record["eventVersion"]) == (
            "aws:kinesis", "aws:kinesis:record", "1.0")
        assert record["eventID"] == f"shardId-000000000000:{record['kinesis']['sequenceNumber']}"
        assert record["eventSourceARN"] == "arn:aws:kinesis:us-east-1:123456789012:stream/telemetry"
        assert record["kinesis"]["partitionKey"] == "sensor-1"
        assert record["kinesis"]["kinesisSchemaVersion"] == "1.0"
        assert isinstance(record["kinesis"]["approximateArrivalTimestamp"], float)
        assert record["invokeIdentityArn"].startswith("arn:aws:iam::123456789012:role/")


CONSUMER = """
import base64, json
from urllib.parse import unquote_plus

def handler(event, context):
    if "Records" not in event:
        if event.get("version") == "2.0":
            return {"statusCode": 200, "body": event["rawPath"] + "?" + event["rawQueryString"]}
        if "httpMethod" in event:
            return {"statusCode": 201, "body": json.loads(event["body"])["item"]}
        return {"eventbridge": event["detail-type"] + ":" + event["detail"]["order_id"]}
    record = event["Records"][0]
    source = record.get("eventSource") or record.get("EventSource")
    if source == "aws:s3":
        return {"s3": record["s3"]["bucket"]["name"] + "/" + unquote_plus(record["s3"]["object"]["key"])}
    if source == "aws:sns":
        return {"sns": json.loads(record["Sns"]["Message"])["order"]}
    if source == "aws:sqs":
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"] if json.loads(r["body"]).get("bad")]}
    if source == "aws:dynamodb":
        return {"dynamodb": [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in event["Records"]]}
    if source == "aws:kinesis":
        return {"kinesis": [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]}
"""


def test_a_deployed_handler_consumes_every_sample_event(deploy):
    name = deploy.create(CONSUMER)

    def call(event):
        response = deploy.invoke(name, event)
        assert "FunctionError" not in response, response["Body"]
        return response["Body"]

    assert call(events.s3_put("photos", "cats/my tom.jpg")) == {"s3": "photos/cats/my tom.jpg"}
    assert call(events.sns({"order": 1001})) == {"sns": 1001}
    batch = events.sqs([{"ok": 1}, {"bad": 1}, {"ok": 2}])
    assert call(batch) == {"batchItemFailures": [{"itemIdentifier": batch["Records"][1]["messageId"]}]}
    assert call(events.dynamodb_stream([{"new": {"id": "7"}}, {"old": {"id": "8"}}])) == {
        "dynamodb": [["INSERT", "7"], ["REMOVE", "8"]]}
    assert call(events.kinesis(["a", "b"])) == {"kinesis": ["a", "b"]}
    assert call(events.eventbridge(detail={"order_id": "1001"})) == {"eventbridge": "OrderPlaced:1001"}
    assert call(events.api_gateway_proxy("POST", "/orders", {"item": "book"})) == {
        "statusCode": 201, "body": "book"}
    assert call(events.http_api("GET", "/items", query={"q": "x"})) == {"statusCode": 200, "body": "/items?q=x"}
