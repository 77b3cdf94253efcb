"""What happens to a failing event under each invocation model, observed on real runs.

Three observers send one event to a function, each through one invocation model,
and watch what the kit and the services really do with it:

- :func:`observe_sync` invokes it synchronously: one attempt, the error comes back;
- :func:`observe_async` invokes it with ``InvocationType="Event"`` and waits until
  Lambda's asynchronous queue is done with it (success, OnFailure destination, DLQ);
- :func:`observe_sqs` sends it to an SQS queue read by an event source mapping and
  waits until the message is deleted (success) or redriven to the queue's DLQ.

Each returns an :class:`Observation`: the function's attempts (the kit's invocation
records), how many calls the caller made, and where the event ended. Observers can
report progress while they wait (``on_update``), which is how the live diagram of
:mod:`lambdakit.course.event_flow` follows a run. :func:`error_table` turns the
observations into the lesson's table. :func:`wait_for_message`, :func:`wait_for_invocation` and
:func:`function_log` wait (with a deadline) for what a queue, a stream or a push source did;
:func:`record_table` shows an invocation record's important fields.

Attempts are matched by request id (synchronous and asynchronous: every retry of an
asynchronous event keeps its request id) or, for a queue, as the function's invocations
since the message was sent; so observe one queue message at a time per function.

>>> rows = [observe_sync("flaky", {"n": 1}), observe_async("flaky", {"n": 2})]  # doctest: +SKIP
>>> error_table(rows)                                                      # doctest: +SKIP
"""
from __future__ import annotations

import dataclasses
import html
import json
import time
from typing import Any, Callable

__all__ = ["Attempt", "Observation", "ErrorTable", "RecordTable", "observe_sync", "observe_async",
           "observe_sqs", "error_table", "record_table", "wait_for_message", "wait_for_invocation",
           "function_log"]

MODELS = ("synchronous", "asynchronous", "polling")
#: how often observers look at the records and the queues (seconds)
POLL_S = 0.1

Update = Callable[["Observation"], None]


@dataclasses.dataclass(frozen=True)
class Attempt:
    """One run of the function for the observed event (from the kit's invocation record)."""

    request_id: str
    started: float  # unix seconds
    status: str  # the kit's record status: success, error, timeout, exit, oom, init_error
    invocation_type: str
    error_type: str | None = None
    finished: float | None = None  # unix seconds

    @property
    def failed(self) -> bool:
        return self.status != "success"

    @classmethod
    def from_record(cls, record: Any) -> Attempt:
        return cls(record.request_id, record.start_time, record.status, record.invocation_type,
                   record.error_type, record.end_time)


@dataclasses.dataclass
class Observation:
    """One event's path through one invocation model.

    model: ``synchronous``, ``asynchronous`` or ``polling``.
    calls: how many times the caller handed the event over (Invoke or SendMessage).
    attempts: the function's runs for this event, in order.
    stage: where the event is now, one of :data:`STAGES` of its model.
    ended: where the event ended, in words (None while it is still on its way).
    retrier: who makes the extra attempts in this model, if there are any.
    clock: ``aws`` when the gaps between attempts are on AWS's clock (the kit's time
        scale divided out), ``real`` when they are real seconds (SQS's own timers).
    gap_from: ``end`` when a retry's wait starts as the previous attempt ends (Lambda's
        retries), ``start`` when it starts as the previous attempt starts (an SQS message's
        visibility timeout runs from the moment it is received).
    """

    model: str
    function: str
    calls: int = 1
    attempts: list[Attempt] = dataclasses.field(default_factory=list)
    stage: str = "caller"
    ended: str | None = None
    retrier: str = "nobody"
    time_scale: float = 1.0
    clock: str = "aws"
    gap_from: str = "end"
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")

    @property
    def done(self) -> bool:
        return self.ended is not None

    @property
    def retries(self) -> int:
        """Attempts beyond the caller's own calls: retries somebody else made."""
        return max(0, len(self.attempts) - self.calls)

    @property
    def retried_by(self) -> str:
        """Who retried: nobody, the caller (more calls than one), or the model's retrier."""
        if self.retries:
            return self.retrier
        if self.calls > 1:
            return "the caller"
        return "nobody"

    @property
    def gaps(self) -> list[float]:
        """The waits between consecutive attempts, in seconds (on AWS's clock when ``clock``
        is ``aws``): from one attempt's end (or start, see ``gap_from``) to the next one's start."""
        scale = self.time_scale if self.clock == "aws" else 1.0
        return [(later.started - (earlier.started if self.gap_from == "start"
                                  else earlier.finished or earlier.started)) / scale
                for earlier, later in zip(self.attempts, self.attempts[1:])]

    @property
    def outcome(self) -> str:
        """``succeeded``, ``failed`` or ``running``."""
        if not self.done:
            return "running"
        return "succeeded" if self.attempts and not self.attempts[-1].failed else "failed"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def _describe_gaps(observation: Observation) -> str:
    gaps = observation.gaps
    if not gaps:
        return "none"
    clock = "AWS time" if observation.clock == "aws" else "real time"
    return ", ".join(_seconds(gap) for gap in gaps) + f" ({clock})"


COLUMNS = ("invocation model", "caller's calls", "function attempts", "retried by",
           "wait before each retry", "where the event ended")


class ErrorTable:
    """The error-handling table: one row per observation. Renders as HTML in a notebook."""

    def __init__(self, observations: list[Observation]):
        self.observations = list(observations)

    @property
    def rows(self) -> list[dict[str, str]]:
        rows = []
        for obs in self.observations:
            label = obs.model if obs.model != "polling" else "polling (SQS)"
            rows.append(dict(zip(COLUMNS, (
                label, str(obs.calls), str(len(obs.attempts)), obs.retried_by,
                _describe_gaps(obs), obs.ended or "(still on its way)"))))
        return rows

    def __str__(self) -> str:
        rows = self.rows
        widths = {c: max([len(c)] + [len(r[c]) for r in rows]) for c in COLUMNS}
        line = " | ".join(c.ljust(widths[c]) for c in COLUMNS)
        rule = "-+-".join("-" * widths[c] for c in COLUMNS)
        body = [" | ".join(r[c].ljust(widths[c]) for c in COLUMNS) for r in rows]
        return "\n".join([line, rule, *body])

    def _repr_html_(self) -> str:
        head = "".join(f"<th style='text-align:left'>{html.escape(c)}</th>" for c in COLUMNS)
        body = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(r[c])}</td>"
                             for c in COLUMNS) + "</tr>" for r in self.rows)
        return (f"<table class='lk-error-table'><thead><tr>{head}</tr></thead>"
                f"<tbody>{body}</tbody></table>")


def error_table(observations: list[Observation]) -> ErrorTable:
    """The table of what each invocation model did with a failing event."""
    return ErrorTable(observations)


#: the fields of an invocation record worth reading, in reading order (dotted paths)
RECORD_FIELDS = ("timestamp", "requestContext.condition", "requestContext.approximateInvokeCount",
                 "requestContext.functionArn", "requestPayload", "responseContext.statusCode",
                 "responseContext.executedVersion", "responseContext.functionError",
                 "responsePayload.errorType", "responsePayload.errorMessage")


class RecordTable:
    """An invocation record (what Lambda sends to a destination) as a two-column table of its
    important fields; the stack trace is left out. Renders as HTML in a notebook, as aligned
    text with ``print``."""

    def __init__(self, record: dict[str, Any]):
        self.record = record

    @property
    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for path in RECORD_FIELDS:
            value: Any = self.record
            for key in path.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:
                rows.append((path, value if isinstance(value, str) else json.dumps(value)))
        return rows

    def __str__(self) -> str:
        width = max(len(name) for name, _ in self.rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in self.rows)

    def _repr_html_(self) -> str:
        body = "".join(f"<tr><td style='text-align:left'><code>{html.escape(name)}</code></td>"
                       f"<td style='text-align:left'>{html.escape(value)}</td></tr>"
                       for name, value in self.rows)
        return (f"<table class='lk-record-table'><thead><tr><th style='text-align:left'>field"
                f"</th><th style='text-align:left'>value</th></tr></thead><tbody>{body}</tbody>"
                f"</table>")


def record_table(record: dict[str, Any]) -> RecordTable:
    """The important fields of an invocation record, one per row.

    >>> record_table(observation.details["invocation_record"])          # doctest: +SKIP
    """
    return RecordTable(record)


# -- observers -------------------------------------------------------------------------------
def _kit(kit: Any) -> Any:
    if kit is not None:
        return kit
    import lambdakit
    return lambdakit.start()


def _time_scale(kit: Any) -> float:
    return float(kit.engine.settings.time_scale)


def _name(function: str) -> str:
    """The function name of a name or ARN (records carry names)."""
    return function.split(":")[6] if function.startswith("arn:") else function


def _notify(on_update: Update | None, observation: Observation) -> None:
    if on_update is not None:
        on_update(observation)


def _attempts(kit: Any, *, request_id: str | None = None, function: str | None = None,
              since: float = 0.0) -> list[Attempt]:
    records = [r for r in kit.records
               if (request_id is None or r.request_id == request_id)
               and (function is None or r.function_name == function)
               and r.start_time >= since]
    return [Attempt.from_record(r) for r in sorted(records, key=lambda r: r.start_time)]


def _deadline_passed(deadline: float, what: str) -> None:
    if time.monotonic() > deadline:
        raise TimeoutError(f"gave up waiting for {what}")


def observe_sync(function: str, event: Any, *, kit: Any = None,
                 on_update: Update | None = None) -> Observation:
    """Invoke ``function`` synchronously once with ``event`` and observe what happened."""
    kit = _kit(kit)
    obs = Observation("synchronous", _name(function), time_scale=_time_scale(kit),
                      stage="function")
    _notify(on_update, obs)
    response = kit.client("lambda").invoke(FunctionName=function, Payload=json.dumps(event))
    body = response["Payload"].read()
    request_id = response["ResponseMetadata"]["RequestId"]
    obs.attempts = _attempts(kit, request_id=request_id)
    obs.details = {"request_id": request_id, "status_code": response["StatusCode"],
                   "function_error": response.get("FunctionError"),
                   "answer": json.loads(body) if body else None}
    if response.get("FunctionError"):
        answer = obs.details["answer"] or {}
        obs.ended = (f"returned to the caller: status {response['StatusCode']}, "
                     f"FunctionError {response['FunctionError']} "
                     f"({answer.get('errorType', 'error')})")
    else:
        obs.ended = f"returned to the caller: status {response['StatusCode']}, success"
    obs.stage = "result"
    _notify(on_update, obs)
    return obs


def _queue_url(kit: Any, arn: str) -> str:
    parts = arn.split(":")
    return kit.client("sqs").get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])[
        "QueueUrl"]


def _peek(kit: Any, url: str, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
    """The first message in ``url`` that ``match`` accepts, left in the queue (no visibility
    change), or None."""
    messages = kit.client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
        MessageAttributeNames=["All"], AttributeNames=["All"]).get("Messages", [])
    for message in messages:
        if match(message):
            return message
    return None


def observe_async(function: str, event: Any, *, kit: Any = None, on_update: Update | None = None,
                  timeout: float = 30.0) -> Observation:
    """Invoke ``function`` asynchronously with ``event``; wait until Lambda is done with it.

    Done means: an attempt succeeded, or the failed event reached the function's
    ``OnFailure`` destination or dead-letter queue (SQS queues are watched; at least one
    must be configured to see a failure end). Raises ``TimeoutError`` after ``timeout``
    real seconds.
    """
    kit = _kit(kit)
    lam = kit.client("lambda")
    name = _name(function)
    try:
        config = lam.get_function_event_invoke_config(FunctionName=function)
    except lam.exceptions.ResourceNotFoundException:
        config = {}
    on_failure = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
        "Destination")
    on_success = ((config.get("DestinationConfig") or {}).get("OnSuccess") or {}).get(
        "Destination")
    dead_letter = (lam.get_function_configuration(FunctionName=function).get(
        "DeadLetterConfig") or {}).get("TargetArn")
    watched = {arn: _queue_url(kit, arn) for arn in (on_failure, on_success, dead_letter)
               if arn and arn.split(":")[2] == "sqs"}
    if not any(arn in watched for arn in (on_failure, dead_letter)):
        raise ValueError(f"{name} has no SQS OnFailure destination or dead-letter queue: "
                         "configure one to see where a failed event ends")
    obs = Observation("asynchronous", name, time_scale=_time_scale(kit), stage="caller",
                      retrier="Lambda (its asynchronous queue)")
    _notify(on_update, obs)
    response = lam.invoke(FunctionName=function, InvocationType="Event", Payload=json.dumps(event))
    request_id = response["ResponseMetadata"]["RequestId"]
    obs.details = {"request_id": request_id, "status_code": response["StatusCode"]}
    obs.stage = "queue"
    _notify(on_update, obs)

    def record_for(message: dict[str, Any]) -> bool:
        try:
            body = json.loads(message["Body"])
        except ValueError:
            return False
        return isinstance(body, dict) and (body.get("requestContext") or {}).get(
            "requestId") == request_id

    def dead_letter_for(message: dict[str, Any]) -> bool:
        attribute = (message.get("MessageAttributes") or {}).get("RequestID") or {}
        return attribute.get("StringValue") == request_id

    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        attempts = _attempts(kit, request_id=request_id)
        if len(attempts) != seen:
            seen = len(attempts)
            obs.attempts = attempts
            obs.stage = "function"
            _notify(on_update, obs)
        places = []
        if on_failure in watched:
            record = _peek(kit, watched[on_failure], record_for)
            if record is not None:
                body = json.loads(record["Body"])
                obs.details["invocation_record"] = body
                places.append(f"OnFailure destination {on_failure.split(':')[5]} "
                              f"({body['requestContext']['condition']})")
        if dead_letter in watched:
            message = _peek(kit, watched[dead_letter], dead_letter_for)
            if message is not None:
                obs.details["dead_letter_message"] = message
                places.append(f"dead-letter queue {dead_letter.split(':')[5]}")
        succeeded = bool(attempts) and not attempts[-1].failed
        if succeeded and (on_success not in watched or _peek(kit, watched[on_success], record_for)):
            obs.attempts = attempts
            obs.ended = f"succeeded on attempt {len(attempts)}" + (
                f"; record in OnSuccess destination {on_success.split(':')[5]}"
                if on_success in watched else "")
            obs.stage = "done"
            _notify(on_update, obs)
            return obs
        expected = [p for p in (on_failure, dead_letter) if p in watched]
        if places and len(places) == len(expected):
            obs.attempts = _attempts(kit, request_id=request_id)
            obs.ended = " and ".join(places)
            obs.stage = "done"
            _notify(on_update, obs)
            return obs
        if attempts and attempts[-1].failed and obs.stage == "function":
            obs.stage = "queue"  # back in the queue, waiting for its retry
            _notify(on_update, obs)
        _deadline_passed(deadline, f"the asynchronous invocation {request_id} of {name} to end")
        time.sleep(POLL_S)


def observe_sqs(queue_url: str, body: str, function: str, *, kit: Any = None,
                on_update: Update | None = None, timeout: float = 60.0) -> Observation:
    """Send ``body`` to the queue an event source mapping of ``function`` reads; wait until
    the message is gone from the queue (processed) or in the queue's dead-letter queue.

    The dead-letter queue is read from the queue's ``RedrivePolicy``. Attempts are the
    function's invocations from the moment the message is sent.
    """
    kit = _kit(kit)
    sqs = kit.client("sqs")
    name = _name(function)
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
    dead_letter = redrive.get("deadLetterTargetArn")
    dead_letter_url = _queue_url(kit, dead_letter) if dead_letter else None
    obs = Observation("polling", name, time_scale=_time_scale(kit), stage="queue",
                      retrier="SQS (the message became visible again and the poller re-read it)",
                      clock="real", gap_from="start")
    obs.details = {"visibility_timeout": int(attributes.get("VisibilityTimeout", 30)),
                   "max_receive_count": redrive.get("maxReceiveCount"),
                   "dead_letter_queue": dead_letter}
    since = time.time()
    message_id = sqs.send_message(QueueUrl=queue_url, MessageBody=body)["MessageId"]
    obs.details["message_id"] = message_id
    _notify(on_update, obs)
    deadline = time.monotonic() + timeout
    seen = 0
    while True:
        obs.attempts = _attempts(kit, function=name, since=since)
        counts = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages",
                                                "ApproximateNumberOfMessagesNotVisible"])[
            "Attributes"]
        visible = int(counts["ApproximateNumberOfMessages"])
        in_flight = int(counts["ApproximateNumberOfMessagesNotVisible"])
        if dead_letter_url is not None:
            moved = _peek(kit, dead_letter_url, lambda m: m["MessageId"] == message_id
                          or m["Body"] == body)
            if moved is not None:
                obs.details["dead_letter_message"] = moved
                obs.ended = (f"dead-letter queue {dead_letter.split(':')[5]} of the source queue "
                             f"(after maxReceiveCount={redrive.get('maxReceiveCount')} receives)")
                obs.stage = "done"
                _notify(on_update, obs)
                return obs
        if not visible and not in_flight and obs.attempts and not obs.attempts[-1].failed:
            obs.ended = (f"deleted from the queue by the poller after attempt "
                         f"{len(obs.attempts)} succeeded")
            obs.stage = "done"
            _notify(on_update, obs)
            return obs
        # visible: waiting for the poller; in flight: received, being processed or waiting
        # out the visibility timeout after a failure
        stage = "in_flight" if in_flight else "queue"
        if stage != obs.stage or len(obs.attempts) != seen:
            obs.stage, seen = stage, len(obs.attempts)
            _notify(on_update, obs)
        _deadline_passed(deadline, f"message {message_id} to leave {queue_url}")
        time.sleep(POLL_S)


# -- waiting for what a source did --------------------------------------------------------------
def wait_for_message(queue_url: str, *, timeout: float = 30.0, kit: Any = None) -> dict[str, Any]:
    """The first message that shows up in ``queue_url`` (left in the queue), waiting up to
    ``timeout`` seconds; raises ``TimeoutError`` if none comes."""
    kit = _kit(kit)
    deadline = time.monotonic() + timeout
    while True:
        message = _peek(kit, queue_url, lambda m: True)
        if message is not None:
            return message
        _deadline_passed(deadline, f"a message in {queue_url}")
        time.sleep(POLL_S)


def wait_for_invocation(function: str, *, since: float = 0.0, timeout: float = 30.0,
                        kit: Any = None) -> Any:
    """The kit's record of the first invocation of ``function`` that started after ``since``
    (unix seconds), once it has finished; raises ``TimeoutError`` if none comes in time."""
    kit = _kit(kit)
    name = _name(function)
    deadline = time.monotonic() + timeout
    while True:
        for record in list(kit.records):
            if record.function_name == name and record.start_time >= since:
                return record
        _deadline_passed(deadline, f"an invocation of {name}")
        time.sleep(POLL_S)


#: the lines Lambda itself writes to a function's log (not the handler's own)
PLATFORM_LINES = ("START ", "END ", "REPORT ", "INIT_START ", "INIT_REPORT ")


def _platform_line(line: str) -> bool:
    """A line Lambda wrote: START/END/REPORT..., or a ``platform.*`` record (JSON log format)."""
    if line.startswith(PLATFORM_LINES):
        return True
    if line.startswith('{"time"'):
        try:
            return str(json.loads(line).get("type", "")).startswith("platform.")
        except ValueError:
            return False
    return False


def _log_lines(message: str) -> list[str]:
    """One log event as display lines: a multi-line event (Python's runtime joins the lines of
    a stack trace with carriage returns) becomes its first line plus indented continuations,
    so no line overwrites another when printed."""
    parts = [part.rstrip() for part in message.strip().replace("\r\n", "\r").replace(
        "\n", "\r").split("\r")]
    parts = [part for part in parts if part.strip()]
    return parts[:1] + ["    " + part for part in parts[1:]]


def function_log(function: str, *, until: str | None = None, since: float | None = None,
                 timeout: float = 30.0, kit: Any = None) -> list[str]:
    """The handler's own log lines of ``function`` (its CloudWatch Logs group: ``/aws/lambda/<name>``
    unless its LoggingConfig names another; Lambda's START/END/REPORT lines left out), oldest first.

    A log event of several lines (a stack trace) gives its first line and indented
    continuation lines. ``since``: only events logged at or after this time (unix seconds),
    for example when a notebook runs again. ``until``: wait (up to ``timeout`` seconds) until
    a line contains this text; raises ``TimeoutError`` if none does.

    >>> started = time.time()                                              # doctest: +SKIP
    >>> print("\n".join(function_log("click-counter", until="done", since=started)))  # doctest: +SKIP
    """
    kit = _kit(kit)
    logs = kit.client("logs")
    config = kit.client("lambda").get_function_configuration(FunctionName=_name(function))
    group = config.get("LoggingConfig", {}).get("LogGroup") or f"/aws/lambda/{_name(function)}"
    window = {} if since is None else {"startTime": int(since * 1000)}
    deadline = time.monotonic() + timeout
    while True:
        messages: list[str] = []
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group, **window)
            for page in pages:
                messages += [e["message"] for e in page["events"]]
        except logs.exceptions.ResourceNotFoundException:
            pass
        lines = [line for message in messages if not _platform_line(message.strip())
                 for line in _log_lines(message)]
        if until is None or any(until in line for line in lines):
            return lines
        _deadline_passed(deadline, f"a line with {until!r} in {group}")
        time.sleep(POLL_S)
