"""Kinesis and DynamoDB Streams event source mappings: Lambda reading a stream, shard by shard.

As *Using AWS Lambda with Amazon Kinesis* and *Using AWS Lambda with Amazon DynamoDB*
(AWS Lambda Developer Guide) describe, a :class:`StreamPoller`

- reads every shard as the function's **execution role** (``kinesis:DescribeStream``,
  ``ListShards``, ``GetShardIterator``, ``GetRecords``; ``dynamodb:DescribeStream``,
  ``GetShardIterator``, ``GetRecords``) from ``StartingPosition`` (``TRIM_HORIZON``, ``LATEST``,
  or for Kinesis ``AT_TIMESTAMP`` with ``StartingPositionTimestamp``, which the SDK sends in
  whole seconds), polling each shard once a second (Kinesis) or four times a second (DynamoDB,
  "at a base rate of four times per second"); the mapping is ``Enabled`` once every shard
  has its iterator, so a record put after that is read even from ``LATEST``;
- keeps each shard in order: ``ParallelizationFactor`` (1-10) batches of a shard run at once,
  and records with the same partition key (Kinesis) or item key (DynamoDB) always go to the
  same one, in order; after a Kinesis split or merge, the children are read once their
  parents are read to the end and processed;
- invokes the function **synchronously** with up to ``BatchSize`` records (and at most 6 MB)
  gathered for at most ``MaximumBatchingWindowInSeconds``, in the event shapes Lambda sends
  (see :mod:`lambdakit.events`);
- drops records that match none of the ``FilterCriteria`` (Kinesis: patterns on ``data``, the
  record's data decoded as JSON; DynamoDB: the whole record);
- on a **function error** (the handler raised, timed out or crashed) blocks the shard (lane) and
  retries the batch until it succeeds, ``MaximumRetryAttempts`` retries fail (-1: no limit) or
  its records are older than ``MaximumRecordAgeInSeconds`` (-1: the stream's retention). With
  ``BisectBatchOnFunctionError`` a failing batch is split in two and the halves retried in order;
  "splitting batches doesn't consume the retry quota". With ``ReportBatchItemFailures`` in
  ``FunctionResponseTypes``, ``{"batchItemFailures": [{"itemIdentifier": "<SequenceNumber>"}]}``
  checkpoints before the lowest sequence number returned and retries from there (an empty or
  missing identifier, or one not in the batch, fails the whole batch);
- on a **throttle** or a system error retries without counting, until the records expire;
- skips a batch it gives up on, and sends an invocation record (``RetryAttemptsExhausted`` or
  ``RecordAgeExceeded``, ``KinesisBatchInfo`` / ``DDBStreamBatchInfo``) to
  ``DestinationConfig.OnFailure`` (SQS queue or SNS topic) as the execution role;
- with ``TumblingWindowInSeconds``, groups records into windows by arrival time (aligned on
  the epoch), never mixes two windows in a batch, passes each invocation the window's
  ``state`` (the previous response's ``state``; a response without one is a failed invocation)
  with ``window``, ``shardId``, ``eventSourceARN``, ``isFinalInvokeForWindow`` and
  ``isWindowTerminatedEarly``, and once the window has ended invokes the function one last
  time with no records and ``isFinalInvokeForWindow: true`` (early, when the state passes 1 MB);
  windows belong to a lane and are not kept across a disable/enable;
- publishes ``IteratorAge`` (ms, the age of the batch's last record when it finishes) and keeps
  the mapping's ``LastProcessingResult`` (``OK`` / ``PROBLEM: Function call failed``).

Record ages and every wait run on ``Settings.time_scale``: at 0.001 a record is "one minute old"
60 ms after it arrived. Where AWS documents no number the kit chooses one: a failed batch is
retried after one second, a throttled one after a backoff doubling from one second to 30.
A mapping disabled and enabled again (the same :class:`~.base.Mapping`) resumes where it stopped.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from typing import Any

from ..errors import TooManyRequestsException
from ..settings import SYNC_PAYLOAD_LIMIT
from .base import Mapping, Poller, invoke, matches, resolve_function, role_client

log = logging.getLogger("lambdakit")

POLL_SECONDS = {"kinesis": 1.0, "dynamodb": 0.25}  # AWS: once a second / four times a second
MIN_POLL_SECONDS = 0.05  # never faster than this, whatever the scale: the endpoint is shared
RETRY_SECONDS = 1.0  # wait before retrying a failed batch (AWS documents none)
BACKOFF_MAX_SECONDS = 30.0  # throttles: 1, 2, 4 ... 30 seconds
DDB_RETENTION_SECONDS = 24 * 3600  # DynamoDB Streams keeps records for 24 hours
DEFAULT_BATCH_SIZE = 100
MAX_BUFFERED = 10000  # records read ahead per shard before reading pauses
CLOSED_POLL_SECONDS = 1.0  # a closed shard read to its end is polled this often
DISCOVERY_SECONDS = 60.0  # Kinesis: look for new shards (resharding) this often, on the time scale
READY_TIMEOUT = 10.0  # start() waits at most this for the shard iterators
STATE_LIMIT = 1024 * 1024  # a tumbling window's state; over it the window ends early


@dataclasses.dataclass
class StreamRecord:
    """One record read from a shard, in the shape the function receives."""

    sequence: str
    key: str  # the partition key (Kinesis) or the item's key (DynamoDB): its lane
    arrival: float  # epoch seconds when the stream got it
    event: dict[str, Any]
    size: int = 0  # bytes of the record in the event's JSON

    def __post_init__(self) -> None:
        self.size = self.size or len(json.dumps(self.event)) + 2

    @property
    def number(self) -> int:
        return int(self.sequence)


@dataclasses.dataclass
class _Window:
    """A tumbling window of a lane: its bounds (epoch seconds) and the function's state."""

    start: float
    end: float
    state: dict[str, Any] = dataclasses.field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        return {"start": _iso(self.start, self.start % 1 != 0),
                "end": _iso(self.end, self.end % 1 != 0)}


@dataclasses.dataclass
class _Work:
    """A batch being processed: its records, invocations so far and retries counted."""

    records: list[StreamRecord]
    invokes: int = 0
    retries: int = 0
    request_id: str = ""
    last: Any = None  # the last InvokeResult, or (kind, status, message) for throttles
    window: _Window | None = None  # with TumblingWindowInSeconds
    final: bool = False  # the window's final invocation (no records)
    early: bool = False  # ... because the state grew over 1 MB


class _Shard:
    """One shard: its reader position, its lanes (one per parallel batch) and what is pending."""

    def __init__(self, shard_id: str, parents: list[str], closed: bool, start: str | None):
        self.id = shard_id
        self.parents = parents  # read only once these are finished (Kinesis resharding)
        self.closed = closed  # no more records will be added (split or merged)
        self.exhausted = False  # closed, and read to its end
        self.start = start  # the iterator type when not StartingPosition (shards found later)
        self.cond = threading.Condition()
        self.lanes: list[deque[StreamRecord]] = []  # grows to the largest factor used
        self.active = 0  # lanes new records go to (ParallelizationFactor)
        self.current: dict[int, list[StreamRecord]] = {}  # lane -> records in flight
        self.windows: dict[int, _Window] = {}  # lane -> its open tumbling window
        self.last_read: str | None = None
        self.started = False  # has its first shard iterator

    def buffered(self) -> int:
        return sum(len(lane) for lane in self.lanes)

    def idle(self) -> bool:
        return not self.buffered() and not any(self.current.values())

    def finished(self) -> bool:
        with self.cond:
            return self.exhausted and self.idle()

    def lowest_pending(self) -> str | None:
        pending = [r for lane in self.lanes for r in lane]
        pending += [r for records in self.current.values() for r in records]
        return min(pending, key=lambda r: r.number).sequence if pending else None


def _epoch(value: Any) -> float:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value)


def _iso(epoch: float, millis: bool) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _lane_of(key: str, lanes: int) -> int:
    return int.from_bytes(hashlib.md5(key.encode()).digest()[:8], "big") % lanes


class StreamPoller(Poller):
    """Polls a Kinesis data stream or a DynamoDB stream for one event source mapping."""

    def __init__(self, engine: Any, mapping: Mapping):
        super().__init__(engine, mapping)
        self.scale = engine.settings.time_scale
        self.kinesis = mapping.service == "kinesis"
        self.shards: dict[str, _Shard] = {}
        self.retention = float(DDB_RETENTION_SECONDS)
        #: set once every shard has its first iterator: records put from then on are read
        #: whatever the StartingPosition (LATEST starts there)
        self.ready = threading.Event()
        self._warned: set[str] = set()

    def start(self, ready_timeout: float = READY_TIMEOUT) -> None:
        """Start polling; return once every shard has its first iterator (so a mapping is
        ``Enabled`` only when it reads the stream), or after ``ready_timeout`` seconds."""
        super().start()
        self.ready.wait(ready_timeout)

    # -- reading ------------------------------------------------------------------------
    def client(self) -> Any:
        """The execution role's client of the stream (the role the function has now)."""
        return role_client(self.engine, self.mapping,
                           "kinesis" if self.kinesis else "dynamodbstreams")

    def run(self) -> None:
        first = True
        while not self.stopping.is_set():
            try:
                listing = self._list_shards()
            except Exception as exc:
                self._warn(f"cannot read {self.mapping.source_arn}: {exc}")
                if self.wait(self._poll_interval() * 5):
                    return
                continue
            new = []
            for shard_id, parents, closed in listing:
                shard = self.shards.get(shard_id)
                if shard is not None:
                    with shard.cond:
                        shard.closed = shard.closed or closed
                    continue
                # shards found after the start are children of a split or merge: all new
                shard = _Shard(shard_id, parents, closed, None if first else "TRIM_HORIZON")
                self.shards[shard_id] = shard
                new.append(shard)
            if first and not new:
                self.ready.set()
            first = False
            for shard in new:
                self.spawn(self._read_shard,
                           f"lambdakit-stream-{self.mapping.uuid[:8]}-{shard.id[-6:]}", shard)
            if not self.kinesis:  # moto keeps one DynamoDB stream shard for the table's life
                return
            if self.wait(min(max(DISCOVERY_SECONDS * self.scale, 1.0), DISCOVERY_SECONDS)):
                return

    def _list_shards(self) -> list[tuple[str, list[str], bool]]:
        """(shard id, parent shard ids, closed) of every shard of the stream."""
        arn = self.mapping.source_arn
        if not self.kinesis:
            described = self.client().describe_stream(StreamArn=arn)["StreamDescription"]
            shards = described.get("Shards", [])
        else:
            described = self.client().describe_stream(StreamARN=arn, Limit=1)
            self.retention = described["StreamDescription"]["RetentionPeriodHours"] * 3600.0
            shards = self._kinesis_shards(arn)
        return [(s["ShardId"], [p for p in (s.get("ParentShardId"), s.get("AdjacentParentShardId"))
                                if p], "EndingSequenceNumber" in s.get("SequenceNumberRange", {}))
                for s in shards]

    def _warn(self, problem: str) -> None:
        """Log a reading problem once (it is retried every few polls until it goes away)."""
        level = logging.DEBUG if problem in self._warned else logging.WARNING
        if len(self._warned) > 100:
            self._warned.clear()
        self._warned.add(problem)
        log.log(level, "lambdakit: mapping %s %s", self.mapping.uuid, problem)

    def _kinesis_shards(self, arn: str) -> list[dict[str, Any]]:
        shards, token = [], None
        while True:
            page = (self.client().list_shards(NextToken=token) if token
                    else self.client().list_shards(StreamARN=arn))
            shards += page.get("Shards", [])
            token = page.get("NextToken")
            if not token:
                return shards

    def _poll_interval(self) -> float:
        return max(POLL_SECONDS[self.mapping.service] * self.scale, MIN_POLL_SECONDS)

    def _first_iterator(self, shard: _Shard) -> str:
        arn = self.mapping.source_arn
        positions = getattr(self.mapping, "stream_positions", {})
        kwargs: dict[str, Any]
        if shard.last_read is not None:  # after a failed read: on from the last record read
            positions = {shard.id: ("AFTER_SEQUENCE_NUMBER", shard.last_read)}
        if shard.id in positions:  # resuming after a stop: where the previous poller left off
            kind, sequence = positions[shard.id]
            kwargs = {"ShardIteratorType": kind}
            if sequence is not None:
                kwargs["StartingSequenceNumber" if self.kinesis else "SequenceNumber"] = sequence
        else:
            position = shard.start or self.mapping.get("StartingPosition", "LATEST")
            kwargs = {"ShardIteratorType": position}
            if position == "AT_TIMESTAMP":
                kwargs["Timestamp"] = self.mapping.get("StartingPositionTimestamp")
        if self.kinesis:
            return self.client().get_shard_iterator(StreamARN=arn, ShardId=shard.id,
                                                    **kwargs)["ShardIterator"]
        return self.client().get_shard_iterator(StreamArn=arn, ShardId=shard.id,
                                                **kwargs)["ShardIterator"]

    def _read_shard(self, shard: _Shard) -> None:
        iterator: str | None = None
        while not self.stopping.is_set():
            try:
                if iterator is None:
                    iterator = self._first_iterator(shard)
                    self._started(shard)
                if not self._parents_finished(shard):  # a parent's records go first
                    self.wait(self._poll_interval())
                    continue
                self._ensure_lanes(shard)
                with shard.cond:
                    room = MAX_BUFFERED - shard.buffered()
                if room <= 0:
                    self.wait(self._poll_interval())
                    continue
                if self.kinesis:
                    page = self.client().get_records(StreamARN=self.mapping.source_arn,
                                                     ShardIterator=iterator, Limit=min(room, 10000))
                else:
                    page = self.client().get_records(ShardIterator=iterator, Limit=min(room, 1000))
                role = self._role_arn() if self.kinesis and page.get("Records") else ""
            except Exception as exc:
                if self.stopping.is_set():
                    return
                self._warn(f"cannot read shard {shard.id}: {exc}")
                iterator = None
                self.wait(self._poll_interval() * 5)
                continue
            records = [self._record(shard, raw, role) for raw in page.get("Records", [])]
            if records:
                self._dispatch(shard, records)
            with shard.cond:
                # a closed shard read to its end lets its children start; it is still read
                # (slowly): moto 5.2 (5.2.6 too) keeps routing records to a split shard's parent
                shard.exhausted = not records and (shard.closed
                                                   or page.get("NextShardIterator") is None)
                shard.cond.notify_all()
            iterator = page.get("NextShardIterator") or iterator
            if not records and self.wait(
                    CLOSED_POLL_SECONDS if shard.exhausted else self._poll_interval()):
                return

    def _parents_finished(self, shard: _Shard) -> bool:
        return all(self.shards[p].finished() for p in shard.parents if p in self.shards)

    def _started(self, shard: _Shard) -> None:
        with shard.cond:
            shard.started = True
        if all(s.started for s in list(self.shards.values())):
            self.ready.set()

    def _record(self, shard: _Shard, raw: dict[str, Any], role: str) -> StreamRecord:
        region = self.mapping.region
        if self.kinesis:
            arrival = _epoch(raw["ApproximateArrivalTimestamp"])
            sequence = raw["SequenceNumber"]
            event = {
                "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": raw["PartitionKey"],
                            "sequenceNumber": sequence,
                            "data": base64.b64encode(raw["Data"]).decode(),
                            "approximateArrivalTimestamp": round(arrival, 3)},
                "eventSource": "aws:kinesis", "eventVersion": "1.0",
                "eventID": f"{shard.id}:{sequence}", "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role, "awsRegion": region,
                "eventSourceARN": self.mapping.source_arn}
            return StreamRecord(sequence, raw["PartitionKey"], arrival, event)
        body = dict(raw["dynamodb"])
        arrival = _epoch(body["ApproximateCreationDateTime"])
        body["ApproximateCreationDateTime"] = int(arrival)
        event = {"eventID": raw["eventID"], "eventName": raw["eventName"], "eventVersion": "1.1",
                 "eventSource": "aws:dynamodb", "awsRegion": region, "dynamodb": body,
                 "eventSourceARN": self.mapping.source_arn}
        key = json.dumps(body.get("Keys", {}), sort_keys=True)
        return StreamRecord(body["SequenceNumber"], key, arrival, event)

    def _role_arn(self) -> str:
        fn, _, _ = resolve_function(self.mapping)
        return fn.role

    def _filter_view(self, record: StreamRecord) -> dict[str, Any]:
        """What FilterCriteria patterns see: for Kinesis only ``data``, decoded (JSON when it is
        JSON): "Kinesis event source mappings only support filtering on the data key"."""
        if not self.kinesis:
            return record.event
        raw = base64.b64decode(record.event["kinesis"]["data"])
        try:
            data: Any = json.loads(raw)
        except ValueError:
            data = raw.decode("utf-8", "replace")
        return {"data": data}

    def _dispatch(self, shard: _Shard, records: list[StreamRecord]) -> None:
        kept = [r for r in records if matches(self.mapping, self._filter_view(r))]
        with shard.cond:
            shard.last_read = records[-1].sequence
            for record in kept:
                shard.lanes[_lane_of(record.key, shard.active)].append(record)
            shard.cond.notify_all()

    def _ensure_lanes(self, shard: _Shard) -> None:
        """Use the lanes ParallelizationFactor asks for; a change applies once the shard is idle,
        so that a key never has records in two lanes at once."""
        factor = max(1, min(10, int(self.mapping.get("ParallelizationFactor", 1))))
        with shard.cond:
            if shard.active == factor or (shard.active and not shard.idle()):
                return
            shard.active = factor
            for index in range(len(shard.lanes), factor):
                shard.lanes.append(deque())
                self.spawn(self._lane_loop, f"lambdakit-stream-{self.mapping.uuid[:8]}-lane{index}",
                           shard, index)
            shard.cond.notify_all()

    # -- batches -------------------------------------------------------------------------
    def _window_width(self) -> float:
        """TumblingWindowInSeconds in real seconds (0: no windows)."""
        return float(self.mapping.get("TumblingWindowInSeconds", 0) or 0) * self.scale

    def _window_of(self, record: StreamRecord, width: float) -> float:
        """The start of the tumbling window ``record`` belongs to (by its arrival time)."""
        return (record.arrival // width) * width

    def _gather(self, shard: _Shard, index: int) -> _Work | None:
        """The lane's next batch: up to BatchSize records (one tumbling window's at most),
        waiting at most the batching window once the first is there; or the final invocation
        of a tumbling window that has ended. None when stopping."""
        with shard.cond:
            while True:
                if self.stopping.is_set():
                    return None
                lane, width = shard.lanes[index], self._window_width()
                window = shard.windows.get(index)
                if window is not None and (
                        not width or (lane and self._window_of(lane[0], width) != window.start)
                        or (not lane and time.time() >= window.end)):
                    del shard.windows[index]
                    return _Work([], window=window, final=True)
                if lane:
                    break
                wait = 0.5 if window is None else min(0.5, max(window.end - time.time(), 0.001))
                shard.cond.wait(wait)
            window_seconds = float(self.mapping.get("MaximumBatchingWindowInSeconds", 0))
            deadline = time.monotonic() + window_seconds * self.scale
            size = int(self.mapping.get("BatchSize", DEFAULT_BATCH_SIZE))
            while (len(lane) < size and not self.stopping.is_set()
                   and time.monotonic() < deadline):
                shard.cond.wait(deadline - time.monotonic())
            if self.stopping.is_set():
                return None
            batch = [lane.popleft()]  # up to BatchSize records within the 6 MB payload limit
            payload = batch[0].size + len('{"Records": []}')
            start = self._window_of(batch[0], width) if width else None
            while (lane and len(batch) < size and payload + lane[0].size <= SYNC_PAYLOAD_LIMIT
                   and (start is None or self._window_of(lane[0], width) == start)):
                payload += lane[0].size
                batch.append(lane.popleft())
            shard.current[index] = list(batch)
            if start is not None and index not in shard.windows:
                shard.windows[index] = _Window(start, start + width)
            return _Work(batch, window=shard.windows.get(index) if start is not None else None)

    def _lane_loop(self, shard: _Shard, index: int) -> None:
        while not self.stopping.is_set():
            work = self._gather(shard, index)
            if work is None:
                return
            try:
                if work.final:
                    self._close_window(shard, work)
                else:
                    self._process(shard, index, work)
            except Exception:  # never let a kit fault stop the lane silently
                log.exception("lambdakit: mapping %s failed on shard %s", self.mapping.uuid,
                              shard.id)
            early = None
            with shard.cond:
                if not self.stopping.is_set():
                    shard.current.pop(index, None)
                    window = shard.windows.get(index)
                    if window is not None and len(json.dumps(window.state)) > STATE_LIMIT:
                        del shard.windows[index]  # the state is too big: the window ends early
                        early = _Work([], window=window, final=True, early=True)
                shard.cond.notify_all()
            if early is not None and not self.stopping.is_set():
                self._close_window(shard, early)

    def _close_window(self, shard: _Shard, work: _Work) -> None:
        """The window's final invocation (``isFinalInvokeForWindow``), retried until it succeeds
        or MaximumRetryAttempts retries failed; then its state is dropped."""
        backoff = 0.0
        while not self.stopping.is_set():
            outcome = self._invoke(shard, work)
            if outcome == "throttled":
                backoff = min(max(backoff * 2, 1.0), BACKOFF_MAX_SECONDS)
                self.wait(backoff * self.scale)
                continue
            backoff = 0.0
            self._result("OK" if outcome != "failed" else "PROBLEM: Function call failed")
            if outcome != "failed":
                return
            work.retries += 1
            limit = int(self.mapping.get("MaximumRetryAttempts", -1))
            if 0 <= limit < work.retries:
                log.info("lambdakit: mapping %s drops the window %s of %s: its final invocation "
                         "failed", self.mapping.uuid, work.window.describe() if work.window
                         else "", shard.id)
                return
            self.wait(RETRY_SECONDS * self.scale)

    def age(self, record: StreamRecord) -> float:
        """The record's age in seconds on AWS's clock (real seconds / time scale)."""
        return (time.time() - record.arrival) / self.scale

    def _max_age(self) -> float:
        configured = int(self.mapping.get("MaximumRecordAgeInSeconds", -1))
        return self.retention if configured < 0 else min(float(configured), self.retention)

    def _process(self, shard: _Shard, index: int, first: _Work) -> None:
        """Process one batch until every record succeeded or was given up on."""
        queue: deque[_Work] = deque([first])
        backoff = 0.0
        while queue and not self.stopping.is_set():
            work = queue[0]
            max_age = self._max_age()
            expired = 0
            while expired < len(work.records) and self.age(work.records[expired]) >= max_age:
                expired += 1
            if expired:
                self._give_up(shard, work, work.records[:expired], "RecordAgeExceeded")
                work.records = work.records[expired:]
                self._settle(shard, index, [r for w in queue for r in w.records])
                if not work.records:
                    queue.popleft()
                continue
            outcome = self._invoke(shard, work)
            if outcome == "throttled":
                backoff = min(max(backoff * 2, 1.0), BACKOFF_MAX_SECONDS)
                self.wait(backoff * self.scale)
                continue
            backoff = 0.0
            self._iterator_age(work.records[-1])
            self._result("OK" if outcome == "success" else "PROBLEM: Function call failed")
            if outcome == "success":
                queue.popleft()
                self._settle(shard, index, [r for w in queue for r in w.records])
                continue
            if isinstance(outcome, int):  # partial batch response: retry from that record
                work.records = work.records[outcome:]
                self._settle(shard, index, [r for w in queue for r in w.records])
            elif (self.mapping.get("BisectBatchOnFunctionError", False)
                  and len(work.records) > 1):
                half = len(work.records) // 2
                queue.popleft()
                queue.appendleft(_Work(work.records[half:], work.invokes, window=work.window))
                queue.appendleft(_Work(work.records[:half], work.invokes, window=work.window))
                continue
            work.retries += 1
            limit = int(self.mapping.get("MaximumRetryAttempts", -1))
            if 0 <= limit < work.retries:
                self._give_up(shard, work, work.records, "RetryAttemptsExhausted")
                queue.popleft()
                self._settle(shard, index, [r for w in queue for r in w.records])
                continue
            self.wait(RETRY_SECONDS * self.scale)

    def _result(self, text: str) -> None:
        """The mapping's LastProcessingResult, as GetEventSourceMapping shows it."""
        with self.mapping.lock:
            self.mapping.config["LastProcessingResult"] = text

    def _settle(self, shard: _Shard, index: int, pending: list[StreamRecord]) -> None:
        """Records of the lane's batch still to process (the checkpoint moves past the others)."""
        with shard.cond:
            shard.current[index] = list(pending)

    def _event(self, shard: _Shard, work: _Work) -> dict[str, Any]:
        """The event of one invocation: the records, and the tumbling window's fields."""
        event: dict[str, Any] = {"Records": [r.event for r in work.records]}
        if work.window is not None:
            event.update({"window": work.window.describe(), "state": work.window.state,
                          "shardId": shard.id, "eventSourceARN": self.mapping.source_arn,
                          "isFinalInvokeForWindow": work.final,
                          "isWindowTerminatedEarly": work.early})
        return event

    def _invoke(self, shard: _Shard, work: _Work) -> Any:
        """One invocation of the batch: ``success``, ``failed``, ``throttled``, or the index of
        the first record to retry (a partial batch response)."""
        try:
            result = invoke(self.engine, self.mapping, self._event(shard, work))
        except TooManyRequestsException as throttle:
            work.last = ("throttle", 429, throttle.message)
            return "throttled"
        except Exception as exc:  # a system error, or the function is gone: retried the same way
            if self.stopping.is_set():
                return "throttled"
            work.last = ("system", 500, str(exc))
            return "throttled"
        work.invokes += 1
        work.last, work.request_id = result, result.request_id
        if result.function_error is not None:
            return "failed"
        if work.window is not None and not work.final:
            # "If the response does not contain a state property, Lambda considers this a
            # failed invocation" (tumbling windows)
            try:
                response = json.loads(result.payload or b"null")
            except ValueError:
                response = None
            if not isinstance(response, dict) or not isinstance(response.get("state"), dict):
                return "failed"
            work.window.state = response["state"]
        if work.final or "ReportBatchItemFailures" not in (
                self.mapping.get("FunctionResponseTypes") or []):
            return "success"
        return self._partial(work, result.payload)

    @staticmethod
    def _partial(work: _Work, payload: bytes) -> Any:
        """Read a partial batch response (*Configuring partial batch response*, AWS)."""
        try:
            response = json.loads(payload or b"null")
        except ValueError:
            return "success"
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        if not failures:
            return "success"
        positions = {r.sequence: i for i, r in enumerate(work.records)}
        found = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
            if not identifier or str(identifier) not in positions:
                return "failed"  # empty, null, a bad key name or not in the batch: all failed
            found.append(positions[str(identifier)])
        return min(found)

    # -- giving up -----------------------------------------------------------------------------
    def _give_up(self, shard: _Shard, work: _Work, records: list[StreamRecord],
                 condition: str) -> None:
        log.info("lambdakit: mapping %s skips %d record(s) of %s: %s", self.mapping.uuid,
                 len(records), shard.id, condition)
        target = (((self.mapping.get("DestinationConfig") or {}).get("OnFailure") or {})
                  .get("Destination"))
        if not target or self.stopping.is_set():
            return
        try:
            from ..async_invoke import send

            fn, _, _ = resolve_function(self.mapping)
            send(self.engine, fn, target, json.dumps(self.record(shard, work, records, condition)))
        except Exception as exc:
            log.warning("lambdakit: OnFailure destination %s of mapping %s refused the record: %s",
                        target, self.mapping.uuid, exc)

    def record(self, shard: _Shard, work: _Work, records: list[StreamRecord],
               condition: str) -> dict[str, Any]:
        """The invocation record for records given up on (AWS's format, version 1.0)."""
        answer: dict[str, Any] = {
            "requestContext": {"requestId": work.request_id or str(uuid.uuid4()),
                               "functionArn": self.mapping.function_arn, "condition": condition,
                               "approximateInvokeCount": work.invokes}}
        last = work.last
        if isinstance(last, tuple):
            answer["responseContext"] = {"statusCode": last[1], "executedVersion": "$LATEST",
                                         "functionError": ("TooManyRequestsException"
                                                           if last[0] == "throttle" else "Unhandled")}
        elif last is not None:
            context: dict[str, Any] = {"statusCode": 200, "executedVersion": last.executed_version}
            if last.function_error:
                context["functionError"] = last.function_error
            answer["responseContext"] = context
        now = time.time()
        answer["version"] = "1.0"
        answer["timestamp"] = _iso(now, True)
        answer["KinesisBatchInfo" if self.kinesis else "DDBStreamBatchInfo"] = {
            "shardId": shard.id,
            "startSequenceNumber": records[0].sequence,
            "endSequenceNumber": records[-1].sequence,
            "approximateArrivalOfFirstRecord": _iso(records[0].arrival, self.kinesis),
            "approximateArrivalOfLastRecord": _iso(records[-1].arrival, self.kinesis),
            "batchSize": len(records),
            "streamArn": self.mapping.source_arn}
        return answer

    def _iterator_age(self, last: StreamRecord) -> None:
        parts = self.mapping.function_arn.split(":")
        qualifier = parts[7] if len(parts) > 7 else None
        self.engine.metrics.iterator_age(self.mapping.account, self.mapping.region, parts[6],
                                         qualifier, self.age(last) * 1000)

    # -- stopping ------------------------------------------------------------------------------
    def stop(self, timeout: float = 10.0) -> None:
        """Stop reading and wait for the batches in flight; remember where each shard stands."""
        self.stopping.set()
        self.ready.set()  # nobody waits for a poller that is stopping
        for shard in list(self.shards.values()):
            with shard.cond:
                shard.cond.notify_all()
        super().stop(timeout)
        positions = dict(getattr(self.mapping, "stream_positions", {}))
        for shard in self.shards.values():
            with shard.cond:
                pending = shard.lowest_pending()
                if pending is not None:
                    positions[shard.id] = ("AT_SEQUENCE_NUMBER", pending)
                elif shard.last_read is not None:
                    positions[shard.id] = ("AFTER_SEQUENCE_NUMBER", shard.last_read)
                elif shard.start is not None:  # a child shard not read yet: from its start
                    positions[shard.id] = (shard.start, None)
        self.mapping.stream_positions = positions  # type: ignore[attr-defined]
