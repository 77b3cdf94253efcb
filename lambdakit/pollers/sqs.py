"""The SQS poller: Lambda reading a queue for an event source mapping, as AWS does it.

As "Using Lambda with Amazon SQS" describes:

- the poller long-polls the queue **as the function's execution role** (a permission taken
  away later fails at poll time: ``LastProcessingResult`` says ``PROBLEM: ...`` and the
  poller keeps trying with backoff), gathering up to ``BatchSize`` messages for at most
  ``MaximumBatchingWindowInSeconds`` (on the engine's time scale) after the first one;
- it invokes the function **synchronously** with AWS's event (``{"Records": [...]}``, each
  record with ``messageId``, ``receiptHandle``, ``body``, ``attributes``,
  ``messageAttributes``, ``md5OfBody``, ``eventSource``, ``eventSourceARN``, ``awsRegion``);
- a successful batch is deleted; on a function error (the handler raised, timed out or
  crashed) or a throttle nothing is deleted: the messages become visible again after the
  queue's visibility timeout and the queue's redrive policy moves them to its dead-letter
  queue after ``maxReceiveCount`` receives. A throttle also makes the poller back off;
- with ``FunctionResponseTypes=["ReportBatchItemFailures"]`` the function may answer
  ``{"batchItemFailures": [{"itemIdentifier": messageId}, ...]}``: only those stay in the
  queue. An empty or null list, or an empty or null response, means all succeeded; an
  invalid response or an item without a valid ``itemIdentifier`` fails the whole batch;
- messages matching none of the ``FilterCriteria`` (patterns see the ``body`` key only,
  parsed when it is JSON) are deleted without invoking the function;
- a batch carries at most the 6 MB payload of a synchronous invocation: messages beyond it
  stay in the queue and come back after the visibility timeout;
- several batches are in flight at once, as "Configuring scaling behavior for SQS event
  source mappings" describes: five at first, then, while batches come back full, up to 300
  more per minute (on the engine's time scale), at most 1,000, back to five when the queue
  is empty; never more than ``ScalingConfig.MaximumConcurrency`` nor the engine's
  ``Settings.max_environments``. On a FIFO queue SQS hands out one batch
  per message group at a time, so each group is processed in order.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from ..errors import LambdaError, TooManyRequestsException
from ..settings import SYNC_PAYLOAD_LIMIT
from .. import identity
from .base import Mapping, Poller, invoke, matches, resolve_function

if TYPE_CHECKING:
    from ..engine import Engine

log = logging.getLogger("lambdakit")

#: seconds one ReceiveMessage long-polls, so a stop request is honoured promptly
LONG_POLL = 1
#: batches in flight when messages arrive, how many more each minute of backlog, at most
START_BATCHES, MORE_PER_MINUTE, MAX_BATCHES = 5, 300, 1000
#: backoff after a throttle or a problem: AWS seconds, doubling, times the engine's time scale
BACKOFF_FIRST, BACKOFF_MAX = 1.0, 60.0
#: the shortest real wait between failing attempts, whatever the time scale
MIN_REAL_WAIT = 0.2
#: a FIFO queue is short-polled (moto spins during a long poll while a group is in flight):
#: the wait between empty receives grows from the first value to the second
FIFO_IDLE_WAIT = (0.05, 1.0)
#: the record attributes SQS system attributes become, in AWS's order
RECORD_ATTRIBUTES = ("ApproximateReceiveCount", "SentTimestamp", "SequenceNumber",
                     "MessageGroupId", "SenderId", "MessageDeduplicationId",
                     "ApproximateFirstReceiveTimestamp", "AWSTraceHeader")


def record(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """AWS's SQS event record for one message as ReceiveMessage returned it."""
    system = message.get("Attributes") or {}
    attributes = {name: system[name] for name in RECORD_ATTRIBUTES if name in system}
    message_attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        converted: dict[str, Any] = {}
        if "StringValue" in value:
            converted["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        converted.update({
            "stringListValues": list(value.get("StringListValues") or []),
            "binaryListValues": [base64.b64encode(b).decode()
                                 for b in value.get("BinaryListValues") or []],
            "dataType": value.get("DataType", "String")})
        message_attributes[name] = converted
    answer: dict[str, Any] = {
        "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""), "attributes": attributes,
        "messageAttributes": message_attributes, "md5OfBody": message.get("MD5OfBody")}
    if message_attributes and message.get("MD5OfMessageAttributes"):
        answer["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    answer.update({"eventSource": "aws:sqs", "eventSourceARN": queue_arn,
                   "awsRegion": queue_arn.split(":")[3]})
    return answer


def fitting(records: list[dict[str, Any]], limit: int = SYNC_PAYLOAD_LIMIT) -> int:
    """How many of ``records`` (at least one) fit in one event within the payload limit."""
    size = len(b'{"Records": []}')
    for count, item in enumerate(records):
        size += len(json.dumps(item).encode()) + (2 if count else 0)
        if size > limit:
            return max(count, 1)
    return len(records)


def for_filters(item: dict[str, Any]) -> dict[str, Any]:
    """What filter patterns see of a record: its body alone ("Amazon SQS event source mappings
    only support filtering on the body key"), parsed when it is JSON."""
    try:
        return {"body": json.loads(item["body"])}
    except (ValueError, TypeError):
        return {"body": item["body"]}


def failed_items(payload: bytes, batch: list[dict[str, Any]]) -> set[str] | None:
    """The messageIds a ReportBatchItemFailures response names; None if the whole batch failed.

    An empty or null list and an empty or null response mean every message succeeded.
    """
    if not payload or not payload.strip():
        return set()
    try:
        answer = json.loads(payload)
    except ValueError:
        return None
    if answer is None:
        return set()
    if not isinstance(answer, dict):
        return None
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    known = {item["messageId"] for item in batch}
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in known:
            return None
        failed.add(identifier)
    return failed


class SqsPoller(Poller):
    """Polls one SQS queue for one event source mapping."""

    def __init__(self, engine: Engine, mapping: Mapping):
        super().__init__(engine, mapping)
        _, _, _, region, account, name = mapping.source_arn.split(":", 5)
        self.queue_url = f"{engine.endpoint_url}/{account}/{name}"
        self.region = region
        self.fifo = name.endswith(".fifo")
        self._lock = threading.Lock()
        self._workers = 0
        self._backlog_since: float | None = None  # when batches started coming back full

    # -- scaling -------------------------------------------------------------------------
    def limit(self) -> int:
        """Batches in flight at most now: AWS's scaling so far, within MaximumConcurrency
        and the engine's worker cap."""
        cap = min(MAX_BATCHES, self.engine.settings.max_environments)
        wanted = (self.mapping.get("ScalingConfig") or {}).get("MaximumConcurrency")
        if wanted:
            cap = min(cap, wanted)
        since = self._backlog_since
        scaled = START_BATCHES
        if since is not None:
            minutes = (time.monotonic() - since) / 60 / self.engine.settings.time_scale
            scaled += int(MORE_PER_MINUTE * minutes)
        return max(1, min(cap, scaled))

    def run(self) -> None:
        with self._lock:
            self._workers += 1
        self._work(primary=True)

    def _grow(self) -> None:
        """Add a worker (the last batch was full: there is a backlog)."""
        with self._lock:
            if self._backlog_since is None:
                self._backlog_since = time.monotonic()
            if self._workers >= self.limit():
                return
            self._workers += 1
        if self.spawn(self._work_guarded, f"lambdakit-sqs-{self.mapping.uuid[:8]}", False) is None:
            with self._lock:
                self._workers -= 1

    def _shrink(self) -> bool:
        """True when this (non-primary) worker should end: the queue is idle or over the limit."""
        with self._lock:
            self._workers -= 1
        return True

    def _work_guarded(self, primary: bool) -> None:
        try:
            self._work(primary)
        except Exception:
            log.exception("lambdakit: SQS poller of mapping %s failed", self.mapping.uuid)

    def _work(self, primary: bool) -> None:
        backoff = trouble = 0.0  # after throttles; after failed polls
        idle = FIFO_IDLE_WAIT[0]
        while not self.stopping.is_set():
            if not primary:
                with self._lock:
                    over = self._workers > self.limit()
                if over and self._shrink():
                    return
            try:
                batch = self._gather()
            except Exception as exc:
                if self.stopping.is_set():
                    break
                self._problem(exc)
                trouble = self._back_off(trouble)
                continue
            trouble = 0.0
            self._clear_problem()
            if not batch:
                if primary:  # the backlog is gone: back to the first five
                    self._backlog_since = None
                if not primary and self._shrink():
                    return
                if self.fifo:
                    self.wait(idle)
                    idle = min(idle * 2, FIFO_IDLE_WAIT[1])
                continue
            idle = FIFO_IDLE_WAIT[0]
            if len(batch) >= self.mapping.get("BatchSize", 10):
                self._grow()
            if self.stopping.is_set():
                break  # received, not processed: back in the queue after the visibility timeout
            throttled = self._process(batch)
            backoff = self._back_off(backoff) if throttled else 0.0
        if not primary:
            with self._lock:
                self._workers -= 1

    def _back_off(self, previous: float) -> float:
        delay = BACKOFF_FIRST if not previous else min(previous * 2, BACKOFF_MAX)
        self.wait(max(MIN_REAL_WAIT, delay * self.engine.settings.time_scale))
        return delay

    # -- reading ---------------------------------------------------------------------------
    def client(self) -> Any:
        """An SQS client signed as the execution role (one per role, see identity.role_client)."""
        fn, _, _ = resolve_function(self.mapping)
        return identity.role_client(self.engine, fn, "sqs", self.region)

    def _gather(self) -> list[dict[str, Any]]:
        """Up to BatchSize messages: the first long-polled, the rest within the batching window."""
        client = self.client()
        size = int(self.mapping.get("BatchSize", 10))
        window = float(self.mapping.get("MaximumBatchingWindowInSeconds", 0))
        window *= self.engine.settings.time_scale
        messages: list[dict[str, Any]] = []
        deadline = 0.0
        while not self.stopping.is_set():
            answer = client.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=min(10, size - len(messages)),
                WaitTimeSeconds=0 if messages or self.fifo else LONG_POLL,
                MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"])
            got = answer.get("Messages") or []
            if got and not messages:
                deadline = time.monotonic() + window
            messages += got
            if not messages or len(messages) >= size:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if not got:
                self.wait(min(left, 0.05))
        return messages

    # -- one batch -------------------------------------------------------------------------
    def _process(self, messages: list[dict[str, Any]]) -> bool:
        """Filter, invoke, delete what succeeded; True when the invocation was throttled."""
        source = self.mapping.source_arn
        records = [record(m, source) for m in messages]
        wanted = [r for r in records if matches(self.mapping, for_filters(r))]
        if len(wanted) < len(records):  # as on AWS, SQS messages no filter matches are deleted
            self._delete([r for r in records if r not in wanted])
        if not wanted:
            return False
        # one call carries at most 6 MB: the rest stays, visible again after the timeout
        wanted = wanted[:fitting(wanted)]
        try:
            result = invoke(self.engine, self.mapping, {"Records": wanted})
        except TooManyRequestsException:
            return True
        except LambdaError as error:  # e.g. the function was deleted
            self._problem(error)
            return True
        except Exception as exc:
            if not self.stopping.is_set():
                log.warning("lambdakit: SQS mapping %s could not invoke: %s", self.mapping.uuid,
                            exc)
            return False
        if result.function_error is not None:
            return False  # the whole batch returns to the queue after the visibility timeout
        done = wanted
        if "ReportBatchItemFailures" in (self.mapping.get("FunctionResponseTypes") or []):
            failed = failed_items(result.payload, wanted)
            if failed is None:
                return False
            done = [r for r in wanted if r["messageId"] not in failed]
        self._delete(done)
        return False

    def _delete(self, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        try:
            client = self.client()
            for start in range(0, len(records), 10):
                chunk = records[start:start + 10]
                answer = client.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                    {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
                    for i, r in enumerate(chunk)])
                if answer.get("Failed"):
                    log.warning("lambdakit: SQS mapping %s could not delete %s", self.mapping.uuid,
                                answer["Failed"])
        except Exception as exc:
            self._problem(exc)

    # -- LastProcessingResult --------------------------------------------------------------
    def _problem(self, exc: Exception) -> None:
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            error = response.get("Error") or {}
            text = f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip()
        elif isinstance(exc, LambdaError):
            text = f"{exc.code}: {exc.message}"
        else:
            text = str(exc) or type(exc).__name__
        with self.mapping.lock:
            self.mapping.config["LastProcessingResult"] = f"PROBLEM: {text}"

    def _clear_problem(self) -> None:
        with self.mapping.lock:
            if str(self.mapping.config.get("LastProcessingResult", "")).startswith("PROBLEM"):
                self.mapping.config["LastProcessingResult"] = "OK"
