"""lambdakit.course.events: EventBridge-like rules that deliver events to real Lambda functions."""
from __future__ import annotations

import doctest
import json
import uuid

import pytest
from botocore.exceptions import ClientError
from conftest import wait_for

import lambdakit
from lambdakit.course import events
from lambdakit.course.events import Delivery, EventRouter, Subscription, make_event

CONSUMER = """
import json, os
def handler(event, context):
    print("received", json.dumps(event))
    if event["detail"].get("fail"):
        raise ValueError("cannot handle this one")
    return {"who": os.environ["AWS_LAMBDA_FUNCTION_NAME"], "event": event}
"""


@pytest.fixture(scope="module")
def kit():
    return lambdakit.start()


@pytest.fixture(scope="module")
def shop(kit):
    """The notes' shop: warehouse, finance and customer service, each a real function."""
    lam = kit.client("lambda")
    role = kit.execution_role()
    suffix = uuid.uuid4().hex[:6]
    names = {}
    for part in ("warehouse", "finance", "customer-service", "loyalty"):
        name = names[part] = f"{part}-{suffix}"
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler",
                            Code={"ZipFile": lambdakit.zip_code(CONSUMER)})
    for name in names.values():
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    return names


@pytest.fixture
def router(shop):
    router = EventRouter()
    router.subscribe(shop["warehouse"], source="shop", detail_type=["OrderPlaced", "ItemReturned", "Question"])
    router.subscribe(shop["finance"], source="shop", detail_type=["OrderPlaced", "ItemReturned"])
    router.subscribe(shop["customer-service"], source="shop", detail_type=["OrderPlaced", "Question"])
    return router


def receivers(deliveries):
    return [d.function_name for d in deliveries]


def test_an_order_goes_to_every_subscriber_and_they_answer(router, shop):
    deliveries = router.publish("shop", "OrderPlaced", {"order_id": "1001", "items": ["book"]})
    assert receivers(deliveries) == [shop["warehouse"], shop["finance"], shop["customer-service"]]
    for name, response in deliveries:  # unpacks as (function_name, response)
        assert response["who"] == name
        event = response["event"]
        assert (event["source"], event["detail-type"]) == ("shop", "OrderPlaced")
        assert event["detail"] == {"order_id": "1001", "items": ["book"]}
        assert event["id"] == router.published[-1]["id"]


def test_events_go_only_to_the_consumers_whose_rule_matches(router, shop):
    assert receivers(router.publish("shop", "Question", {"text": "in stock?"})) == [
        shop["warehouse"], shop["customer-service"]]
    assert receivers(router.publish("shop", "ItemReturned", {"order_id": "1001"})) == [
        shop["warehouse"], shop["finance"]]
    assert router.publish("shop", "NewsletterSent", {}) == []
    assert router.publish("warehouse-app", "OrderPlaced", {}) == []


def test_adding_a_subscriber_needs_no_change_to_the_producer(router, shop):
    before = receivers(router.publish("shop", "OrderPlaced", {"order_id": "1"}))
    router.subscribe(shop["loyalty"], source="shop", detail_type="OrderPlaced")
    after = receivers(router.publish("shop", "OrderPlaced", {"order_id": "2"}))
    assert after == before + [shop["loyalty"]]
    assert router.unsubscribe(shop["loyalty"]) == 1
    assert receivers(router.publish("shop", "OrderPlaced", {"order_id": "3"})) == before


def test_a_function_gets_an_event_once_even_if_two_rules_match(shop):
    router = EventRouter()
    router.subscribe(shop["warehouse"], source="shop")
    router.subscribe(shop["warehouse"], detail_type="OrderPlaced")
    router.subscribe(shop["warehouse"], source="shop")  # the same rule again: kept once
    assert len(router.subscriptions) == 2
    assert receivers(router.publish("shop", "OrderPlaced", {})) == [shop["warehouse"]]


def test_a_failing_consumer_answers_with_its_error(router, shop):
    deliveries = dict(router.publish("shop", "Question", {"fail": True}))
    assert deliveries[shop["warehouse"]]["errorType"] == "ValueError"
    assert deliveries[shop["warehouse"]]["errorMessage"] == "cannot handle this one"


def test_asynchronous_delivery_as_eventbridge_does(shop, kit):
    router = EventRouter(invocation_type="Event")
    router.subscribe(shop["finance"], source="shop")
    router.subscribe(shop["customer-service"], source="shop")
    deliveries = router.publish("shop", "OrderPlaced", {"order_id": "async"})
    assert deliveries == [Delivery(shop["finance"], None), Delivery(shop["customer-service"], None)]
    wanted = {shop["finance"], shop["customer-service"]}
    # the invocations run in the background: they show up in the kit's records
    wait_for(lambda: {r.function_name for r in kit.records
                      if r.invocation_type == "Event" and r.function_name in wanted} == wanted,
             message="both asynchronous deliveries to run")


def test_subscribing_a_missing_function_fails_early(kit):
    router = EventRouter()
    with pytest.raises(ClientError) as info:
        router.subscribe("no-such-consumer", source="shop")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert router.subscriptions == []


@pytest.mark.parametrize("call, message", [
    (lambda r: r.subscribe("", check=False), "function_name must be a non-empty string, got ''"),
    (lambda r: r.subscribe("f", source=[], check=False),
     "source must be a non-empty string or list of strings, got []"),
    (lambda r: r.subscribe("f", detail_type=[1], check=False),
     "detail_type must be a non-empty string or list of strings, got [1]"),
    (lambda r: r.publish("", "OrderPlaced", {}), "source must be a non-empty string, got ''"),
    (lambda r: r.publish("shop", None, {}), "detail_type must be a non-empty string, got None"),
])
def test_arguments_are_checked(call, message):
    with pytest.raises(ValueError) as info:
        call(EventRouter(client=object()))
    assert str(info.value) == message


def test_invocation_type_is_checked():
    with pytest.raises(ValueError, match="invocation_type must be one of"):
        EventRouter(invocation_type="DryRun")


def test_rules_match_like_eventbridge_patterns():
    order = make_event("shop", "OrderPlaced", {"id": 1})
    assert Subscription("f").matches(order)
    assert Subscription("f", source=("shop", "app")).matches(order)
    assert not Subscription("f", source=("app",)).matches(order)
    assert not Subscription("f", ("shop",), ("Question",)).matches(order)
    assert Subscription("f", ("shop",), ("Question",)).pattern() == {
        "source": ["shop"], "detail-type": ["Question"]}
    assert json.loads(json.dumps(order))["detail"] == {"id": 1}


def test_describe_is_a_table_of_who_gets_what():
    router = EventRouter(client=object())
    assert router.describe() == "(no subscriptions yet)"
    router.subscribe("warehouse", "shop", ["OrderPlaced", "Question"], check=False)
    router.subscribe("auditor", check=False)
    assert router.describe().splitlines() == [
        "function   source  detail-type",
        "---------  ------  ---------------------",
        "warehouse  shop    OrderPlaced, Question",
        "auditor    (any)   (any)",
    ]
    assert repr(router) == "<EventRouter: 2 subscriptions, RequestResponse>"


def test_docstring_examples():
    assert doctest.testmod(events).failed == 0
