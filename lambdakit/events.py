"""Sample events for the common event sources, like ``sam local generate-event``.

Each function returns a plain dict in the shape the AWS service really sends to
a Lambda function, so a handler tested with it in a notebook reads the same keys
in production. Pass the dict straight to ``invoke``::

    >>> from lambdakit import events
    >>> event = events.s3_put("photos", "cats/tom.jpg", size=2048)
    >>> event["Records"][0]["s3"]["object"]["key"]
    'cats/tom.jpg'
    >>> lam.invoke(FunctionName="thumbnailer", Payload=json.dumps(event))  # doctest: +SKIP

Sources: :func:`api_gateway_proxy` (REST API, payload format 1.0),
:func:`http_api` (HTTP API, payload format 2.0), :func:`s3_put` and
:func:`s3_delete`, :func:`sns`, :func:`sqs`, :func:`eventbridge`,
:func:`dynamodb_stream` and :func:`kinesis`.

Every function takes ``account`` (default ``123456789012``), ``region``
(default ``us-east-1``), ``seed`` and ``time``. Ids (request ids, message ids,
receipt handles, sequence numbers) are random unless ``seed`` is given; with a
seed and no ``time`` the timestamps are fixed too (:data:`REFERENCE_TIME`), so
the same call returns the same event every time. Timestamps follow each
source: ISO 8601 strings for S3, SNS and EventBridge, epoch milliseconds as
strings for SQS, epoch seconds as numbers for Kinesis and DynamoDB Streams,
and the Apache-log style ``25/Nov/2026:09:30:00 +0000`` for API Gateway.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import random
import struct
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "api_gateway_proxy", "http_api", "s3_put", "s3_delete", "sns", "sqs", "eventbridge",
    "dynamodb_stream", "kinesis", "to_dynamodb_json", "from_dynamodb_json", "sqs_md5_of_attributes",
    "ACCOUNT", "REGION", "REFERENCE_TIME",
]

ACCOUNT = "123456789012"
REGION = "us-east-1"
#: The time every seeded event uses unless ``time=`` is passed.
REFERENCE_TIME = dt.datetime(2026, 1, 15, 9, 30, 0, 123000, tzinfo=dt.timezone.utc)
_USER_AGENT = "Mozilla/5.0 (lambdakit sample event)"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class _Gen:
    """Ids and a clock: seeded (reproducible) or random (fresh every call)."""

    def __init__(self, seed: int | str | None, time: dt.datetime | None):
        self.rng = random.Random(seed) if seed is not None else random.SystemRandom()
        if time is None:
            time = REFERENCE_TIME if seed is not None else dt.datetime.now(dt.timezone.utc)
        elif time.tzinfo is None:
            time = time.replace(tzinfo=dt.timezone.utc)
        self.time = time.astimezone(dt.timezone.utc)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, length: int, upper: bool = False) -> str:
        value = "".join(self.rng.choice("0123456789abcdef") for _ in range(length))
        return value.upper() if upper else value

    def token(self, nbytes: int) -> str:
        return base64.b64encode(bytes(self.rng.getrandbits(8) for _ in range(nbytes))).decode()

    def alnum(self, length: int) -> str:
        return "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(length))

    def digits(self, length: int) -> str:
        return str(self.rng.randint(1, 9)) + "".join(self.rng.choice("0123456789") for _ in range(length - 1))

    # clocks, each in its source's own format
    def iso_ms(self, at: dt.datetime | None = None) -> str:          # 2026-01-15T09:30:00.123Z
        at = at or self.time
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

    def iso_s(self) -> str:                                           # 2026-01-15T09:30:00Z
        return self.time.strftime("%Y-%m-%dT%H:%M:%SZ")

    def epoch_ms(self, offset_ms: int = 0) -> int:
        return int(self.time.timestamp() * 1000) + offset_ms

    def clf(self) -> str:                                             # 15/Jan/2026:09:30:00 +0000
        t = self.time
        return f"{t.day:02d}/{_MONTHS[t.month - 1]}/{t.year}:{t:%H:%M:%S} +0000"


def _body_text(body: Any) -> str:
    if isinstance(body, (dict, list)):
        return json.dumps(body)
    if isinstance(body, bytes):
        return body.decode("utf-8")
    return str(body)


def _multi(values: Mapping[str, Any] | None) -> dict[str, list[str]] | None:
    if not values:
        return None
    return {k: [str(x) for x in v] if isinstance(v, (list, tuple)) else [str(v)] for k, v in values.items()}


# --------------------------------------------------------------------------- API Gateway


def _http_body(body: Any, base64_encoded: bool | None) -> tuple[str | None, bool]:
    if body is None:
        return None, False
    if isinstance(body, bytes) and base64_encoded is not False:
        return base64.b64encode(body).decode(), True
    if base64_encoded:
        return base64.b64encode(_body_text(body).encode()).decode(), True
    return _body_text(body), False


def api_gateway_proxy(method: str = "GET", path: str = "/", body: Any = None, *,
                      headers: Mapping[str, Any] | None = None, query: Mapping[str, Any] | None = None,
                      path_parameters: Mapping[str, str] | None = None, resource: str | None = None,
                      stage: str = "prod", stage_variables: Mapping[str, str] | None = None,
                      source_ip: str = "203.0.113.10", base64_encoded: bool | None = None,
                      account: str = ACCOUNT, region: str = REGION, seed: int | str | None = None,
                      time: dt.datetime | None = None) -> dict[str, Any]:
    """A REST API (API Gateway v1) Lambda proxy event, payload format 1.0.

    ``body`` may be a str, a dict (sent as JSON) or bytes (base64 encoded, as
    API Gateway does for binary media). ``query`` values may be lists, which
    fill ``multiValueQueryStringParameters`` (``queryStringParameters`` keeps
    the last value, as API Gateway does). Missing parts are ``None``, like the
    real event.

    >>> api_gateway_proxy("POST", "/orders", {"item": "book"}, query={"dry": "1"})["httpMethod"]
    'POST'
    """
    g = _Gen(seed, time)
    api_id = g.alnum(10)
    body_text, encoded = _http_body(body, base64_encoded)
    host = f"{api_id}.execute-api.{region}.amazonaws.com"
    all_headers = {"Accept": "*/*", "Host": host, "User-Agent": _USER_AGENT,
                   "X-Amzn-Trace-Id": f"Root=1-{int(g.time.timestamp()):08x}-{g.hex(24)}",
                   "X-Forwarded-For": source_ip, "X-Forwarded-Port": "443", "X-Forwarded-Proto": "https"}
    if isinstance(body, (dict, list)):
        all_headers["Content-Type"] = "application/json"
    all_headers.update({k: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
                        for k, v in (headers or {}).items()})
    multi_headers = _multi(headers) or {}
    multi_headers = {**{k: [v] for k, v in all_headers.items()}, **multi_headers}
    multi_query = _multi(query)
    resource = resource or path
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": all_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": {k: v[-1] for k, v in multi_query.items()} if multi_query else None,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": dict(stage_variables) if stage_variables else None,
        "requestContext": {
            "resourceId": g.alnum(6),
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "extendedRequestId": g.token(12).rstrip("=").replace("/", "A").replace("+", "B") + "=",
            "requestTime": g.clf(),
            "path": f"/{stage}{path}",
            "accountId": account,
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": api_id,
            "requestTimeEpoch": g.epoch_ms(),
            "requestId": g.uuid(),
            "identity": {
                "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
                "caller": None, "sourceIp": source_ip, "principalOrgId": None, "accessKey": None,
                "cognitoAuthenticationType": None, "cognitoAuthenticationProvider": None,
                "userArn": None, "userAgent": _USER_AGENT, "user": None,
            },
            "domainName": host,
            "apiId": api_id,
        },
        "body": body_text,
        "isBase64Encoded": encoded,
    }


def http_api(method: str = "GET", path: str = "/", body: Any = None, *,
             headers: Mapping[str, Any] | None = None, query: Mapping[str, Any] | None = None,
             cookies: Iterable[str] | None = None, path_parameters: Mapping[str, str] | None = None,
             route_key: str = "$default", stage: str = "$default",
             stage_variables: Mapping[str, str] | None = None, source_ip: str = "203.0.113.10",
             base64_encoded: bool | None = None, account: str = ACCOUNT, region: str = REGION,
             seed: int | str | None = None, time: dt.datetime | None = None) -> dict[str, Any]:
    """An HTTP API (API Gateway v2) Lambda proxy event, payload format 2.0.

    Differences from :func:`api_gateway_proxy` follow the format: header names
    are lower case, repeated headers and query values are joined with commas,
    cookies have their own list, ``rawPath``/``rawQueryString`` carry the
    request line, and missing parts are left out rather than ``None``.

    >>> http_api("GET", "/items/7", query={"tag": ["a", "b"]})["queryStringParameters"]
    {'tag': 'a,b'}
    """
    g = _Gen(seed, time)
    api_id = g.alnum(10)
    host = f"{api_id}.execute-api.{region}.amazonaws.com"
    body_text, encoded = _http_body(body, base64_encoded)
    all_headers = {"accept": "*/*", "host": host,
                   "user-agent": _USER_AGENT,
                   "x-amzn-trace-id": f"Root=1-{int(g.time.timestamp()):08x}-{g.hex(24)}",
                   "x-forwarded-for": source_ip, "x-forwarded-port": "443", "x-forwarded-proto": "https"}
    if body_text is not None:
        all_headers["content-length"] = str(len(body_text))
    if isinstance(body, (dict, list)):
        all_headers["content-type"] = "application/json"
    all_headers.update({k.lower(): ",".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v)
                        for k, v in (headers or {}).items()})
    multi_query = _multi(query)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": urllib.parse.urlencode(
            [(k, v) for k, vs in (multi_query or {}).items() for v in vs]),
    }
    if cookies:
        event["cookies"] = list(cookies)
    event["headers"] = all_headers
    if multi_query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in multi_query.items()}
    event["requestContext"] = {
        "accountId": account,
        "apiId": api_id,
        "domainName": host,
        "domainPrefix": api_id,
        "http": {"method": method.upper(), "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": source_ip, "userAgent": _USER_AGENT},
        "requestId": g.token(12).rstrip("=").replace("/", "A").replace("+", "B") + "=",
        "routeKey": route_key,
        "stage": stage,
        "time": g.clf(),
        "timeEpoch": g.epoch_ms(),
    }
    if body_text is not None:
        event["body"] = body_text
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    event["isBase64Encoded"] = encoded
    if stage_variables:
        event["stageVariables"] = dict(stage_variables)
    return event


# --------------------------------------------------------------------------- S3


def _s3_event(event_name: str, bucket: str, key: str, obj: dict[str, Any], g: _Gen, region: str,
              account: str, configuration_id: str) -> dict[str, Any]:
    principal = f"AWS:AIDA{g.alnum(17).upper()}"
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": g.iso_ms(),
        "eventName": event_name,
        "userIdentity": {"principalId": principal},
        "requestParameters": {"sourceIPAddress": "203.0.113.10"},
        "responseElements": {"x-amz-request-id": g.hex(16, upper=True),
                             "x-amz-id-2": g.token(48)},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": f"A{g.alnum(13).upper()}"},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": urllib.parse.quote_plus(key, safe="/"), **obj,
                       "sequencer": g.hex(18, upper=True)},
        },
    }]}


def s3_put(bucket: str = "amzn-s3-demo-bucket", key: str = "uploads/example.txt", size: int | None = None,
           *, body: bytes | str | None = None, version_id: str | None = None,
           event_name: str = "ObjectCreated:Put", configuration_id: str = "lambdakit-notification",
           account: str = ACCOUNT, region: str = REGION, seed: int | str | None = None,
           time: dt.datetime | None = None) -> dict[str, Any]:
    """An S3 event notification for a new object (``ObjectCreated:Put``).

    Pass ``body`` to get the real ``size`` and ``eTag`` (the MD5 of the content,
    as S3 gives for a single-part upload). The key is URL-encoded the way S3
    encodes it (a space becomes ``+``): decode it with
    ``urllib.parse.unquote_plus`` before calling S3 with it. S3 notifications
    carry no account id, so ``account`` is accepted only for symmetry.

    >>> s3_put("photos", "cats/tom.jpg", size=2048)["Records"][0]["s3"]["object"]["size"]
    2048
    """
    g = _Gen(seed, time)
    if body is not None:
        data = body.encode() if isinstance(body, str) else body
        size = len(data) if size is None else size
        etag = hashlib.md5(data).hexdigest()
    else:
        size = 1024 if size is None else size
        etag = g.hex(32)
    obj: dict[str, Any] = {"size": size, "eTag": etag}
    if version_id is not None:
        obj["versionId"] = version_id
    return _s3_event(event_name, bucket, key, obj, g, region, account, configuration_id)


def s3_delete(bucket: str = "amzn-s3-demo-bucket", key: str = "uploads/example.txt", *,
              version_id: str | None = None, event_name: str = "ObjectRemoved:Delete",
              configuration_id: str = "lambdakit-notification", account: str = ACCOUNT,
              region: str = REGION, seed: int | str | None = None,
              time: dt.datetime | None = None) -> dict[str, Any]:
    """An S3 event notification for a removed object (``ObjectRemoved:Delete``).

    Like S3, the object has no size or eTag any more, only its key and sequencer
    (and ``versionId`` in a versioned bucket). Use
    ``event_name="ObjectRemoved:DeleteMarkerCreated"`` for a delete in a
    versioned bucket.

    >>> s3_delete("photos", "cats/tom.jpg")["Records"][0]["eventName"]
    'ObjectRemoved:Delete'
    """
    g = _Gen(seed, time)
    obj = {"versionId": version_id} if version_id is not None else {}
    return _s3_event(event_name, bucket, key, obj, g, region, account, configuration_id)


# --------------------------------------------------------------------------- SNS


def sns(message: Any = "Hello from SNS", topic_arn: str | None = None, subject: str | None = None, *,
        attributes: Mapping[str, Any] | None = None, account: str = ACCOUNT, region: str = REGION,
        seed: int | str | None = None, time: dt.datetime | None = None) -> dict[str, Any]:
    """An SNS notification delivered to a subscribed function.

    ``message`` may be a str or a dict (sent as JSON text, so the handler
    calls ``json.loads(record["Sns"]["Message"])``). ``topic_arn`` defaults to
    a topic named ``sample-topic``; ``attributes`` become ``MessageAttributes``
    (str values as ``String``, numbers as ``Number``, bytes as ``Binary``).

    >>> sns({"order": 1001}, subject="New order")["Records"][0]["Sns"]["Subject"]
    'New order'
    """
    g = _Gen(seed, time)
    topic_arn = topic_arn or f"arn:aws:sns:{region}:{account}:sample-topic"
    region = topic_arn.split(":")[3] or region
    subscription_arn = f"{topic_arn}:{g.uuid()}"
    message_attributes = {}
    for name, value in (attributes or {}).items():
        if isinstance(value, bytes):
            message_attributes[name] = {"Type": "Binary", "Value": base64.b64encode(value).decode()}
        elif isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
            message_attributes[name] = {"Type": "Number", "Value": str(value)}
        else:
            message_attributes[name] = {"Type": "String", "Value": str(value)}
    return {"Records": [{
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": "Notification",
            "MessageId": g.uuid(),
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message": _body_text(message),
            "Timestamp": g.iso_ms(),
            "SignatureVersion": "1",
            "Signature": g.token(256),
            "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-{g.hex(32)}.pem",
            "UnsubscribeUrl": (f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn="
                               f"{subscription_arn}"),
            "MessageAttributes": message_attributes,
        },
    }]}


# --------------------------------------------------------------------------- SQS


def _sqs_attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"binaryValue": base64.b64encode(value).decode(), "stringListValues": [],
                "binaryListValues": [], "dataType": "Binary"}
    if isinstance(value, (int, float, decimal.Decimal)) and not isinstance(value, bool):
        return {"stringValue": str(value), "stringListValues": [], "binaryListValues": [],
                "dataType": "Number"}
    return {"stringValue": str(value), "stringListValues": [], "binaryListValues": [], "dataType": "String"}


def sqs_md5_of_attributes(message_attributes: Mapping[str, Mapping[str, Any]]) -> str:
    """The MD5 SQS computes over message attributes (``md5OfMessageAttributes``).

    For each attribute in name order: the length-prefixed name, the
    length-prefixed data type, one transport byte (1 string, 2 binary) and the
    length-prefixed value, all hashed together.

    >>> sqs_md5_of_attributes({"a": {"dataType": "String", "stringValue": "b"}})
    'bef8bf215374a0a228d67533b1a488be'
    """
    digest = hashlib.md5()

    def chunk(data: bytes) -> None:
        digest.update(struct.pack(">I", len(data)) + data)

    for name in sorted(message_attributes):
        attribute = message_attributes[name]
        chunk(name.encode())
        chunk(attribute["dataType"].encode())
        if "binaryValue" in attribute and attribute.get("binaryValue") is not None:
            digest.update(b"\x02")
            chunk(base64.b64decode(attribute["binaryValue"]))
        else:
            digest.update(b"\x01")
            chunk(str(attribute["stringValue"]).encode())
    return digest.hexdigest()


def sqs(messages: Iterable[Any] | Any = ("Hello from SQS",), queue_arn: str | None = None, *,
        attributes: Mapping[str, Any] | None = None, receive_count: int = 1,
        message_group_id: str | None = None, account: str = ACCOUNT, region: str = REGION,
        seed: int | str | None = None, time: dt.datetime | None = None) -> dict[str, Any]:
    """A batch of SQS messages as an event source mapping delivers them.

    ``messages`` is a list of bodies (str, or dicts sent as JSON); a single
    str or dict makes a batch of one. Each record gets a ``messageId``, a
    ``receiptHandle``, the real ``md5OfBody`` and the usual ``attributes``
    (timestamps in epoch milliseconds, as strings). ``attributes`` become
    ``messageAttributes`` on every message, with their real
    ``md5OfMessageAttributes``. A queue ARN ending in ``.fifo`` adds
    ``MessageGroupId``, ``MessageDeduplicationId`` and ``SequenceNumber``.

    >>> sqs(["first", {"n": 2}])["Records"][1]["body"]
    '{"n": 2}'
    """
    g = _Gen(seed, time)
    if isinstance(messages, (str, bytes, dict)):
        messages = [messages]
    queue_arn = queue_arn or f"arn:aws:sqs:{region}:{account}:sample-queue"
    region = queue_arn.split(":")[3] or region
    fifo = queue_arn.endswith(".fifo")
    message_attributes = {name: _sqs_attribute(v) for name, v in (attributes or {}).items()}
    sequence = int(g.digits(20))
    records = []
    for index, message in enumerate(messages):
        body = _body_text(message)
        sent = g.epoch_ms(index * 7)
        record_attributes = {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(sent),
            "SenderId": f"AIDA{g.alnum(17).upper()}",
            "ApproximateFirstReceiveTimestamp": str(sent + 12),
        }
        if fifo:
            record_attributes["SequenceNumber"] = str(sequence + index)
            record_attributes["MessageGroupId"] = message_group_id or "group-1"
            record_attributes["MessageDeduplicationId"] = hashlib.sha256(body.encode()).hexdigest()
        record: dict[str, Any] = {
            "messageId": g.uuid(),
            "receiptHandle": "AQEB" + g.token(120).replace("=", ""),
            "body": body,
            "attributes": record_attributes,
            "messageAttributes": message_attributes,
            "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        }
        if message_attributes:
            record["md5OfMessageAttributes"] = sqs_md5_of_attributes(message_attributes)
        record.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region})
        records.append(record)
    return {"Records": records}


# --------------------------------------------------------------------------- EventBridge


def eventbridge(source: str = "com.example.orders", detail_type: str = "OrderPlaced",
                detail: Mapping[str, Any] | None = None, *, resources: Iterable[str] = (),
                account: str = ACCOUNT, region: str = REGION, seed: int | str | None = None,
                time: dt.datetime | None = None) -> dict[str, Any]:
    """An EventBridge event as a rule delivers it to a Lambda target.

    The envelope is the same for every event: ``version`` "0", a UUID ``id``,
    ``detail-type`` (with a hyphen), ``source``, ``account``, ``time`` (ISO 8601
    to the second), ``region``, ``resources`` and the ``detail`` object.

    >>> eventbridge("com.example.orders", "OrderPlaced", {"order_id": "1001"})["detail-type"]
    'OrderPlaced'
    """
    g = _Gen(seed, time)
    return {
        "version": "0",
        "id": g.uuid(),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": g.iso_s(),
        "region": region,
        "resources": list(resources),
        "detail": dict(detail or {}),
    }


# --------------------------------------------------------------------------- DynamoDB Streams


def _number(value: Any) -> str:
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    return str(value)


def to_dynamodb_json(value: Any) -> dict[str, Any]:
    """One Python value in DynamoDB JSON (the typed form stream records use).

    str -> S, int/float/Decimal -> N (as a string), bool -> BOOL, None -> NULL,
    bytes -> B (base64), list -> L, dict -> M, sets -> SS / NS / BS.

    >>> to_dynamodb_json({"id": "7", "qty": 2, "tags": {"new"}})
    {'M': {'id': {'S': '7'}, 'qty': {'N': '2'}, 'tags': {'SS': ['new']}}}
    """
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (int, float, decimal.Decimal)):
        return {"N": _number(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"B": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_dynamodb_json(v) for k, v in value.items()}}
    if isinstance(value, (set, frozenset)):
        items = sorted(value, key=repr)
        if items and all(isinstance(v, str) for v in items):
            return {"SS": sorted(items)}
        if items and all(isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool) for v in items):
            return {"NS": [_number(v) for v in sorted(items)]}
        if items and all(isinstance(v, (bytes, bytearray)) for v in items):
            return {"BS": [base64.b64encode(bytes(v)).decode() for v in sorted(items)]}
        raise TypeError("a DynamoDB set must be non-empty and hold only strings, only numbers or only bytes")
    if isinstance(value, (list, tuple)):
        return {"L": [to_dynamodb_json(v) for v in value]}
    raise TypeError(f"no DynamoDB type for {type(value).__name__}")


def from_dynamodb_json(typed: Mapping[str, Any]) -> Any:
    """Back from DynamoDB JSON to Python (numbers come back as int or Decimal).

    >>> from_dynamodb_json({"M": {"id": {"S": "7"}, "qty": {"N": "2"}}})
    {'id': '7', 'qty': 2}
    """
    (kind, value), = typed.items()
    if kind == "S":
        return value
    if kind == "N":
        number = decimal.Decimal(value)
        return int(number) if number == number.to_integral_value() and "." not in value else number
    if kind == "BOOL":
        return bool(value)
    if kind == "NULL":
        return None
    if kind == "B":
        return base64.b64decode(value)
    if kind == "M":
        return {k: from_dynamodb_json(v) for k, v in value.items()}
    if kind == "L":
        return [from_dynamodb_json(v) for v in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {from_dynamodb_json({"N": v}) for v in value}
    if kind == "BS":
        return {base64.b64decode(v) for v in value}
    raise ValueError(f"unknown DynamoDB type {kind!r}")


def _image(item: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): to_dynamodb_json(v) for k, v in item.items()}


VIEW_TYPES = ("NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY")


def dynamodb_stream(changes: Iterable[Mapping[str, Any]] | None = None, table: str = "sample-table", *,
                    keys: Iterable[str] = ("id",), view_type: str = "NEW_AND_OLD_IMAGES",
                    account: str = ACCOUNT, region: str = REGION, seed: int | str | None = None,
                    time: dt.datetime | None = None) -> dict[str, Any]:
    """A batch of DynamoDB Streams records, one per item change.

    Each change is a dict with ``new`` and/or ``old`` (plain Python items):
    only ``new`` is an ``INSERT``, both is a ``MODIFY``, only ``old`` is a
    ``REMOVE`` (or say ``"eventName"`` yourself). Items are written in
    DynamoDB JSON (``{"S": ...}``, ``{"N": "2"}``...); ``keys`` names the key
    attributes copied into ``Keys``. ``view_type`` decides which images are
    included, as the stream's ``StreamViewType`` does. Sequence numbers grow
    through the batch, as they do within a shard.

    >>> dynamodb_stream([{"new": {"id": "7", "qty": 1}}])["Records"][0]["dynamodb"]["NewImage"]["qty"]
    {'N': '1'}
    """
    if view_type not in VIEW_TYPES:
        raise ValueError(f"view_type must be one of {', '.join(VIEW_TYPES)}")
    g = _Gen(seed, time)
    if changes is None:
        changes = [{"new": {"id": "101", "message": "New item!"}}]
    keys = tuple(keys)
    stream_label = g.iso_ms(g.time - dt.timedelta(days=30))[:-1]
    stream_arn = f"arn:aws:dynamodb:{region}:{account}:table/{table}/stream/{stream_label}"
    sequence = int(g.digits(28))
    records = []
    for index, change in enumerate(changes):
        new, old = change.get("new"), change.get("old")
        name = change.get("eventName") or ("INSERT" if old is None else "REMOVE" if new is None else "MODIFY")
        if name not in ("INSERT", "MODIFY", "REMOVE"):
            raise ValueError(f"eventName must be INSERT, MODIFY or REMOVE, not {name!r}")
        if new is None and old is None:
            raise ValueError("each change needs 'new', 'old' or both")
        item = new if new is not None else old
        missing = [k for k in keys if k not in item]
        if missing:
            raise ValueError(f"the item has no key attribute {missing[0]!r} (pass keys=...)")
        body: dict[str, Any] = {
            "ApproximateCreationDateTime": int(g.time.timestamp()),
            "Keys": _image({k: item[k] for k in keys}),
        }
        if new is not None and view_type in ("NEW_AND_OLD_IMAGES", "NEW_IMAGE"):
            body["NewImage"] = _image(new)
        if old is not None and view_type in ("NEW_AND_OLD_IMAGES", "OLD_IMAGE"):
            body["OldImage"] = _image(old)
        body["SequenceNumber"] = str(sequence + index * 100)
        body["SizeBytes"] = len(json.dumps({k: v for k, v in body.items() if k in (
            "Keys", "NewImage", "OldImage")}, separators=(",", ":")))
        body["StreamViewType"] = view_type
        records.append({
            "eventID": g.hex(32),
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": region,
            "dynamodb": body,
            "eventSourceARN": stream_arn,
        })
    return {"Records": records}


# --------------------------------------------------------------------------- Kinesis


def kinesis(records: Iterable[Any] | Any = ("Hello from Kinesis",), stream: str = "sample-stream", *,
            partition_key: str | None = None, shard_id: str = "shardId-000000000000",
            account: str = ACCOUNT, region: str = REGION, seed: int | str | None = None,
            time: dt.datetime | None = None) -> dict[str, Any]:
    """A batch of Kinesis Data Streams records from one shard.

    Each item of ``records`` (bytes, str, or a dict sent as JSON) becomes a
    record whose ``kinesis.data`` is base64, exactly as Lambda delivers it:
    decode with ``base64.b64decode(record["kinesis"]["data"])``. Sequence
    numbers grow through the batch (order is kept within a shard).

    >>> import base64
    >>> base64.b64decode(kinesis([b"hi"])["Records"][0]["kinesis"]["data"])
    b'hi'
    """
    g = _Gen(seed, time)
    if isinstance(records, (str, bytes, dict)):
        records = [records]
    stream_arn = f"arn:aws:kinesis:{region}:{account}:stream/{stream}"
    sequence = int("4959" + g.digits(52))
    out = []
    for index, item in enumerate(records):
        data = item if isinstance(item, bytes) else _body_text(item).encode()
        number = str(sequence + index * 10**20)
        out.append({
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": partition_key if partition_key is not None else str(index + 1),
                "sequenceNumber": number,
                "data": base64.b64encode(data).decode(),
                "approximateArrivalTimestamp": round(g.time.timestamp() + index * 0.001, 3),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard_id}:{number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": f"arn:aws:iam::{account}:role/lambda-kinesis-role",
            "awsRegion": region,
            "eventSourceARN": stream_arn,
        })
    return {"Records": out}
