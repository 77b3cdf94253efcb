"""The error-handling table of lesson 06, built from real runs.

Observations come from a private endpoint whose AWS delays run 1,000 times faster
(``Settings(time_scale=0.001)``: the one-minute wait before an asynchronous retry lasts
60 ms). The table's numbers must be what the kit really did: attempts from its invocation
records, endings from the messages really delivered.
"""
from __future__ import annotations

import json
import time
import uuid

import pytest

import kit_helpers
from kit_helpers import role, running_kit, unique
from lambdakit.course.error_table import (Attempt, Observation, error_table, function_log,
                                          observe_async, observe_sqs, observe_sync, record_table,
                                          wait_for_invocation, wait_for_message)

FAILS = """
def handler(event, context):
    raise ValueError("cannot handle " + json.dumps(event))

import json
"""
SUCCEEDS = """
def handler(event, context):
    return {"ok": True}
"""

#: what the role may do besides writing logs: send to destinations, poll the source queue
QUEUES = {"Effect": "Allow", "Resource": "*", "Action": [
    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility"]}


@pytest.fixture(scope="module")
def kit():
    with running_kit() as kit:
        yield kit


@pytest.fixture(scope="module")
def role_arn(kit):
    return role(kit, QUEUES, prefix="table-role")[1]


def queue(kit, **attributes):
    return kit_helpers.queue(kit, prefix="table-q", **attributes)


def deploy(kit, source, role_arn, **config):
    name = unique("table-fn")
    kit.deploy(name, source, Role=role_arn, **config)
    return name


def attempt(started, finished, status="error"):
    return Attempt("r-1", started, status, "Event", None, finished)


# -- the table from observations --------------------------------------------------------------
def test_retried_by_and_waits_come_from_the_attempts():
    obs = Observation("asynchronous", "f", attempts=[attempt(0.0, 0.5), attempt(1.1, 1.6),
                                                      attempt(2.8, 3.0)],
                      retrier="Lambda", time_scale=0.01, ended="OnFailure destination q")
    assert obs.retries == 2 and obs.retried_by == "Lambda"
    assert obs.gaps == pytest.approx([60.0, 120.0])  # end to next start, on AWS's clock
    assert obs.outcome == "failed"
    once = Observation("asynchronous", "f", attempts=[attempt(0.0, 0.5)], retrier="Lambda",
                       ended="x")
    assert once.retries == 0 and once.retried_by == "nobody" and once.gaps == []
    caller = Observation("synchronous", "f", calls=2, attempts=[attempt(0, 1), attempt(2, 3)])
    assert caller.retried_by == "the caller"  # as many calls as attempts: nobody else retried


def test_real_time_gaps_are_not_rescaled_and_unknown_models_are_refused():
    obs = Observation("polling", "f", attempts=[attempt(0.0, 0.2), attempt(2.2, 2.4)],
                      time_scale=0.01, clock="real")
    assert obs.gaps == pytest.approx([2.0])
    obs.gap_from = "start"  # a visibility timeout runs from the receive, before the attempt
    assert obs.gaps == pytest.approx([2.2])
    assert obs.outcome == "running"
    with pytest.raises(ValueError, match="model must be one of"):
        Observation("carrier-pigeon", "f")


def test_the_table_has_one_row_per_observation_as_text_and_html():
    rows = [Observation("synchronous", "f", attempts=[attempt(0, 1)], ended="returned <err>"),
            Observation("polling", "f", attempts=[attempt(0, 1), attempt(3, 4)], retrier="SQS",
                        clock="real", ended=None)]
    table = error_table(rows)
    assert [r["invocation model"] for r in table.rows] == ["synchronous", "polling (SQS)"]
    assert table.rows[1]["retried by"] == "SQS"
    assert table.rows[1]["wait before each retry"] == "2.0 s (real time)"
    assert table.rows[1]["where the event ended"] == "(still on its way)"
    text = str(table)
    assert len(text.splitlines()) == 4 and "returned <err>" in text
    markup = table._repr_html_()
    assert markup.count("<tr>") == 3 and "returned &lt;err&gt;" in markup


# -- observed on real runs ----------------------------------------------------------------------
def test_synchronous_failure_is_one_attempt_and_goes_back_to_the_caller(kit, role_arn):
    name = deploy(kit, FAILS, role_arn)
    seen = []
    obs = observe_sync(name, {"n": 1}, kit=kit, on_update=lambda o: seen.append(o.stage))
    assert len(obs.attempts) == 1 and obs.attempts[0].failed
    assert obs.attempts[0].request_id == obs.details["request_id"]
    assert obs.retried_by == "nobody"
    assert obs.details["function_error"] == "Unhandled"
    assert obs.details["answer"]["errorType"] == "ValueError"
    assert obs.ended == "returned to the caller: status 200, FunctionError Unhandled (ValueError)"
    assert seen == ["function", "result"]


def test_asynchronous_failure_is_retried_by_lambda_then_delivered(kit, role_arn):
    dlq_url, dlq_arn = queue(kit)
    name = deploy(kit, FAILS, role_arn, DeadLetterConfig={"TargetArn": dlq_arn})
    url, arn = queue(kit)
    kit.client("lambda").put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}})
    stages = []
    obs = observe_async(name, {"n": 2}, kit=kit, on_update=lambda o: stages.append(o.stage))
    assert len(obs.attempts) == 3 and all(a.failed for a in obs.attempts)
    assert {a.request_id for a in obs.attempts} == {obs.details["request_id"]}
    assert obs.retried_by == "Lambda (its asynchronous queue)"
    gaps = obs.gaps  # AWS waits one minute, then two, before the retries
    assert gaps[0] >= 59 and gaps[1] >= 119
    record = obs.details["invocation_record"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert obs.details["dead_letter_message"]["Body"] == json.dumps({"n": 2})
    assert obs.ended == (f"OnFailure destination {arn.split(':')[5]} (RetriesExhausted) and "
                         f"dead-letter queue {dlq_arn.split(':')[5]}")
    assert stages[0] == "caller" and stages[1] == "queue" and stages[-1] == "done"
    assert "function" in stages


def test_asynchronous_without_retries_and_a_success(kit, role_arn):
    url, arn = queue(kit)
    failing = deploy(kit, FAILS, role_arn)
    kit.client("lambda").put_function_event_invoke_config(
        FunctionName=failing, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn}})
    obs = observe_async(failing, {"n": 3}, kit=kit)
    assert len(obs.attempts) == 1 and obs.retried_by == "nobody"
    succeeding = deploy(kit, SUCCEEDS, role_arn)
    ok_url, ok_arn = queue(kit)
    kit.client("lambda").put_function_event_invoke_config(
        FunctionName=succeeding, DestinationConfig={"OnFailure": {"Destination": arn},
                                                    "OnSuccess": {"Destination": ok_arn}})
    done = observe_async(succeeding, {"n": 4}, kit=kit)
    assert done.outcome == "succeeded" and len(done.attempts) == 1
    assert done.ended == f"succeeded on attempt 1; record in OnSuccess destination {ok_arn.split(':')[5]}"


def test_asynchronous_needs_somewhere_to_see_the_failure_end(kit, role_arn):
    name = deploy(kit, FAILS, role_arn)
    with pytest.raises(ValueError, match="no SQS OnFailure destination or dead-letter queue"):
        observe_async(name, {"n": 5}, kit=kit)


def test_sqs_failure_is_redelivered_by_sqs_until_redriven_to_the_dlq(kit, role_arn):
    lam = kit.client("lambda")
    dlq_url, dlq_arn = queue(kit)
    url, arn = queue(kit, VisibilityTimeout="1", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}))
    name = deploy(kit, FAILS, role_arn, Timeout=1)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    try:
        stages = []
        obs = observe_sqs(url, "order-7", name, kit=kit, on_update=lambda o: stages.append(o.stage))
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
    assert len(obs.attempts) == 2 and all(a.failed for a in obs.attempts)
    assert obs.retried_by.startswith("SQS")
    assert obs.clock == "real" and len(obs.gaps) == 1  # SQS's own timer: real seconds
    assert obs.details["dead_letter_message"]["Body"] == "order-7"
    assert stages[0] == "queue" and "in_flight" in stages and stages[-1] == "done"
    assert obs.ended.startswith(f"dead-letter queue {dlq_arn.split(':')[5]} of the source queue")


def test_waiting_for_a_message_an_invocation_and_a_log_line(kit, role_arn):
    url, _ = queue(kit)
    with pytest.raises(TimeoutError, match="a message in"):
        wait_for_message(url, timeout=0.3, kit=kit)
    kit.client("sqs").send_message(QueueUrl=url, MessageBody="hello")
    assert wait_for_message(url, kit=kit)["Body"] == "hello"
    assert wait_for_message(url, kit=kit)["Body"] == "hello"  # peeked, not taken

    name = deploy(kit, "def handler(event, context):\n    print('working on', event['n'])\n",
                  role_arn)
    with pytest.raises(TimeoutError, match=f"an invocation of {name}"):
        wait_for_invocation(name, timeout=0.3, kit=kit)
    with pytest.raises(TimeoutError, match="working on 8"):
        function_log(name, until="working on 8", timeout=0.3, kit=kit)
    before = time.time()
    kit.client("lambda").invoke(FunctionName=name, InvocationType="Event",
                                Payload=json.dumps({"n": 8}))
    record = wait_for_invocation(name, since=before, kit=kit)
    assert record.invocation_type == "Event" and record.status == "success"
    lines = function_log(name, until="working on 8", kit=kit)
    assert lines == ["working on 8"]  # START, END and REPORT are Lambda's, left out


def test_a_stack_trace_reads_one_line_per_line_and_since_leaves_older_lines_out(kit, role_arn):
    name = deploy(kit, "def handler(event, context):\n    print('working on', event['n'])\n"
                  "    if event['n'] == 2:\n        raise ValueError('bad ' + str(event['n']))\n",
                  role_arn)
    lam = kit.client("lambda")
    lam.invoke(FunctionName=name, Payload=json.dumps({"n": 1}))
    assert function_log(name, until="working on 1", kit=kit) == ["working on 1"]
    time.sleep(0.01)  # log timestamps are milliseconds: the second run starts strictly later
    second_run = time.time()
    lam.invoke(FunctionName=name, Payload=json.dumps({"n": 2}))
    lines = function_log(name, until="bad 2", since=second_run, kit=kit)
    assert lines[0] == "working on 2"  # the first invocation's line is older than since
    assert not any("\r" in line or "\n" in line for line in lines)
    error = next(i for i, line in enumerate(lines) if line.startswith("[ERROR]"))
    assert "ValueError" in lines[error]
    # the rest of the stack trace follows, one indented line each
    assert len(lines) > error + 1 and all(line.startswith("    ") for line in lines[error + 1:])
    assert any("Traceback" in line for line in lines[error + 1:])


def test_an_invocation_record_reads_as_a_table_of_its_important_fields():
    record = {"version": "1.0", "timestamp": "2026-12-07T04:00:00.000Z",
              "requestContext": {"requestId": "r-1", "functionArn": "arn:...:order:$LATEST",
                                 "condition": "RetriesExhausted", "approximateInvokeCount": 3},
              "requestPayload": {"order": 2},
              "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                                  "functionError": "Unhandled"},
              "responsePayload": {"errorMessage": "down", "errorType": "RuntimeError",
                                  "stackTrace": ["  File ..."]}}
    table = record_table(record)
    rows = dict(table.rows)
    assert rows["requestContext.condition"] == "RetriesExhausted"
    assert rows["requestContext.approximateInvokeCount"] == "3"
    assert rows["requestPayload"] == '{"order": 2}'
    assert rows["responsePayload.errorType"] == "RuntimeError"
    assert not any("stackTrace" in name for name in rows)  # left out: too long to read here
    text = str(table).splitlines()
    assert len(text) == len(rows) and text[0].startswith("timestamp ")
    assert "<td style='text-align:left'>RetriesExhausted</td>" in table._repr_html_()


def test_the_log_of_a_function_with_its_own_group_and_json_format(kit, role_arn):
    group = f"/aws/lambda/custom-{uuid.uuid4().hex[:8]}"
    name = deploy(kit, "def handler(event, context):\n    print('working on', event['n'])\n",
                  role_arn, LoggingConfig={"LogFormat": "JSON", "LogGroup": group})
    kit.client("lambda").invoke(FunctionName=name, Payload=json.dumps({"n": 3}))
    # the handler's line, read from the function's own group; platform.* records left out
    assert function_log(name, until="working on 3", kit=kit) == ["working on 3"]


def test_successes_end_with_the_caller_and_with_the_poller_deleting_the_message(kit, role_arn):
    name = deploy(kit, SUCCEEDS, role_arn, Timeout=1)
    obs = observe_sync(name, {"n": 9}, kit=kit)
    assert obs.outcome == "succeeded" and obs.details["answer"] == {"ok": True}
    assert obs.ended == "returned to the caller: status 200, success"
    url, arn = queue(kit, VisibilityTimeout="5")
    lam = kit.client("lambda")
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=1)
    try:
        polled = observe_sqs(url, "order-9", name, kit=kit)
    finally:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
    assert len(polled.attempts) == 1 and polled.retried_by == "nobody"
    assert polled.ended == "deleted from the queue by the poller after attempt 1 succeeded"
    assert polled.details["dead_letter_queue"] is None
