"""Asynchronous (``Event``) invocation as Lambda does it: an internal queue with retries,
a maximum event age, destinations and a dead-letter queue.

Invoke with ``InvocationType="Event"`` answers 202 at once and puts the event in a
per-function queue (:class:`AsyncQueue`). Then, as *How Lambda handles errors and
retries with asynchronous invocation* (AWS Lambda Developer Guide) describes:

- a **function error** (the handler raised, timed out, or its process died) is retried
  up to ``MaximumRetryAttempts`` more times (default 2), one minute before the first
  retry and two minutes before the second;
- a **throttle** (429 from the concurrency rules) or a **system error** returns the event
  to the queue and it is tried again with a delay growing exponentially from 1 second
  to at most 5 minutes, for as long as the event is younger than
  ``MaximumEventAgeInSeconds`` (default 21,600, six hours);
- the outcome goes to the ``OnSuccess`` / ``OnFailure`` destination of the function's
  event invoke configuration (SQS queue, SNS topic, EventBridge bus or another function)
  as an *invocation record*, and a failed event's original payload also goes to the
  function's dead-letter queue (``DeadLetterConfig.TargetArn``, SQS or SNS) with the
  message attributes ``RequestID``, ``ErrorCode`` and ``ErrorMessage``. Destinations
  can be configured "in addition to or instead of a dead-letter queue": both receive it.

Deliveries are signed with the function's **execution role** (as on AWS), so the role must
allow ``sqs:SendMessage``, ``sns:Publish``, ``events:PutEvents`` or
``lambda:InvokeFunction``; a refused delivery counts ``DestinationDeliveryFailures``
(or ``DeadLetterErrors``) and is otherwise lost.

Every AWS delay is multiplied by ``Settings.time_scale`` (``LAMBDAKIT_TIME_SCALE``,
default 1.0 = real time): at 0.01 the one-minute wait before a first retry lasts 0.6 s,
and an event "ages" 100 times faster. Metrics (``AWS/Lambda``, ``FunctionName``):
``AsyncEventsReceived``, ``AsyncEventAge`` (ms, on AWS's clock, i.e. real time divided
by the time scale), ``AsyncEventsDropped``, ``DeadLetterErrors``,
``DestinationDeliveryFailures``.

One scheduler thread keeps due events in a heap and waits on a condition until the
earliest is due (no polling); due events run on a small thread pool.
"""
from __future__ import annotations

import dataclasses
import heapq
import itertools
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from .errors import TooManyRequestsException
from .identity import role_client

if TYPE_CHECKING:
    from .engine import Engine
    from .functions import FunctionVersion

log = logging.getLogger("lambdakit")

DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE = 21600
#: seconds before the first and the second retry of a function error (AWS's documented waits)
RETRY_DELAYS = (60.0, 120.0)
#: throttles and system errors: 1 s after the first attempt, doubling, at most 5 minutes
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 300.0
#: the DLQ message attribute ErrorMessage holds the first 1 KB of the error message
ERROR_MESSAGE_LIMIT = 1024


@dataclasses.dataclass(eq=False)
class QueuedEvent:
    """One Event invocation waiting in (or moving through) the queue."""

    fn: FunctionVersion
    code_dir: str
    payload: bytes
    invoked_arn: str
    request_id: str
    received: float  # time.monotonic() when queued
    qualifier: str  # the config key: "$LATEST", a version or an alias
    attempts: int = 0  # every try, throttled ones included (approximateInvokeCount)
    function_errors: int = 0
    backoff: float = 0.0
    last: Any = None  # the last InvokeResult, or ("throttle"|"system", message)


def _config_key(fn: FunctionVersion, invoked_arn: str) -> tuple[str, str, str, str]:
    parts = invoked_arn.split(":")
    qualifier = parts[7] if len(parts) > 7 else "$LATEST"
    return fn.account_id, fn.region, fn.name, qualifier


def _json_or_text(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def _timestamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


class AsyncQueue:
    """The internal queue of Event invocations of one engine."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.scale = engine.settings.time_scale
        #: (account, region, function, qualifier) -> the FunctionEventInvokeConfig as stored
        self.configs: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self._heap: list[tuple[float, int, QueuedEvent]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._closed = False
        self._running = 0  # attempts handed to the workers and not finished
        self._workers = ThreadPoolExecutor(max_workers=max(2, engine.settings.max_environments),
                                           thread_name_prefix="lambdakit-event")
        self._thread = threading.Thread(target=self._schedule_loop, daemon=True,
                                        name="lambdakit-async-queue")
        self._thread.start()

    # -- the queue ------------------------------------------------------------------
    def submit(self, fn: FunctionVersion, code_dir: str, payload: bytes, invoked_arn: str,
               request_id: str) -> QueuedEvent:
        """Queue one event (Invoke has already answered 202)."""
        key = _config_key(fn, invoked_arn)
        event = QueuedEvent(fn, code_dir, payload, invoked_arn, request_id, time.monotonic(),
                            key[3])
        self.engine.metrics.async_event(fn.account_id, fn.region, fn.name, "AsyncEventsReceived")
        self._push(event, 0.0)
        return event

    def _push(self, event: QueuedEvent, aws_delay: float) -> None:
        due = time.monotonic() + aws_delay * self.scale
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._heap, (due, next(self._seq), event))
            self._cond.notify_all()

    def _schedule_loop(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    now = time.monotonic()
                    if self._heap and self._heap[0][0] <= now:
                        break
                    self._cond.wait(None if not self._heap else self._heap[0][0] - now)
                if self._closed:
                    return
                _, _, event = heapq.heappop(self._heap)
                self._running += 1
            try:
                self._workers.submit(self._attempt, event)
            except RuntimeError:  # the pool was shut down: the engine is closing
                return

    def pending(self) -> int:
        """Events waiting in the queue (not counting those running now)."""
        with self._cond:
            return len(self._heap)

    def idle(self) -> bool:
        """True when no event waits and no attempt runs: every event has reached its end."""
        with self._cond:
            return not self._heap and not self._running

    def close(self) -> None:
        """Stop the scheduler and drop queued events; running attempts finish on their own."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._heap.clear()
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._workers.shutdown(wait=False, cancel_futures=True)

    def join(self, timeout: float = 10.0) -> None:
        """Wait for attempts already running (after :meth:`close` and the workers' shutdown)."""
        deadline = time.monotonic() + timeout
        for thread in list(getattr(self._workers, "_threads", ())):
            thread.join(timeout=max(0.0, deadline - time.monotonic()))

    # -- configuration -------------------------------------------------------------------
    def config_for(self, event: QueuedEvent) -> dict[str, Any]:
        """The event invoke configuration of the event's function and qualifier ({} if none)."""
        config = self.configs.get((event.fn.account_id, event.fn.region, event.fn.name,
                                   event.qualifier), {})
        # a configuration belongs to the function it was put on, not to a later namesake
        return config if config.get("_function") in (None, _moto_latest(event.fn)) else {}

    def age(self, event: QueuedEvent) -> float:
        """The event's age in seconds on AWS's clock (real seconds / time scale)."""
        return (time.monotonic() - event.received) / self.scale

    # -- one attempt -----------------------------------------------------------------------
    def _attempt(self, event: QueuedEvent) -> None:
        try:
            self._try(event)
        except Exception:  # never let a kit fault kill the worker thread silently
            log.exception("lambdakit: async event %s of %s failed in the kit",
                          event.request_id, event.fn.name)
        finally:  # a retry is pushed back before this, so idle() never sees a gap
            with self._cond:
                self._running -= 1

    def _try(self, event: QueuedEvent) -> None:
        if self._closed:
            return
        config = self.config_for(event)
        max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE)
        max_retries = config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)
        fn = event.fn
        if _moto_latest(fn) is None:  # the function was deleted: its queued events go with it
            log.info("lambdakit: event %s dropped: %s was deleted", event.request_id, fn.name)
            return
        age = self.age(event)
        if age >= max_age:
            self._fail(event, "EventAgeExceeded")
            return
        self.engine.metrics.async_event(fn.account_id, fn.region, fn.name, "AsyncEventAge",
                                        age * 1000, "Milliseconds")
        event.attempts += 1
        try:
            result = self.engine.invoke(fn, event.code_dir, event.payload, event.invoked_arn,
                                        None, "Event", event.request_id)
        except TooManyRequestsException as throttle:
            event.last = ("throttle", 429, throttle.message)
            self._back_off(event, max_age)
            return
        except Exception as exc:  # a system error (500-series): retried like a throttle
            if self._closed:
                return
            event.last = ("system", 500, str(exc))
            self._back_off(event, max_age)
            return
        event.last = result
        if result.function_error is None:
            self._deliver(event, "Success", config)
            return
        event.function_errors += 1
        if event.function_errors > max_retries:
            self._fail(event, "RetriesExhausted")
            return
        delay = RETRY_DELAYS[min(event.function_errors, len(RETRY_DELAYS)) - 1]
        self._push(event, min(delay, max(max_age - self.age(event), 0.0)))

    def _back_off(self, event: QueuedEvent, max_age: float) -> None:
        event.backoff = BACKOFF_FIRST if not event.backoff else min(event.backoff * 2, BACKOFF_MAX)
        # never past the event's expiry: it is then dropped (EventAgeExceeded) at once
        self._push(event, min(event.backoff, max(max_age - self.age(event), 0.0)))

    def _fail(self, event: QueuedEvent, condition: str) -> None:
        self._deliver(event, condition, self.config_for(event))
        self._dead_letter(event)
        self.engine.metrics.async_event(event.fn.account_id, event.fn.region, event.fn.name,
                               "AsyncEventsDropped")

    # -- records and deliveries ---------------------------------------------------------------
    def record(self, event: QueuedEvent, condition: str) -> dict[str, Any]:
        """The invocation record sent to a destination (AWS's format, version 1.0)."""
        fn = event.fn
        function_arn = event.invoked_arn if event.invoked_arn.count(":") > 6 else (
            f"{event.invoked_arn}:$LATEST")
        record: dict[str, Any] = {
            "version": "1.0", "timestamp": _timestamp(),
            "requestContext": {"requestId": event.request_id, "functionArn": function_arn,
                               "condition": condition,
                               "approximateInvokeCount": event.attempts},
            "requestPayload": _json_or_text(event.payload)}
        last = event.last
        if last is not None and not isinstance(last, tuple):
            context: dict[str, Any] = {"statusCode": 200, "executedVersion": fn.version}
            if last.function_error:
                context["functionError"] = last.function_error
            record["responseContext"] = context
            record["responsePayload"] = _json_or_text(last.payload)
        elif last is not None:
            record["responseContext"] = {"statusCode": last[1], "executedVersion": fn.version,
                                         "functionError": "Unhandled" if last[0] == "system"
                                         else "TooManyRequestsException"}
            record["responsePayload"] = {"errorMessage": last[2]}
        return record

    def _deliver(self, event: QueuedEvent, condition: str, config: dict[str, Any]) -> None:
        which = "OnSuccess" if condition == "Success" else "OnFailure"
        target = ((config.get("DestinationConfig") or {}).get(which) or {}).get("Destination")
        if not target or self._closed:
            return
        record = self.record(event, condition)
        outcome = "Success" if condition == "Success" else "Failure"
        try:
            send(self.engine, event.fn, target, json.dumps(record), outcome=outcome,
                 function_arn=record["requestContext"]["functionArn"])
        except Exception as exc:
            log.warning("lambdakit: %s destination %s of %s refused the invocation record: %s",
                        which, target, event.fn.name, exc)
            self.engine.metrics.async_event(event.fn.account_id, event.fn.region, event.fn.name,
                                            "DestinationDeliveryFailures")

    def _dead_letter(self, event: QueuedEvent) -> None:
        target = dead_letter_target(event.fn)
        if not target or self._closed:
            return
        last = event.last
        if last is None:
            code, message = 429, "Event age exceeded"
        elif isinstance(last, tuple):
            code, message = last[1], last[2]
        else:
            code = 200
            body = _json_or_text(last.payload)
            message = (body.get("errorMessage") if isinstance(body, dict) else None) or str(body)
        attributes = {"RequestID": event.request_id, "ErrorCode": code,
                      "ErrorMessage": str(message)[:ERROR_MESSAGE_LIMIT]}
        try:
            send(self.engine, event.fn, target, event.payload.decode("utf-8", "replace") or "{}",
                 attributes=attributes, dead_letter=True)
        except Exception as exc:
            log.warning("lambdakit: dead-letter queue %s of %s refused the event: %s",
                        target, event.fn.name, exc)
            self.engine.metrics.async_event(event.fn.account_id, event.fn.region, event.fn.name,
                                            "DeadLetterErrors")


def _moto_latest(fn: FunctionVersion) -> Any:
    """moto's $LATEST object of ``fn``'s function, or None once it is deleted."""
    from moto.awslambda.models import lambda_backends

    try:
        group = lambda_backends[fn.account_id][fn.region]._lambdas._functions.get(fn.name) or {}
    except KeyError:
        return None
    return group.get("latest")


def dead_letter_target(fn: FunctionVersion) -> str | None:
    """The function's DeadLetterConfig.TargetArn (kept by :mod:`.event_invoke_config`)."""
    return getattr(_moto_latest(fn), "_lk_dead_letter", None)


def send(engine: Engine, fn: FunctionVersion, target: str, body: str, *,
         outcome: str = "Failure", function_arn: str = "", attributes: dict[str, Any] | None = None,
         dead_letter: bool = False) -> None:
    """Send ``body`` to the SQS queue, SNS topic, event bus or function ``target`` as ``fn``'s
    execution role; raise if the service refuses it."""
    parts = target.split(":")
    service, region, account = parts[2], parts[3] or fn.region, parts[4]
    if service == "sqs":
        url = f"{engine.endpoint_url}/{account}/{parts[5]}"
        extra: dict[str, Any] = {}
        if attributes:
            extra["MessageAttributes"] = _attributes(attributes)
        role_client(engine, fn, "sqs", region).send_message(QueueUrl=url, MessageBody=body, **extra)
    elif service == "sns":
        extra = {"MessageAttributes": _attributes(attributes)} if attributes else {}
        role_client(engine, fn, "sns", region).publish(TopicArn=target, Message=body, **extra)
    elif service == "events" and not dead_letter:
        answer = role_client(engine, fn, "events", region).put_events(Entries=[{
            "Source": "lambda", "DetailType": f"Lambda Function Invocation Result - {outcome}",
            "Detail": body, "EventBusName": target, "Resources": [function_arn]}])
        if answer.get("FailedEntryCount"):
            raise RuntimeError(f"PutEvents failed: {answer.get('Entries')}")
    elif service == "lambda" and not dead_letter:
        role_client(engine, fn, "lambda", region).invoke(FunctionName=target, InvocationType="Event",
                                                     Payload=body.encode())
    else:
        raise ValueError(f"unsupported destination {target}")


def _attributes(attributes: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {name: ({"DataType": "Number", "StringValue": str(value)} if isinstance(value, int)
                   else {"DataType": "String", "StringValue": str(value)})
            for name, value in attributes.items()}
