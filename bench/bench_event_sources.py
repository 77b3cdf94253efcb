"""Event sources as a learner feels them: asynchronous invocation, an SQS queue and a Kinesis stream.

Run from the repository root::

    python bench/bench_event_sources.py           # 1,000 events / messages / records per scenario
    python bench/bench_event_sources.py --quick   # 100 of each, for a smoke run

Each scenario starts a fresh in-process endpoint (``lambdakit.server.Endpoint``) at the
default settings (``time_scale`` 1.0, real AWS delays: none of them is on the path of a
trivial handler that never fails or is throttled), creates one function through boto3 and
measures, with ``perf_counter``:

1. asynchronous invocation: N ``InvocationType="Event"`` calls from one boto3 client, one at
   a time: how long Lambda takes to accept them (202s per second), then until every event has
   run (``engine.async_queue.idle()``);
2. SQS: N messages already in a queue, then ``create_event_source_mapping`` (BatchSize 10,
   ``ReportBatchItemFailures``, the handler reports no failure): the time until the queue is
   empty; once with the default scaling and once with ``ScalingConfig`` MaximumConcurrency 2.
   The RSS of this process and of all its worker processes is sampled meanwhile (psutil);
3. Kinesis: N records on 2 shards, then a mapping with BatchSize 100 and TRIM_HORIZON: the
   time until every record was processed.

The handler writes the ids it received to one file per invocation in a scratch directory (a
side effect readable from here; about the cost of a print); every scenario checks that each
event, message or record was processed (and counts any processed twice) and fails otherwise.
Every wait polls its condition with a deadline; nothing sleeps for a fixed time. Results are
printed and written to ``bench/results.md`` (section "bench_event_sources.py").
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import pathlib
import tempfile
import time
import uuid
from collections import Counter

import psutil

import _common as c
from bench_memory import Sampler

import lambdakit
from lambdakit.kit import LAMBDA_TRUST_POLICY, Kit
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

ACCOUNT, REGION = "123456789012", "us-east-1"
FULL, QUICK = 1000, 100
DEADLINE_S = 120.0  # per wait: far beyond what any scenario should need
SAMPLE_S = 0.02  # RSS sampling interval during the SQS runs
WAIT = {"Delay": 0.05, "MaxAttempts": 200}

#: records the ids each invocation received (one file per invocation, written atomically)
HANDLER = """
import base64, json, os

SCRATCH = os.environ["SCRATCH"]


def ids(event):
    if "Records" not in event:
        return [event["id"]]
    if "kinesis" in event["Records"][0]:
        return [json.loads(base64.b64decode(r["kinesis"]["data"]))["id"] for r in event["Records"]]
    return [json.loads(r["body"])["id"] for r in event["Records"]]


def handler(event, context):
    path = os.path.join(SCRATCH, context.aws_request_id)
    with open(path + ".tmp", "w") as f:
        json.dump(ids(event), f)
    os.replace(path + ".tmp", path)
    return {"batchItemFailures": []}
"""

POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
    "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
    "kinesis:DescribeStream", "kinesis:DescribeStreamSummary", "kinesis:ListShards",
    "kinesis:GetShardIterator", "kinesis:GetRecords"]}]}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def wait_until(predicate, what: str, timeout: float = DEADLINE_S) -> None:
    """Poll ``predicate`` (every 2 ms, backing off to 20 ms) until true; fail after ``timeout``."""
    deadline, delay = time.monotonic() + timeout, 0.002
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"FAILED: timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.02)


class Scratch:
    """The handler's output: {request id: [ids]} read back from the scratch directory."""

    def __init__(self) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="bench-es-")
        self.path = pathlib.Path(self.dir.name)

    def batches(self) -> list[list[int]]:
        return [json.loads(p.read_text()) for p in self.path.iterdir() if not p.name.endswith(".tmp")]

    def ids(self) -> list[int]:
        return [i for batch in self.batches() for i in batch]

    def check(self, n: int, what: str) -> dict[str, float]:
        """Fail unless every id 0..n-1 was processed; return invocation and duplicate counts."""
        batches = self.batches()
        seen = Counter(i for batch in batches for i in batch)
        missing = sorted(set(range(n)) - set(seen))
        unknown = sorted(set(seen) - set(range(n)))
        if missing or unknown:
            raise SystemExit(f"FAILED: {what}: {len(missing)} of {n} never processed "
                             f"(first: {missing[:10]}), unknown ids {unknown[:10]}")
        return {"invocations": len(batches), "duplicates": sum(k - 1 for k in seen.values()),
                "mean_batch": sum(len(b) for b in batches) / len(batches)}


class Session:
    """A fresh in-process endpoint, a role for every source and the recording function."""

    def __init__(self, **settings) -> None:
        self.endpoint = Endpoint(settings=Settings(**settings)).start()
        self.kit = Kit(self.endpoint)
        self.scratch = Scratch()
        self.lam = self.kit.client("lambda")
        iam, role = self.kit.client("iam"), unique("bench-es-role")
        arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(
            LAMBDA_TRUST_POLICY))["Role"]["Arn"]
        iam.put_role_policy(RoleName=role, PolicyName="sources", PolicyDocument=json.dumps(POLICY))
        self.name = unique("bench-es-fn")
        self.lam.create_function(FunctionName=self.name, Runtime="python3.12", Role=arn,
                                 Handler="lambda_function.handler",
                                 Environment={"Variables": {"SCRATCH": str(self.scratch.path)}},
                                 Code={"ZipFile": lambdakit.zip_code(HANDLER)})
        self.lam.get_waiter("function_active_v2").wait(FunctionName=self.name, WaiterConfig=WAIT)

    def records(self) -> list:
        return [r for r in self.endpoint.engine.records if r.function_name == self.name]

    def close(self) -> int:
        """Stop the endpoint; return how many worker processes are left."""
        self.endpoint.stop()
        self.scratch.dir.cleanup()
        return sum(1 for p in psutil.Process().children(recursive=True)
                   if p.is_running() and p.status() != psutil.STATUS_ZOMBIE)


def engine_figures(session: Session) -> dict[str, float]:
    records = session.records()
    errors = [r for r in records if r.status != "success"]
    return {"records": len(records), "cold": sum(1 for r in records if r.cold),
            "wall": c.summary([(r.end_time - r.start_time) * 1000 for r in records]),
            "duration": c.summary([r.duration_ms for r in records]),
            "errors": len(errors), "error_kinds": sorted({f"{r.status}/{r.error_type}" for r in errors})}


# --------------------------------------------------------------------------- scenarios


def bench_async(n: int) -> dict:
    session = Session()
    try:
        lam, name = session.lam, session.name
        payloads = [json.dumps({"id": i}).encode() for i in range(n)]
        latencies = []
        begin = time.perf_counter()
        for payload in payloads:
            t = time.perf_counter()
            status = lam.invoke(FunctionName=name, InvocationType="Event", Payload=payload)["StatusCode"]
            latencies.append((time.perf_counter() - t) * 1000)
            if status != 202:
                raise SystemExit(f"FAILED: asynchronous Invoke answered {status}, not 202")
        accepted = time.perf_counter()
        wait_until(session.endpoint.engine.async_queue.idle, f"{n} asynchronous events to run")
        done = time.perf_counter()
        # idle() with no retry pending: every event has run, so every handler wrote its file
        result = session.scratch.check(n, "asynchronous events")
        engine = engine_figures(session)
        if engine["errors"]:
            raise SystemExit(f"FAILED: {engine['errors']} asynchronous invocations failed: "
                             f"{engine['error_kinds']}")
        environments = len(session.kit.environments())
        max_env = session.endpoint.engine.settings.max_environments
    finally:
        left = session.close()
    return {"accept_s": accepted - begin, "done_s": done - begin, "drain_s": done - accepted,
            "latency": c.summary(latencies),
            **result, **engine, "environments": environments, "max_environments": max_env,
            "left": left}


def bench_sqs(n: int, maximum_concurrency: int | None) -> dict:
    session = Session()
    try:
        sqs = session.kit.client("sqs")
        queue = unique("bench-es-q")
        url = sqs.create_queue(QueueName=queue)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"
        for start in range(0, n, 10):
            answer = sqs.send_message_batch(QueueUrl=url, Entries=[
                {"Id": str(i), "MessageBody": json.dumps({"id": i})}
                for i in range(start, min(start + 10, n))])
            if answer.get("Failed"):
                raise SystemExit(f"FAILED: SendMessageBatch: {answer['Failed']}")

        def in_queue() -> int:
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return sum(int(v) for v in attributes.values())

        if in_queue() != n:
            raise SystemExit(f"FAILED: the queue holds {in_queue()} messages, not {n}")
        config = {"ScalingConfig": {"MaximumConcurrency": maximum_concurrency}} if maximum_concurrency else {}
        sampler = Sampler(interval=SAMPLE_S)
        sampler.sample()
        kit_before_mb = sampler.kit_peak_mb
        sampler.start()
        try:
            begin = time.perf_counter()
            mapping = session.lam.create_event_source_mapping(
                EventSourceArn=arn, FunctionName=session.name, BatchSize=10,
                FunctionResponseTypes=["ReportBatchItemFailures"], **config)
            wait_until(lambda: in_queue() == 0, f"{n} SQS messages to leave the queue")
            done = time.perf_counter()
        finally:
            sampler.stop()
        session.lam.delete_event_source_mapping(UUID=mapping["UUID"])
        # a batch is deleted only after its invocation returned, so its file is written
        result = session.scratch.check(n, "SQS messages")
        engine = engine_figures(session)
        if engine["errors"]:
            raise SystemExit(f"FAILED: {engine['errors']} SQS batches failed: {engine['error_kinds']}")
        max_env = session.endpoint.engine.settings.max_environments
    finally:
        left = session.close()
    return {"done_s": done - begin, **result, **engine, "max_environments": max_env,
            "kit_before_mb": kit_before_mb, "peak": sampler.peak, "kit_peak_mb": sampler.kit_peak_mb,
            "workers_peak_mb": sampler.workers_peak_mb, "max_workers": sampler.max_workers,
            "left": left}


def bench_kinesis(n: int, shards: int = 2) -> dict:
    session = Session()
    try:
        kinesis, stream = session.kit.client("kinesis"), unique("bench-es-stream")
        kinesis.create_stream(StreamName=stream, ShardCount=shards)
        wait_until(lambda: kinesis.describe_stream_summary(StreamName=stream)[
            "StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE", "the stream ACTIVE")
        arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
        per_shard: Counter = Counter()
        for start in range(0, n, 500):
            answer = kinesis.put_records(StreamARN=arn, Records=[
                {"Data": json.dumps({"id": i}).encode(), "PartitionKey": str(i)}
                for i in range(start, min(start + 500, n))])
            if answer.get("FailedRecordCount"):
                raise SystemExit(f"FAILED: PutRecords: {answer['FailedRecordCount']} failed")
            per_shard.update(r["ShardId"] for r in answer["Records"])
        if len(per_shard) != shards:
            raise SystemExit(f"FAILED: records went to {len(per_shard)} shard(s), not {shards}")
        begin = time.perf_counter()
        mapping = session.lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=session.name, BatchSize=100,
            StartingPosition="TRIM_HORIZON")
        created = time.perf_counter()
        wait_until(lambda: session.lam.get_event_source_mapping(UUID=mapping["UUID"])["State"]
                   == "Enabled", "the Kinesis mapping Enabled")
        enabled = time.perf_counter()
        wait_until(lambda: len(session.scratch.ids()) >= n, f"{n} Kinesis records to be processed")
        done = time.perf_counter()
        session.lam.delete_event_source_mapping(UUID=mapping["UUID"])
        result = session.scratch.check(n, "Kinesis records")
        engine = engine_figures(session)
        if engine["errors"]:
            raise SystemExit(f"FAILED: {engine['errors']} Kinesis batches failed: {engine['error_kinds']}")
    finally:
        left = session.close()
    return {"create_s": created - begin, "enabled_s": enabled - begin, "done_s": done - begin,
            "per_shard": sorted(per_shard.values()), **result, **engine, "left": left}


# --------------------------------------------------------------------------- report


def report(header: list[str], n: int, a: dict, sqs: list[tuple[str, dict]], k: dict) -> str:
    kind = Settings().worker
    if kind == "auto":  # as the engine resolves it
        kind = "awslambdaric" if importlib.util.find_spec("awslambdaric") else "python"
    mb = lambda v: f"{v:.0f}"  # noqa: E731
    lines = [*header, "",
             f"One fresh in-process endpoint per scenario, default settings (worker `{kind}`, "
             f"`time_scale` 1.0: real AWS delays, none of which is on the path of a handler that "
             f"never fails; max_environments {a['max_environments']}), one function whose handler "
             f"writes the ids it got to a file per invocation. Times with `perf_counter` from the "
             f"first call; every event, message and record was checked to be processed. "
             f"N = {n:,}.", "",
             "### Asynchronous invocation", "",
             "| measure | value |", "|---|---|",
             f"| accept {n:,} `InvocationType=\"Event\"` calls, one boto3 client, one at a time (s) | "
             f"{a['accept_s']:.2f} |",
             f"| 202s per second | {n / a['accept_s']:,.0f} |",
             f"| one Event Invoke via boto3, p50 / p99 (ms) | {c.ms(a['latency']['p50'])} / "
             f"{c.ms(a['latency']['p99'])} |",
             f"| until every event has run (`async_queue.idle()`), from the first call (s) | {a['done_s']:.2f} |",
             f"|   of which after the last 202 (s) | {a['drain_s']:.2f} |",
             f"| **events/s, end to end** | **{n / a['done_s']:,.0f}** |",
             f"| invocations / cold starts / environments alive at the end | "
             f"{a['records']:,} / {a['cold']} / {a['environments']} |",
             f"| one event: engine.invoke wall time / handler Duration, p50 (ms) | "
             f"{c.ms(a['wall']['p50'])} / {c.ms(a['duration']['p50'])} |",
             f"| events processed twice | {a['duplicates']} |", "",
             "### SQS event source mapping", "",
             f"{n:,} messages already in a standard queue (default visibility timeout 30 s), then "
             "`create_event_source_mapping(BatchSize=10, FunctionResponseTypes=[\"ReportBatchItemFailures\"])`; "
             "the handler reports no failure. Time from that call until `ApproximateNumberOfMessages` + "
             f"`...NotVisible` is 0. RSS sampled every {SAMPLE_S * 1000:.0f} ms with psutil "
             "(this process + all children) during that time; MB = 2^20 bytes.", "",
             "| measure | " + " | ".join(label for label, _ in sqs) + " |",
             "|---|" + "---|" * len(sqs)]

    def row(label: str, cell) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(r) for _, r in sqs) + " |")

    row("create_event_source_mapping until the queue is empty (s)", lambda r: f"{r['done_s']:.2f}")
    row("**messages/s**", lambda r: f"**{n / r['done_s']:,.0f}**")
    row("invocations / mean batch size", lambda r: f"{r['invocations']} / {r['mean_batch']:.2f}")
    row("cold starts", lambda r: str(r["cold"]))
    row("one batch: engine.invoke wall time / handler Duration, p50 (ms)",
        lambda r: f"{c.ms(r['wall']['p50'])} / {c.ms(r['duration']['p50'])}")
    row("messages processed twice", lambda r: str(r["duplicates"]))
    row("kit process RSS before the mapping (MB)", lambda r: mb(r["kit_before_mb"]))
    row("**peak total RSS: kit process + workers (MB)**", lambda r: mb(r["peak"]["total_mb"]))
    row("  kit process / workers / worker count at that peak",
        lambda r: f"{mb(r['peak']['kit_mb'])} / {mb(r['peak']['workers_mb'])} / {r['peak']['workers']}")
    row("largest worker count seen", lambda r: str(r["max_workers"]))
    lines += ["", "### Kinesis event source mapping", "",
              f"{n:,} records (partition key = id) on 2 shards ({' + '.join(map(str, k['per_shard']))}), "
              "then `create_event_source_mapping(BatchSize=100, StartingPosition=\"TRIM_HORIZON\")`. "
              "The poller reads each shard once a second (AWS's rate).", "",
              "| measure | value |", "|---|---|",
              f"| create_event_source_mapping call returned (s) | {k['create_s']:.2f} |",
              f"| mapping `Enabled` (s) | {k['enabled_s']:.2f} |",
              f"| every record processed, from the create call (s) | {k['done_s']:.2f} |",
              f"| **records/s** | **{n / k['done_s']:,.0f}** |",
              f"| invocations / mean batch size / cold starts | {k['invocations']} / "
              f"{k['mean_batch']:.1f} / {k['cold']} |",
              f"| one batch: engine.invoke wall time / handler Duration, p50 (ms) | "
              f"{c.ms(k['wall']['p50'])} / {c.ms(k['duration']['p50'])} |",
              f"| records processed twice | {k['duplicates']} |", "",
              "Worker processes left after each endpoint stopped: "
              + ", ".join(f"{label} {r['left']}" for label, r in
                          [("async", a), *[(f"SQS {lab}", r) for lab, r in sqs], ("Kinesis", k)]) + "."]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 of each, for a smoke run")
    args = parser.parse_args()
    n = QUICK if args.quick else FULL
    header = c.header_lines()  # load average before anything runs
    wall = time.perf_counter()
    a = bench_async(n)
    print(f"async: {n} accepted in {a['accept_s']:.2f} s, all run after {a['done_s']:.2f} s")
    sqs = []
    for label, limit in (("default scaling", None), ("MaximumConcurrency 2", 2)):
        r = bench_sqs(n, limit)
        sqs.append((label, r))
        print(f"SQS {label}: empty after {r['done_s']:.2f} s, {r['invocations']} invocations, "
              f"peak {r['peak']['total_mb']:.0f} MB")
    k = bench_kinesis(n)
    print(f"Kinesis: all processed after {k['done_s']:.2f} s, {k['invocations']} invocations")
    body = report(header, n, a, sqs, k)
    body += f"\n\nWhole run: {time.perf_counter() - wall:.0f} s."
    title = "bench_event_sources.py" + (" --quick" if args.quick else "")
    print(f"## {title}\n\n{body}")
    c.write_section(title, body)


if __name__ == "__main__":
    main()
