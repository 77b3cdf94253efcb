"""Services that push events to Lambda: S3 notifications, SNS subscriptions, EventBridge rules.

On AWS these services invoke a function **asynchronously** (``InvocationType=Event``), as
themselves (the service principals ``s3.amazonaws.com``, ``sns.amazonaws.com``,
``events.amazonaws.com``), and only if the function's resource-based policy allows that
principal ``lambda:InvokeFunction`` with the conditions the service sends: ``aws:SourceArn``
(the bucket, topic or rule ARN) and ``aws:SourceAccount`` (the account that owns it).
:func:`patch` makes moto's deliveries behave that way:

* each delivery is judged by :mod:`lambdakit.permissions` (the same judge as Invoke and
  ``kit.explain_invoke(..., principal="s3.amazonaws.com", source_arn=...)``); a refused
  one never runs the function, is logged (logger ``lambdakit``), kept in
  :func:`recent_refusals` and in ``permissions.recent_denials()`` (so
  ``kit.explain_last_denial()`` shows it), and counted where the service counts it:
  SNS ``NumberOfNotificationsFailed`` (``AWS/SNS``, ``TopicName``; SNS does not retry
  such client-side errors), EventBridge ``FailedInvocations`` (``AWS/Events``, ``RuleName``,
  plus ``EventBusName`` on a custom bus); EventBridge sends the event at once, without
  retries, to the target's ``DeadLetterConfig`` SQS queue if the queue's policy allows it
  (attributes ``RULE_ARN``, ``TARGET_ARN``, ``ERROR_CODE``, ``ERROR_MESSAGE``,
  ``RETRY_ATTEMPTS``; metrics ``InvocationsSentToDlq`` / ``InvocationsFailedToBeSentToDlq``);
* an allowed one goes to the engine's asynchronous queue
  (:meth:`lambdakit.engine.Engine.invoke_event`), so retries, maximum event age, the event
  invoke configuration, destinations and the dead-letter queue apply; a qualified target
  (``function:f:live``) runs the version the alias routes to;
* S3's ``PutBucketNotificationConfiguration`` checks the Lambda destinations first, as S3
  does, and refuses with ``InvalidArgument`` "Unable to validate the following destination
  configurations" unless ``SkipDestinationValidation`` is set;
* events have AWS's shapes: S3 records (``eventVersion`` 2.1, UTC ``eventTime``,
  ``userIdentity``, ``requestParameters``, ``responseElements``, ``ownerIdentity``, keys
  URL-encoded as S3 does, a growing ``sequencer``; also what SQS and SNS destinations
  get), S3 events to EventBridge (default bus; ``etag``, ``reason`` ``PutObject``, ...),
  SNS records (the real subscription ARN, message id, subject or null, attributes,
  signed as SNS signs: ``SignatureVersion`` 1 = SHA1withRSA, 2 = SHA256withRSA, per the
  topic's attribute), EventBridge events (``time`` in ISO 8601, the target's ``Input`` /
  ``InputPath`` / ``InputTransformer`` applied).

SNS filter policies and EventBridge event patterns stay moto's; a DISABLED rule delivers
nothing (moto would still deliver).
"""
from __future__ import annotations

import base64
import collections
import copy
import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
import json
import logging
import os
import threading
import time
import uuid
from typing import Any
from urllib.parse import quote_plus

from .errors import LambdaError

log = logging.getLogger("lambdakit")

S3, SNS, EVENTS = "s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com"
VALIDATION_MESSAGE = "Unable to validate the following destination configurations"

_refusals: collections.deque[Refusal] = collections.deque(maxlen=50)
_request = threading.local()  # the S3 request being handled: caller key, address, headers
_sequence = itertools.count(time.time_ns())
_patched = False


@dataclasses.dataclass
class Refusal:
    """One delivery a service could not make, and why (AWS's wording)."""

    service: str  # the service principal, e.g. "s3.amazonaws.com"
    source_arn: str  # the bucket, topic or rule
    function_arn: str  # the function (as configured: maybe qualified)
    message: str
    reason: str = "denied"  # "denied" (the policy), "not-found" (no such function), "error"
    decision: Any = None  # the permissions Decision, when the policy refused it
    time: float = dataclasses.field(default_factory=time.time)

    def __str__(self) -> str:
        return (f"{self.service} could not invoke {self.function_arn} for {self.source_arn}: "
                f"{self.message}")


def recent_refusals() -> list[Refusal]:
    """The latest refused deliveries of this process, oldest first (at most 50)."""
    return list(_refusals)


# --------------------------------------------------------------------------- delivery


def authorize(principal: str, function_arn: str, source_arn: str, source_account: str) -> Any:
    """The permissions Decision for ``principal`` invoking ``function_arn`` for ``source_arn``;
    raises ResourceNotFoundException if the function does not exist."""
    from . import permissions
    from .invoke_api import _not_found, function_ref
    from .permissions_callers import service

    region = function_arn.split(":")[3] if function_arn.count(":") >= 3 else ""
    ref = function_ref(function_arn, None, source_account, region or "us-east-1")
    exists, statements = permissions.function_statements(ref.account, ref.region, ref.name)
    if not exists:
        raise _not_found(ref.invoked_arn)
    return permissions.decide(service(principal), ref.invoked_arn, exists=True,
                              statements=statements, source_arn=source_arn,
                              source_account=source_account)


def deliver(principal: str, function_arn: str, source_arn: str, source_account: str,
            event: Any) -> Any:
    """Invoke ``function_arn`` asynchronously with ``event`` as ``principal`` would: the
    queued event, or a :class:`Refusal` (also kept and logged) if the function's policy
    refuses it or the function does not exist."""
    from . import motohooks, permissions
    from .functions import FunctionVersion
    from .invoke_api import resolve

    payload = event if isinstance(event, bytes) else (
        event.encode() if isinstance(event, str) else json.dumps(event).encode())
    request_id = str(uuid.uuid4())
    try:
        decision = authorize(principal, function_arn, source_arn, source_account)
    except LambdaError as error:
        return _refuse(Refusal(principal, source_arn, function_arn, error.message, "not-found"))
    except Exception as exc:  # e.g. a region moto does not know: the service moves on
        return _refuse(Refusal(principal, source_arn, function_arn, str(exc), "error"))
    if not decision.allowed:
        decision.request_id = request_id
        permissions.record_denial(decision)
        return _refuse(Refusal(principal, source_arn, function_arn,
                               decision.message or decision.reason, "denied", decision))
    try:
        engine = motohooks.current_engine()
        target = resolve(function_arn, None, source_account, function_arn.split(":")[3])
        version = FunctionVersion.from_moto(target.fn)
        return engine.invoke_event(version, motohooks.code_dir(target.fn, engine), payload,
                                   target.invoked_arn, request_id=request_id)
    except Exception as exc:  # a kit fault: the service would see a 500 and move on
        message = getattr(exc, "message", None) or str(exc)
        return _refuse(Refusal(principal, source_arn, function_arn, message, "error"))


def _refuse(refusal: Refusal) -> Refusal:
    _refusals.append(refusal)
    log.warning("lambdakit: %s", refusal)
    return refusal


def _metric(account: str, region: str, namespace: str, name: str,
            dimensions: dict[str, str]) -> None:
    """One Count data point in the local CloudWatch (the services' own metrics)."""
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core.utils import utcnow

    cloudwatch_backends[account][region].put_metric_data(namespace, [{
        "MetricName": name, "Timestamp": utcnow(), "Unit": "Count", "Value": 1.0,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]}])


def _iso_ms(when: dt.datetime | None = None) -> str:
    when = when or dt.datetime.now(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- S3


def _principal_id(access_key: str | None, account: str) -> str:
    """S3's ``principalId`` of a requester: ``AWS:<unique id>`` for IAM users and role
    sessions, the account's customer id for its root user."""
    from .permissions_callers import caller_for_key

    if access_key:
        try:
            caller = caller_for_key(access_key)
        except Exception:
            caller = None
        if caller is not None and caller.kind in ("user", "assumed-role") and caller.user_id:
            return f"AWS:{caller.user_id}"
    return _customer_id(account)


def _customer_id(account: str) -> str:
    return "A" + hashlib.sha1(f"customer:{account}".encode()).hexdigest()[:13].upper()


def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
    """The S3 event notification record of ``event_name`` (``s3:ObjectCreated:Put``) for
    ``key`` of ``bucket``, as S3 sends it (also to SQS and SNS destinations)."""
    name = event_name[3:] if event_name.startswith("s3:") else event_name
    account = getattr(bucket, "account_id", "")
    obj: dict[str, Any] = {"key": quote_plus(key.name, safe="/")}
    if not name.startswith("ObjectRemoved"):
        obj["size"] = key.size
        obj["eTag"] = key.etag.replace('"', "")
    version = getattr(key, "version_id", None)
    if getattr(bucket, "is_versioned", False) and version not in (None, "null"):
        obj["versionId"] = str(version)
    obj["sequencer"] = f"{next(_sequence):018X}"
    return {"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": bucket.region_name,
        "eventTime": _iso_ms(),
        "eventName": name,
        "userIdentity": {"principalId": _principal_id(getattr(_request, "key", None), account)},
        "requestParameters": {"sourceIPAddress": getattr(_request, "address", None)
                              or "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": os.urandom(8).hex().upper(),
            "x-amz-id-2": base64.b64encode(os.urandom(57)).decode()},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": notification_id,
            "bucket": {"name": bucket.name, "ownerIdentity": {"principalId": _customer_id(account)},
                       "arn": bucket.arn},
            "object": obj,
        },
    }]}


def _invoke_from_s3(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
    """moto's ``_invoke_awslambda``: S3 invokes the function asynchronously as itself."""
    record = event_body["Records"][0]
    bucket_arn = record["s3"]["bucket"]["arn"]
    deliver(S3, fn_arn, bucket_arn, account_id, event_body)


#: EventBridge's ``reason`` (the S3 API call) for each S3 event name
_REASONS = {"ObjectCreated:Put": "PutObject", "ObjectCreated:Post": "PostObject",
            "ObjectCreated:Copy": "CopyObject",
            "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
            "ObjectRemoved:Delete": "DeleteObject",
            "ObjectRemoved:DeleteMarkerCreated": "DeleteObject"}


def s3_eventbridge_event(account_id: str, bucket: Any, event_name: str, key: Any) -> dict[str, Any]:
    """The event S3 sends to the default event bus (bucket with EventBridge enabled)."""
    from moto.core.utils import unix_time
    from moto.s3 import notifications

    from .permissions_callers import caller_for_key

    name = event_name[3:] if event_name.startswith("s3:") else event_name
    obj: dict[str, Any] = {"key": key.name}
    if not name.startswith("ObjectRemoved"):
        obj.update(size=key.size, etag=key.etag.replace('"', ""))
    version = getattr(key, "version_id", None)
    if getattr(bucket, "is_versioned", False) and version not in (None, "null"):
        obj["version-id"] = str(version)
    obj["sequencer"] = f"{next(_sequence):018X}"
    requester = account_id
    if getattr(_request, "key", None):
        try:
            requester = caller_for_key(_request.key).account or account_id
        except Exception:
            pass
    detail: dict[str, Any] = {
        "version": "0", "bucket": {"name": bucket.name}, "object": obj,
        "request-id": os.urandom(8).hex().upper(), "requester": requester,
        "source-ip-address": getattr(_request, "address", None) or "127.0.0.1",
        "reason": _REASONS.get(name, name.split(":")[0])}
    if name.startswith("ObjectRemoved"):
        detail["deletion-type"] = ("Delete Marker Created" if name.endswith("DeleteMarkerCreated")
                                   else "Permanently Deleted")
    # "time" stays epoch seconds, as moto's other targets expect; Lambda gets ISO 8601
    return {"version": "0", "id": str(uuid.uuid4()),
            "detail-type": notifications._detail_type(event_name), "source": "aws.s3",
            "account": account_id, "time": unix_time(), "region": bucket.region_name,
            "resources": [bucket.arn], "detail": detail}


def _send_event_bridge_message(account_id: str, bucket: Any, event_name: str, key: Any) -> None:
    """moto's S3 -> EventBridge delivery: AWS's event, to the default bus only."""
    from moto.events.models import events_backends

    try:
        event = s3_eventbridge_event(account_id, bucket, event_name, key)
        bus = events_backends[account_id][bucket.region_name].event_buses.get("default")
        for rule in list(bus.rules.values()) if bus is not None else []:
            rule.send_to_targets(event, transform_input=False)
    except Exception:  # asynchronous on AWS: the S3 request succeeds whatever happens here
        log.exception("lambdakit: S3 could not send %s of %s to EventBridge", event_name,
                      bucket.name)


def _lambda_destinations(config: dict[str, Any]) -> list[str]:
    return [entry["CloudFunction"] for entry in config.get("CloudFunctionConfiguration") or []]


class DestinationValidationError(Exception):
    """S3's InvalidArgument for Lambda destinations S3 may not invoke (answered as XML by the
    bucket request, with one ArgumentName/ArgumentValue pair per destination, as S3 does)."""

    def __init__(self, arns: list[str]):
        super().__init__(VALIDATION_MESSAGE)
        self.arns = arns

    def response(self) -> tuple[int, dict[str, str], str]:
        from xml.sax.saxutils import escape

        pairs = "".join(
            f"<ArgumentName{i}>{escape(arn)}, null</ArgumentName{i}>"
            f"<ArgumentValue{i}>Not authorized to invoke function [{escape(arn)}]"
            f"</ArgumentValue{i}>"
            for i, arn in enumerate(self.arns, 1))
        request_id = os.urandom(8).hex().upper()
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code>'
                f"<Message>{VALIDATION_MESSAGE}</Message>{pairs}<RequestId>{request_id}</RequestId>"
                f"<HostId>{base64.b64encode(os.urandom(57)).decode()}</HostId></Error>")
        return 400, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body


def validate_destinations(bucket: Any, config: dict[str, Any]) -> None:
    """Raise S3's InvalidArgument unless every Lambda destination lets S3 invoke it
    (``aws:SourceArn`` the bucket, ``aws:SourceAccount`` its owner)."""
    failures = []
    for arn in _lambda_destinations(config):
        try:
            allowed = authorize(S3, arn, bucket.arn, bucket.account_id).allowed
        except LambdaError:
            allowed = False
        if not allowed:
            failures.append(arn)
    if failures:
        raise DestinationValidationError(failures)


def _patch_s3() -> None:
    from moto.s3 import models, notifications, responses

    notifications._get_s3_event = s3_event
    notifications._invoke_awslambda = _invoke_from_s3
    notifications._send_event_bridge_message = _send_event_bridge_message

    original_setup = responses.S3Response.setup_class

    @functools.wraps(original_setup)
    def setup_class(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        # moto 5.2.1 passes (request, full_url, headers); later 5.2 releases pass the request alone
        from .permissions import _CREDENTIAL

        headers = kwargs.get("headers", args[1] if len(args) > 1 else None)
        sent = {str(k).lower(): str(v) for k, v in
                dict(getattr(request, "headers", None) or headers or {}).items()}
        match = _CREDENTIAL.search(sent.get("authorization", ""))
        _request.key = match["key"] if match else None
        _request.address = getattr(request, "remote_addr", None)
        _request.skip = sent.get("x-amz-skip-destination-validation", "").lower() == "true"
        return original_setup(self, request, *args, **kwargs)

    responses.S3Response.setup_class = setup_class

    original_put = models.S3Backend.put_bucket_notification_configuration

    @functools.wraps(original_put)
    def put_bucket_notification_configuration(self: Any, bucket_name: str,
                                              notification_config: dict[str, Any]) -> None:
        bucket = self.get_bucket(bucket_name)
        if notification_config and not getattr(_request, "skip", False):
            validate_destinations(bucket, notification_config)
        return original_put(self, bucket_name, notification_config)

    models.S3Backend.put_bucket_notification_configuration = put_bucket_notification_configuration

    original_bucket_response = responses.S3Response.bucket_response

    @functools.wraps(original_bucket_response)
    def bucket_response(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return original_bucket_response(self, *args, **kwargs)
        except DestinationValidationError as error:
            return self._send_response(error.response())

    responses.S3Response.bucket_response = bucket_response


# --------------------------------------------------------------------------- SNS


def string_to_sign(notification: dict[str, Any]) -> str:
    """What SNS signs in a Notification: Message, MessageId, Subject (if any), Timestamp,
    TopicArn and Type, each name and value on its own line."""
    names = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    return "".join(f"{name}\n{notification[name]}\n" for name in names
                   if notification.get(name) is not None)


def _sign(subscription: Any, text: str, version: str) -> tuple[str, str]:
    """(SignatureVersion, Signature): SHA1withRSA for version 1 (the topic default),
    SHA256withRSA for 2, with the key behind the subscription's signing certificate."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = subscription.private_key()
    try:
        algorithm: Any = hashes.SHA1() if version == "1" else hashes.SHA256()
        signature = key.sign(text.encode(), padding.PKCS1v15(), algorithm)
    except Exception:  # an OpenSSL policy without SHA1 signatures: sign as version 2
        version, signature = "2", key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())
    return version, base64.b64encode(signature).decode()


def sns_event(subscription: Any, message: str, message_id: str, subject: str | None,
              message_attributes: dict[str, Any] | None) -> dict[str, Any]:
    """The event SNS sends to a subscribed function, signed as SNS signs it (the certificate
    is served by moto at ``SigningCertUrl``'s path)."""
    posted = subscription.get_post_data(message, message_id, subject)  # registers the cert
    topic = subscription.topic
    region = topic.arn.split(":")[3]
    notification: dict[str, Any] = {
        "Type": "Notification", "MessageId": message_id, "TopicArn": topic.arn,
        "Subject": subject or None, "Message": message, "Timestamp": posted["Timestamp"]}
    version, signature = _sign(subscription, string_to_sign(notification),
                               str(getattr(topic, "signature_version", None) or "1"))
    notification.update({
        "SignatureVersion": version, "Signature": signature,
        "SigningCertUrl": posted["SigningCertURL"],
        "UnsubscribeUrl": (f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
                           f"&SubscriptionArn={subscription.arn}"),
        "MessageAttributes": dict(message_attributes or {})})
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0",
                         "EventSubscriptionArn": subscription.arn, "Sns": notification}]}


def _patch_sns() -> None:
    from moto.sns.models import Subscription

    original_publish = Subscription.publish

    @functools.wraps(original_publish)
    def publish(self: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                deduplication_id: str | None = None,
                message_structure: str | None = None) -> None:
        if self.protocol != "lambda":
            return original_publish(self, message, message_id, subject, message_attributes,
                                    group_id, deduplication_id, message_structure)
        matcher = self._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
        topic = self.topic
        account, region = topic.arn.split(":")[4], topic.arn.split(":")[3]
        event = sns_event(self, message, message_id, subject, message_attributes)
        refused = isinstance(deliver(SNS, self.endpoint, topic.arn, account, event), Refusal)
        _metric(account, region, "AWS/SNS", "NumberOfNotificationsFailed" if refused
                else "NumberOfNotificationsDelivered", {"TopicName": topic.name})
        return None

    Subscription.publish = publish


# --------------------------------------------------------------------------- EventBridge


def _iso_seconds(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def target_input(target: dict[str, Any], event: dict[str, Any]) -> Any:
    """What a rule sends to ``target`` for ``event``: the event, or the target's ``Input``,
    ``InputPath`` or ``InputTransformer`` applied to it."""
    from moto.events.utils import EventTemplateParser

    normal = dict(event, time=_iso_seconds(event.get("time")))
    normal.setdefault("ingestion-time", time.time())
    delivered = {k: v for k, v in normal.items() if k != "ingestion-time"}
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath"):
        from jsonpath_ng.ext import parse

        found = parse(target["InputPath"]).find(delivered)
        return found[0].value if found else None
    transformer = target.get("InputTransformer")
    if transformer:
        return EventTemplateParser.parse(input_template=transformer.get("InputTemplate"),
                                         input_paths_map=transformer.get("InputPathsMap", {}),
                                         event=normal)
    return delivered


def _rule_dimensions(rule: Any) -> dict[str, str]:
    """Metrics of rules on the default bus carry RuleName; on a custom bus also EventBusName."""
    if rule.event_bus_name in ("default", None):
        return {"RuleName": rule.name}
    return {"EventBusName": rule.event_bus_name, "RuleName": rule.name}


def _is_lambda(target: dict[str, Any]) -> bool:
    return str(target.get("Arn", "")).split(":")[2:3] == ["lambda"]


def _patch_events() -> None:
    from moto.events import notifications
    from moto.events.models import Rule

    original_send = Rule.send_to_targets

    @functools.wraps(original_send)
    def send_to_targets(self: Any, original_event: Any, transform_input: bool = True) -> None:
        if self.state == "DISABLED":  # a disabled rule matches nothing
            return None
        targets = list(self.targets)
        others = [t for t in targets if not _is_lambda(t)]
        if others:
            clone = copy.copy(self)
            clone.targets = others
            original_send(clone, original_event, transform_input)
        functions = [t for t in targets if _is_lambda(t)]
        if not functions or not self.event_pattern.matches_event(original_event):
            return None
        deliver_to_functions(self, functions, original_event)
        return None

    Rule.send_to_targets = send_to_targets
    notifications._send_safe_notification = _send_safe_notification


#: the DLQ message's ERROR_CODE for each kind of refusal
_EVENTS_ERROR_CODES = {"denied": "NO_PERMISSIONS", "not-found": "NO_RESOURCE",
                       "error": "INTERNAL_ERROR"}


def deliver_to_functions(rule: Any, targets: list[dict[str, Any]], event: dict[str, Any]) -> None:
    """Send ``event`` (matched by ``rule``) to its Lambda targets, counting as EventBridge does;
    a refused delivery is not retried and goes to the target's dead-letter queue, if any."""
    dims = _rule_dimensions(rule)
    _metric(rule.account_id, rule.region_name, "AWS/Events", "TriggeredRules", dims)
    for target in targets:
        _metric(rule.account_id, rule.region_name, "AWS/Events", "Invocations", dims)
        try:
            payload = target_input(target, event)
        except Exception as exc:  # a transformer whose output is not JSON
            outcome: Any = _refuse(Refusal(EVENTS, rule.arn, target["Arn"],
                                           f"the target's input could not be built: {exc}",
                                           "error"))
        else:
            outcome = deliver(EVENTS, target["Arn"], rule.arn, rule.account_id, payload)
        if isinstance(outcome, Refusal):
            _metric(rule.account_id, rule.region_name, "AWS/Events", "FailedInvocations", dims)
            dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
            if dead_letter:
                sent = _events_dead_letter(rule, target, dead_letter, event, outcome)
                _metric(rule.account_id, rule.region_name, "AWS/Events",
                        "InvocationsSentToDlq" if sent else "InvocationsFailedToBeSentToDlq",
                        dims)


def _events_dead_letter(rule: Any, target: dict[str, Any], queue_arn: str,
                        event: dict[str, Any], refusal: Refusal) -> bool:
    """Send the undelivered event to the target's SQS dead-letter queue, if the queue's
    policy lets EventBridge (``events.amazonaws.com``, for this rule) send to it."""
    from moto.sqs.models import sqs_backends

    from .permissions import decide
    from .permissions_callers import service
    from .permissions_enforce import resource_policy

    statements = [statement for _, statement in resource_policy("sqs", queue_arn)]
    decision = decide(service(EVENTS), queue_arn, exists=True, statements=statements,
                      source_arn=rule.arn, source_account=rule.account_id,
                      action="sqs:SendMessage")
    if not decision.allowed:
        log.warning("lambdakit: EventBridge could not send the event of rule %s to its "
                    "dead-letter queue %s: %s", rule.arn, queue_arn, decision.message)
        return False
    attributes = {"RULE_ARN": rule.arn, "TARGET_ARN": target["Arn"],
                  "ERROR_CODE": _EVENTS_ERROR_CODES[refusal.reason],
                  "ERROR_MESSAGE": refusal.message, "RETRY_ATTEMPTS": "0"}
    body = dict(event, time=_iso_seconds(event.get("time")))
    body.pop("ingestion-time", None)
    _, _, _, region, account, name = queue_arn.split(":")
    try:
        sqs_backends[account][region].send_message(name, json.dumps(body), message_attributes={
            k: {"DataType": "Number" if k == "RETRY_ATTEMPTS" else "String", "StringValue": v}
            for k, v in attributes.items()})
    except Exception as exc:  # no such queue
        log.warning("lambdakit: EventBridge could not send to the dead-letter queue %s: %s",
                    queue_arn, exc)
        return False
    return True


def _send_safe_notification(source: str, event_name: str, region: str, resources: Any,
                            detail: Any) -> None:
    """moto's service events to EventBridge (S3 CreateBucket): Lambda targets get them
    through :func:`deliver_to_functions`; Step Functions targets as moto sends them."""
    from moto.events import notifications
    from moto.events.models import events_backends
    from moto.utilities.utils import get_partition

    if not (source == "aws.s3" and event_name == "CreateBucket"):
        return
    for account_id, account in list(events_backends.items()):
        for backend in list(account.values()):
            for bus in list(backend.event_buses.values()):
                for rule in list(bus.rules.values()):
                    if rule.state == "DISABLED":
                        continue
                    pattern = rule.event_pattern.get_pattern()
                    if (source not in pattern.get("source", [])
                            or event_name not in pattern.get("detail", {}).get("eventName", [])):
                        continue
                    event = dict(notifications._EVENT_S3_OBJECT_CREATED, id=str(uuid.uuid4()),
                                 account=account_id, time=_iso_seconds(time.time()),
                                 region=region, resources=resources, detail=detail)
                    functions = [t for t in rule.targets if _is_lambda(t)]
                    if functions:
                        deliver_to_functions(rule, functions, event)
                    machines = f"arn:{get_partition(region)}:states"
                    for target in rule.targets:
                        if str(target.get("Arn", "")).startswith(machines):
                            notifications._start_sfn_execution(account_id, region=region,
                                                               sfn_arn=target["Arn"], event=event)


# --------------------------------------------------------------------------- install


def patch() -> None:
    """Route moto's S3, SNS and EventBridge deliveries to Lambda through the kit (once)."""
    global _patched
    if _patched:
        return
    _patched = True
    _patch_s3()
    _patch_sns()
    _patch_events()
