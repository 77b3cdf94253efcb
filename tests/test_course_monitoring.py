"""lambdakit.course.monitoring: REPORT lines, metrics in one request, a chart, alarms judged."""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

import lambdakit
from conftest import wait_for
from lambdakit.course.monitoring import (MetricsTable, judge_alarm, lambda_metrics, log_table,
                                         metrics_chart, parse_report, wait_for_metric)

REPORT = ("REPORT RequestId: 6f1c\tDuration: 1000.00 ms\tBilled Duration: 1000 ms\t"
          "Memory Size: 128 MB\tMax Memory Used: 31 MB\tInit Duration: 48.20 ms\tStatus: timeout")


def test_log_table_reads_json_lines_by_field_one_event_per_row():
    events = [
        {"timestamp": 1765080000123,
         "message": '{"level": "ERROR", "message": "event has no order", "request_id": "r-1"}\n'},
        {"timestamp": 1765080000124,
         "message": '{"time": "2026-12-07T04:00:00.124Z", "type": "platform.report", "record": '
                    '{"requestId": "r-1", "metrics": {"durationMs": 301.2}, "status": "error"}}'},
        {"timestamp": 1765080000125,
         "message": "[ERROR] ValueError: no\rTraceback (most recent call last):\r  File \"f.py\"\n"},
        {"timestamp": 1765080000126,
         "message": '{"level": "WARN", "message": "slow", "requestId": "r-2", "stackTrace": ["x"]}'},
    ]
    events += [  # the runtime's JSON format: a logger given a JSON string, and an exception
        {"timestamp": 1765080000127, "message": json.dumps(
            {"level": "ERROR", "message": json.dumps({"level": "ERROR", "message": "no order",
                                                      "order": 7}), "requestId": "r-3"})},
        {"timestamp": 1765080000128, "message": json.dumps(
            {"level": "ERROR", "errorType": "ValueError", "errorMessage": "no order",
             "requestId": "r-3", "stackTrace": ["x"]})},
    ]
    table = log_table(events)
    assert table.rows[4][1:] == ("ERROR", "no order", "requestId=r-3  order=7")
    assert table.rows[5][1:] == ("ERROR", "ValueError: no order", "requestId=r-3")
    assert table.rows[0] == ("04:00:00.123", "ERROR", "event has no order", "request_id=r-1")
    assert table.rows[1][1] == "platform.report"
    assert table.rows[1][3] == "requestId=r-1  metrics.durationMs=301.2  status=error"
    # a multi-line text event stays on one row; no carriage return survives to overwrite a line
    assert table.rows[2][1:3] == (
        "text", '[ERROR] ValueError: no | Traceback (most recent call last): | File "f.py"')
    assert table.rows[3][3] == "requestId=r-2"  # the stack trace is left out
    text = str(table).splitlines()
    assert len(text) == 7 and text[0].split() == ["time", "kind", "message", "fields"]
    assert not any("\r" in line for line in text)
    assert text[1].index("event has no order") == text[4].index("slow")  # columns aligned
    assert "<td style='text-align:left;white-space:pre-wrap'>ERROR</td>" in table._repr_html_()


@pytest.fixture(scope="module")
def kit():
    return lambdakit.start()


@pytest.fixture(scope="module")
def busy(kit):
    """A function invoked 4 times, one of which failed, and throttled once."""
    name = f"mon-{uuid.uuid4().hex[:8]}"
    kit.deploy(name, "def handler(event, context):\n"
                     "    if event.get('fail'):\n        raise ValueError('no')\n    return 1\n")
    lam = kit.client("lambda")
    for n in range(4):
        lam.invoke(FunctionName=name, Payload=b'{"fail": true}' if n == 2 else b"{}")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    from botocore.config import Config
    strict = kit.client("lambda", config=Config(retries={"max_attempts": 0, "mode": "standard"}))
    with pytest.raises(strict.exceptions.TooManyRequestsException):
        strict.invoke(FunctionName=name)
    lam.delete_function_concurrency(FunctionName=name)
    yield name
    lam.delete_function(FunctionName=name)


def test_parse_report_reads_numbers_and_status():
    fields = parse_report("START RequestId: 6f1c\n" + REPORT + "\n")
    assert fields == {"RequestId": "6f1c", "Duration": 1000.0, "Billed Duration": 1000.0,
                      "Memory Size": 128.0, "Max Memory Used": 31.0, "Init Duration": 48.2,
                      "Status": "timeout"}
    with pytest.raises(ValueError, match="no REPORT line"):
        parse_report("START RequestId: 1\nEND RequestId: 1\n")


def test_metrics_of_several_functions_in_one_request(kit, busy):
    idle = f"mon-idle-{uuid.uuid4().hex[:6]}"
    def read():
        table = lambda_metrics([busy, idle], minutes=5)
        return table if table.value(busy, "Invocations") == 4 else None

    table = wait_for(read, message="four invocations in CloudWatch")
    assert table.value(busy, "Errors") == 1 and table.value(busy, "Throttles") == 1
    assert table.value(busy, "ConcurrentExecutions") == 1
    assert 0 < table.value(busy, "Duration") < 1000
    assert table.value(idle, "Invocations") is None
    with pytest.raises(KeyError, match="was not read"):
        table.value(busy, "IteratorAge")
    text = str(table).splitlines()
    assert text[0].split()[:3] == ["function", "Invocations", "(Sum)"]
    assert text[1].startswith(busy) and text[2].rstrip().endswith("–")
    assert "<table>" in table._repr_html_()
    average = lambda_metrics([busy], [("Duration", "Average"), ("Errors", "Average")], minutes=5)
    assert average.value(busy, "Errors") == pytest.approx(0.25)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="at least 1"):
        lambda_metrics(["f"], minutes=0)
    with pytest.raises(ValueError, match="at least one function"):
        lambda_metrics([], minutes=5)


def test_the_chart_draws_one_bar_per_function_and_count():
    now = dt.datetime.now(dt.timezone.utc)
    metrics = [("Invocations", "Sum"), ("Errors", "Sum"), ("Throttles", "Sum"),
               ("Duration", "Maximum")]
    values = {("a", "Invocations"): 4.0, ("a", "Errors"): 1.0, ("a", "Throttles"): None,
              ("a", "Duration"): 12.5, ("b", "Invocations"): 2.0, ("b", "Errors"): 0.0,
              ("b", "Throttles"): 3.0, ("b", "Duration"): None}
    table = MetricsTable(["a", "b"], metrics, values, now - dt.timedelta(minutes=16), now)
    fig = metrics_chart(table)
    counts, durations = fig.axes
    assert len(counts.patches) == 6 and len(durations.patches) == 2
    assert sorted(p.get_width() for p in counts.patches) == [0, 0, 1, 2, 3, 4]
    assert counts.get_xlabel() == "count, last 16 minutes"
    assert len(metrics_chart(table, duration=None).axes) == 1
    with pytest.raises(ValueError, match="has no Iterator"):
        metrics_chart(table, counts=("IteratorAge",))


def test_an_alarm_is_judged_by_its_own_rule(kit, busy):
    cloudwatch = kit.client("cloudwatch")
    wait_for(lambda: lambda_metrics([busy], [("Errors", "Sum")], minutes=5).value(busy, "Errors"),
             message="the error in CloudWatch")
    name = f"{busy}-errors"
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
        Dimensions=[{"Name": "FunctionName", "Value": busy}], Period=60, EvaluationPeriods=3,
        DatapointsToAlarm=1, Threshold=0, ComparisonOperator="GreaterThanThreshold")
    judged = judge_alarm(name, cloudwatch=cloudwatch)
    assert judged.state == "ALARM" and judged.breaching >= 1 and judged.needed == 1
    assert len(judged.points) == 3 and judged.condition == "Errors Sum > 0"
    assert judged.stored_state == "OK"  # the kit's CloudWatch never evaluates alarms
    assert "periods breached (Errors Sum > 0; 1 needed)" in judged.reason
    assert str(judged).startswith(f"alarm {name}: ALARM by the alarm's rule")


@pytest.mark.parametrize("missing, state", [(None, "INSUFFICIENT_DATA"),
                                            ("notBreaching", "OK"), ("breaching", "ALARM"),
                                            ("ignore", "OK")])
def test_missing_data_follows_treat_missing_data(kit, missing, state):
    cloudwatch = kit.client("cloudwatch")
    name = f"quiet-{uuid.uuid4().hex[:8]}"
    extra = {"TreatMissingData": missing} if missing else {}
    cloudwatch.put_metric_alarm(
        AlarmName=name, Namespace="AWS/Lambda", MetricName="Errors", Statistic="Sum",
        Dimensions=[{"Name": "FunctionName", "Value": name}], Period=60, EvaluationPeriods=2,
        Threshold=0, ComparisonOperator="GreaterThanThreshold", **extra)
    judged = judge_alarm(name, cloudwatch=cloudwatch)
    assert judged.state == state and judged.points == [None, None]


def test_an_unknown_alarm_is_refused(kit):
    with pytest.raises(ValueError, match="no metric alarm named"):
        judge_alarm("no-such-alarm", cloudwatch=kit.client("cloudwatch"))


def test_wait_for_metric_returns_the_value_or_gives_up(kit, busy):
    assert wait_for_metric(busy, "Invocations", at_least=4, minutes=5) == 4
    with pytest.raises(TimeoutError, match=r"Throttles \(Sum\) of .* stayed at 1.0, below 50"):
        wait_for_metric(busy, "Throttles", at_least=50, timeout=0.3, minutes=5)
