"""A small event router, modelled on Amazon EventBridge rules, for lesson 01.

Producers publish events to the router; each consumer (a Lambda function)
subscribes with a pattern; the router delivers every event to the consumers
whose pattern matches, and to nobody else. The producer never learns who they are.

>>> from lambdakit.course.events import EventRouter
>>> router = EventRouter()
>>> router.subscribe("warehouse", source="shop", detail_type=["OrderPlaced", "Question"])  # doctest: +SKIP
>>> router.publish("shop", "OrderPlaced", {"order_id": "1001"})   # doctest: +SKIP
[Delivery(function_name='warehouse', response={'reserved': ['book']})]

**Sync or async?** Real EventBridge invokes a Lambda target *asynchronously*:
it hands the event to Lambda's queue and moves on, and the producer only
learns that the router accepted the event. By default this router invokes
each consumer *synchronously* instead, all of them in parallel, so a lesson
cell can show who received the event and what each one answered, and a
failing consumer shows its error straight away. Pass
``EventRouter(invocation_type="Event")`` to deliver the way EventBridge does:
then each delivery's response is ``None`` (Lambda answered 202 Accepted) and
the work shows up later in ``kit.records`` and in the consumers' logs.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NamedTuple

__all__ = ["EventRouter", "Subscription", "Delivery", "make_event"]

INVOCATION_TYPES = ("RequestResponse", "Event")


class Delivery(NamedTuple):
    """One consumer that received an event, and what it answered.

    response is the function's decoded JSON answer (for a synchronous
    delivery), or ``None`` for an asynchronous one.
    """

    function_name: str
    response: Any


def _as_tuple(value: str | Iterable[str] | None, what: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values or not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{what} must be a non-empty string or list of strings, got {value!r}")
    return values


@dataclasses.dataclass(frozen=True)
class Subscription:
    """A rule: deliver events whose source and detail-type match to one function.

    ``None`` matches anything; a tuple matches any of its values (as an
    EventBridge pattern such as ``{"source": ["shop"]}`` does).
    """

    function_name: str
    source: tuple[str, ...] | None = None
    detail_type: tuple[str, ...] | None = None

    def matches(self, event: dict[str, Any]) -> bool:
        """True when ``event`` (an EventBridge-shaped dict) matches this rule.

        >>> rule = Subscription("finance", source=("shop",), detail_type=("OrderPlaced",))
        >>> rule.matches(make_event("shop", "OrderPlaced", {}))
        True
        >>> rule.matches(make_event("shop", "Question", {}))
        False
        """
        return ((self.source is None or event.get("source") in self.source)
                and (self.detail_type is None or event.get("detail-type") in self.detail_type))

    def pattern(self) -> dict[str, list[str]]:
        """This rule as an EventBridge event pattern.

        >>> Subscription("finance", source=("shop",)).pattern()
        {'source': ['shop']}
        """
        pattern: dict[str, list[str]] = {}
        if self.source is not None:
            pattern["source"] = list(self.source)
        if self.detail_type is not None:
            pattern["detail-type"] = list(self.detail_type)
        return pattern


def make_event(source: str, detail_type: str, detail: Any, account: str = "123456789012",
               region: str = "us-east-1") -> dict[str, Any]:
    """An event shaped like the ones EventBridge delivers to Lambda.

    >>> sorted(make_event("shop", "OrderPlaced", {"order_id": "1"}))
    ['account', 'detail', 'detail-type', 'id', 'region', 'resources', 'source', 'time', 'version']
    """
    if not isinstance(source, str) or not source:
        raise ValueError(f"source must be a non-empty string, got {source!r}")
    if not isinstance(detail_type, str) or not detail_type:
        raise ValueError(f"detail_type must be a non-empty string, got {detail_type!r}")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [],
        "detail": detail,
    }


class EventRouter:
    """Routes published events to the Lambda functions subscribed to them.

    client: a boto3 Lambda client; default: one bound to the running kit.
    invocation_type: ``"RequestResponse"`` (default: wait for each consumer's
        answer) or ``"Event"`` (asynchronous, as EventBridge does).

    >>> router = EventRouter()
    >>> router.subscribe("customer-service", source="shop", detail_type="Question", check=False)
    Subscription(function_name='customer-service', source=('shop',), detail_type=('Question',))
    """

    def __init__(self, client: Any = None, invocation_type: str = "RequestResponse"):
        if invocation_type not in INVOCATION_TYPES:
            raise ValueError(f"invocation_type must be one of {INVOCATION_TYPES}, "
                             f"got {invocation_type!r}")
        self._client = client
        self.invocation_type = invocation_type
        self.subscriptions: list[Subscription] = []
        self.published: list[dict[str, Any]] = []

    @property
    def client(self) -> Any:
        if self._client is None:
            import lambdakit
            self._client = lambdakit.start().client("lambda")
        return self._client

    def subscribe(self, function_name: str, source: str | Iterable[str] | None = None,
                  detail_type: str | Iterable[str] | None = None,
                  check: bool = True) -> Subscription:
        """Deliver events whose source and detail-type match to ``function_name``.

        source, detail_type: a value or a list of values to accept; ``None``
            (the default) accepts any.
        check: make sure the function exists first, so a typo fails here
            (``ResourceNotFoundException``) rather than at publish time.
        """
        if not isinstance(function_name, str) or not function_name:
            raise ValueError(f"function_name must be a non-empty string, got {function_name!r}")
        if check:
            self.client.get_function(FunctionName=function_name)
        rule = Subscription(function_name, _as_tuple(source, "source"),
                            _as_tuple(detail_type, "detail_type"))
        if rule not in self.subscriptions:
            self.subscriptions.append(rule)
        return rule

    def unsubscribe(self, function_name: str) -> int:
        """Remove every subscription of ``function_name``; return how many there were."""
        before = len(self.subscriptions)
        self.subscriptions = [s for s in self.subscriptions if s.function_name != function_name]
        return before - len(self.subscriptions)

    def consumers(self, event: dict[str, Any]) -> list[str]:
        """The functions an event would go to, in subscription order, each once."""
        names: list[str] = []
        for rule in self.subscriptions:
            if rule.matches(event) and rule.function_name not in names:
                names.append(rule.function_name)
        return names

    def publish(self, source: str, detail_type: str, detail: Any) -> list[Delivery]:
        """Publish an event; invoke every subscribed function whose pattern matches.

        Each matching function receives the event once, even if several of its
        subscriptions match. Consumers are invoked in parallel.

        Returns one :class:`Delivery` (function_name, response) per consumer,
        in subscription order; an empty list when nobody subscribed.
        """
        event = make_event(source, detail_type, detail)
        self.published.append(event)
        names = self.consumers(event)
        if not names:
            return []
        body = json.dumps(event)
        with ThreadPoolExecutor(max_workers=min(len(names), 10)) as pool:
            responses = list(pool.map(lambda name: self._deliver(name, body), names))
        return [Delivery(name, response) for name, response in zip(names, responses)]

    def _deliver(self, function_name: str, body: str) -> Any:
        response = self.client.invoke(FunctionName=function_name, Payload=body,
                                      InvocationType=self.invocation_type)
        payload = response["Payload"].read()
        if self.invocation_type == "Event" or not payload:
            return None
        return json.loads(payload)

    def describe(self) -> str:
        """The subscriptions as a readable table: who receives which events.

        >>> router = EventRouter()
        >>> _ = router.subscribe("warehouse", "shop", ["OrderPlaced", "Question"], check=False)
        >>> print(router.describe())
        function   source  detail-type
        ---------  ------  ---------------------
        warehouse  shop    OrderPlaced, Question
        """
        rows = [("function", "source", "detail-type")]
        for rule in self.subscriptions:
            rows.append((rule.function_name,
                         "(any)" if rule.source is None else ", ".join(rule.source),
                         "(any)" if rule.detail_type is None else ", ".join(rule.detail_type)))
        if len(rows) == 1:
            return "(no subscriptions yet)"
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                 for row in rows]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<EventRouter: {len(self.subscriptions)} subscriptions, {self.invocation_type}>"
