"""lambdakit.course.events.consumer_logs: what real EventBridge rules' Lambda targets did."""
from __future__ import annotations

import doctest
import json
import uuid

import pytest

import lambdakit
from lambdakit.course import events
from lambdakit.course.events import consumer_logs

CONSUMER = """
import time
def handler(event, context):
    time.sleep(event["detail"].get("sleep", 0))
    print(event["id"], "handled", event["detail-type"], "for order", event["detail"]["order"])
"""


@pytest.fixture(scope="module")
def kit():
    return lambdakit.start()


@pytest.fixture(scope="module")
def shop(kit):
    """Two consumers behind EventBridge rules, and one function no rule targets."""
    lam, eb = kit.client("lambda"), kit.client("events")
    suffix = uuid.uuid4().hex[:6]
    source = f"shop-{suffix}"
    wanted = {"shipping": ["OrderPlaced", "OrderCancelled"], "billing": ["OrderPlaced"]}
    names = {part: f"{part}-{suffix}" for part in [*wanted, "idle"]}
    for part, name in names.items():
        kit.deploy(name, CONSUMER)
        if part not in wanted:
            continue
        rule = f"{name}-rule"
        rule_arn = eb.put_rule(Name=rule, EventPattern=json.dumps(
            {"source": [source], "detail-type": wanted[part]}))["RuleArn"]
        lam.add_permission(FunctionName=name, StatementId="shop", Action="lambda:InvokeFunction",
                           Principal="events.amazonaws.com", SourceArn=rule_arn)
        arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
        eb.put_targets(Rule=rule, Targets=[{"Id": part, "Arn": arn}])
    return source, names


def put(kit, source, detail_type, **detail):
    answer = kit.client("events").put_events(Entries=[{
        "Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}])
    assert answer["FailedEntryCount"] == 0
    return answer["Entries"][0]["EventId"]


def test_each_matched_consumer_has_its_lines_and_the_others_none(kit, shop):
    source, names = shop
    event_id = put(kit, source, "OrderPlaced", order="1001")
    got = consumer_logs(event_id, names.values())
    assert got == {names["shipping"]: ["handled OrderPlaced for order 1001"],
                   names["billing"]: ["handled OrderPlaced for order 1001"],
                   names["idle"]: []}

    cancelled = put(kit, source, "OrderCancelled", order="1001")
    got = consumer_logs(cancelled, [names["shipping"], names["billing"]])
    assert got == {names["shipping"]: ["handled OrderCancelled for order 1001"],
                   names["billing"]: []}  # billing's rule does not match: it never ran
    # the first event's lines are not mixed into the second's
    assert consumer_logs(event_id, names["billing"]) == {
        names["billing"]: ["handled OrderPlaced for order 1001"]}


def test_waits_for_a_slow_consumer_and_fails_loudly_after_the_timeout(kit, shop):
    source, names = shop
    event_id = put(kit, source, "OrderCancelled", order="1002", sleep=1.5)
    with pytest.raises(TimeoutError, match=f"{names['shipping']} still had asynchronous events"):
        consumer_logs(event_id, [names["shipping"]], timeout=0.2)
    # only the named functions are waited for: billing's rule did not match, it has nothing due
    assert consumer_logs(event_id, [names["billing"]], timeout=0.5) == {names["billing"]: []}
    got = consumer_logs(event_id, [names["shipping"]], timeout=60)
    assert got == {names["shipping"]: ["handled OrderCancelled for order 1002"]}


def test_docstrings_are_examples():
    assert doctest.testmod(events).failed == 0
    assert ">>> consumer_logs(" in consumer_logs.__doc__
