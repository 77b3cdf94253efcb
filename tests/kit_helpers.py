"""Helpers the AWS-level tests share: a fast endpoint, roles, functions, queues, metrics.

Everything goes through boto3 against an in-process :class:`lambdakit.server.Endpoint`, as a
learner's notebook would. Imported like ``conftest`` and ``nbgrader_harness`` (the tests folder
is on ``sys.path``)::

    from kit_helpers import function, queue, receive, role, running_kit

    @pytest.fixture(scope="module")
    def kit():
        with running_kit() as kit:
            yield kit

    def test_something(kit):
        _, role_arn = role(kit, {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"})
        name = function(kit, "def handler(event, context):\\n    return 1\\n", role_arn)
        url, arn = queue(kit)

Names are unique (``unique``), so tests never collide with each other or with other modules.
Each helper asks ``kit.client(service)`` for its clients: with a :class:`CachingKit` they are
made once per kit.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from typing import Any, Iterator

import lambdakit
import lambdakit.kit
from conftest import wait_for
from lambdakit.kit import LAMBDA_TRUST_POLICY
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

#: the account and region every local endpoint answers as
ACCOUNT, REGION = "123456789012", "us-east-1"
#: waiter settings for ``function_active_v2``: poll every 50 ms, for 10 s at the most
WAIT = {"Delay": 0.05, "MaxAttempts": 200}
#: the statement every execution role made by :func:`role` holds: writing CloudWatch Logs
LOGS = {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream",
                                      "logs:PutLogEvents"], "Resource": "*"}


def unique(prefix: str) -> str:
    """``prefix`` and 8 random hex digits: a name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class CachingKit(lambdakit.kit.Kit):
    """A Kit whose clients are made once (making a boto3 client is slow on a busy machine).

    ``client(service)`` returns the same client every time; a call with other arguments
    (``config=``, ``account_id=``...) makes a new client, as :class:`lambdakit.kit.Kit` does.
    """

    def __init__(self, endpoint):
        super().__init__(endpoint)
        self._clients = {}

    def client(self, service, **kwargs):
        if kwargs:
            return super().client(service, **kwargs)
        if service not in self._clients:
            self._clients[service] = super().client(service)
        return self._clients[service]


@contextlib.contextmanager
def running_kit(time_scale: float = 0.001,
                kit_class: type[lambdakit.kit.Kit] = lambdakit.kit.Kit) -> Iterator[Any]:
    """A kit on a private endpoint started with ``Settings(time_scale=time_scale)``.

    The default runs AWS's delays 1,000 times faster (a one-minute retry wait lasts 60 ms).
    The endpoint stops when the block ends. Meant for module-scoped fixtures::

        @pytest.fixture(scope="module")
        def kit():
            with running_kit() as kit:
                yield kit
    """
    endpoint = Endpoint(settings=Settings(time_scale=time_scale)).start()
    try:
        yield kit_class(endpoint)
    finally:
        endpoint.stop()


def role(kit, *statements: dict, prefix: str = "role") -> tuple[str, str]:
    """Create an execution role Lambda may assume; return ``(name, arn)``.

    The role trusts ``lambda.amazonaws.com`` (``LAMBDA_TRUST_POLICY``) and holds one inline
    policy named ``app`` whose statements are :data:`LOGS` followed by ``statements``.
    """
    iam, name = kit.client("iam"), unique(prefix)
    arn = iam.create_role(RoleName=name,
                          AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST_POLICY))["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="app", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [LOGS, *statements]}))
    return name, arn


def function(kit, source: Any, role_arn: str, *, prefix: str = "fn", **config: Any) -> str:
    """Create a python3.12 function from handler ``source``; return its name once Active.

    ``source`` is what :func:`lambdakit.zip_code` takes (the text of ``lambda_function.py``
    with a ``handler``, or a ``{file name: content}`` mapping). Other keyword arguments are
    CreateFunction settings (``Timeout=1``, ``Environment={"Variables": {...}}``...). Waits with
    the ``function_active_v2`` waiter (:data:`WAIT`).
    """
    name, lam = unique(prefix), kit.client("lambda")
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn,
                        Handler="lambda_function.handler",
                        Code={"ZipFile": lambdakit.zip_code(source)}, **config)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    return name


def function_arn(name: str, qualifier: str | None = None) -> str:
    """The ARN of function ``name`` (qualified by a version or alias when given)."""
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def queue(kit, *, prefix: str = "q", fifo: bool = False, **attributes: Any) -> tuple[str, str]:
    """Create an SQS queue; return ``(url, arn)``.

    Keyword arguments are queue attributes (``VisibilityTimeout=1``, ``RedrivePolicy=...``),
    sent as strings. ``fifo=True`` makes a FIFO queue (name ending ``.fifo``) with
    content-based deduplication.
    """
    name = unique(prefix) + (".fifo" if fifo else "")
    if fifo:
        attributes.update(FifoQueue="true", ContentBasedDeduplication="true")
    url = kit.client("sqs").create_queue(QueueName=name, Attributes={
        k: str(v) for k, v in attributes.items()})["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def receive(kit, url: str, count: int = 1, timeout: float = 30.0) -> list[dict]:
    """Wait until ``count`` messages arrived in the queue at ``url``; return them.

    Messages are as ReceiveMessage returns them (with all message attributes), plus ``"Json"``:
    the body parsed as JSON. They are not deleted: they come back once their visibility
    timeout ends, so a later call may see them again.
    """
    sqs, got = kit.client("sqs"), []

    def arrived():
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                           MessageAttributeNames=["All"]).get("Messages", []):
            message["Json"] = json.loads(message["Body"])
            got.append(message)
        return len(got) >= count

    wait_for(arrived, timeout=timeout, message=f"{count} message(s) in {url}")
    return got


def statistic(kit, namespace: str, metric: str, dimensions: dict[str, str], stat: str = "Sum",
              *, minutes: int = 5, period: int = 600) -> Any:
    """A CloudWatch metric over the last ``minutes`` (and the next minute), as a learner reads it.

    ``stat="Sum"`` adds up every datapoint (0 when there is none); any other statistic
    (``"Maximum"``...) is the largest datapoint's, or None when there is none. ``period``
    (seconds, a multiple of 60) only groups the datapoints.
    """
    now = dt.datetime.now(dt.timezone.utc)
    points = kit.client("cloudwatch").get_metric_statistics(
        Namespace=namespace, MetricName=metric, Statistics=[stat],
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - dt.timedelta(minutes=minutes), EndTime=now + dt.timedelta(minutes=1),
        Period=period)["Datapoints"]
    if stat == "Sum":
        return sum(p[stat] for p in points)
    return max((p[stat] for p in points), default=None)


def function_statistic(kit, name: str, metric: str, stat: str = "Sum", **window: int) -> Any:
    """:func:`statistic` of an ``AWS/Lambda`` metric for function ``name`` (its FunctionName
    dimension); ``window`` is ``minutes=`` / ``period=``."""
    return statistic(kit, "AWS/Lambda", metric, {"FunctionName": name}, stat, **window)


def mapping_state(lam, uuid_: str, state: str, message: str | None = None) -> dict:
    """Wait until event source mapping ``uuid_`` is in ``state`` (``"Enabled"``,
    ``"Disabled"``...); return GetEventSourceMapping's answer. ``lam`` is a Lambda client."""

    def reached():
        answer = lam.get_event_source_mapping(UUID=uuid_)
        return answer if answer["State"] == state else None

    return wait_for(reached, message=message or f"mapping {uuid_} {state}")


def mapping_deleted(lam, uuid_: str) -> None:
    """Wait until event source mapping ``uuid_`` is gone (GetEventSourceMapping answers
    ResourceNotFoundException). ``lam`` is a Lambda client."""

    def missing():
        try:
            lam.get_event_source_mapping(UUID=uuid_)
        except lam.exceptions.ResourceNotFoundException:
            return True
        return False

    wait_for(missing, message=f"mapping {uuid_} deleted")
