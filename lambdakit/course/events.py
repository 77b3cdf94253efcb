"""What the consumers of an event did, for lesson 01's shop on real EventBridge rules.

EventBridge invokes a Lambda target asynchronously: ``PutEvents`` returns an
event id before any consumer has run, and the producer never sees an answer.
The consumers' own CloudWatch Logs say what happened, so each consumer prints
the event's id with what it did, and :func:`consumer_logs` collects those lines
once every event Lambda accepted for those functions has run (Lambda's
``AsyncEventsReceived`` metric against the kit's invocation records).

>>> answer = events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced",
...                                      "Detail": json.dumps({"order_id": "1001"})}])  # doctest: +SKIP
>>> consumer_logs(answer["Entries"][0]["EventId"], ["shipping", "billing"])           # doctest: +SKIP
{'shipping': ['packing notebook, pen for order 1001'], 'billing': []}
"""
from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["consumer_logs"]

POLL_S = 0.1


def _kit(kit: Any) -> Any:
    if kit is not None:
        return kit
    import lambdakit

    return lambdakit.start()


def _lines_about(logs: Any, function: str, event_id: str) -> list[str]:
    """The lines of ``/aws/lambda/<function>`` that mention ``event_id``, without the id."""
    group = f"/aws/lambda/{function}"
    lines: list[str] = []
    try:
        for page in logs.get_paginator("filter_log_events").paginate(
                logGroupName=group, filterPattern=f'"{event_id}"'):
            lines += [e["message"] for e in page["events"]]
    except logs.exceptions.ResourceNotFoundException:  # never invoked: no log group yet
        return []
    return [" ".join(line.replace(event_id, " ").split()) for line in lines]


def _async_total(cloudwatch: Any, function: str, metric: str) -> float:
    """The sum of one of Lambda's asynchronous-invocation metrics for ``function`` (two weeks)."""
    now = dt.datetime.now(dt.timezone.utc)
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName=metric, Statistics=["Sum"],
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        StartTime=now - dt.timedelta(days=14), EndTime=now + dt.timedelta(minutes=1),
        Period=3600)["Datapoints"]
    return sum(p["Sum"] for p in points)


def _unfinished(kit: Any, cloudwatch: Any, function: str) -> float:
    """Events queued for ``function`` (AsyncEventsReceived, counted when Lambda accepts one)
    that have neither run once (a record in ``kit.records``) nor been dropped."""
    ran = {r.request_id for r in kit.records
           if r.function_name == function and r.invocation_type == "Event"}
    return (_async_total(cloudwatch, function, "AsyncEventsReceived")
            - _async_total(cloudwatch, function, "AsyncEventsDropped") - len(ran))


def consumer_logs(event_id: str, functions: Iterable[str] | str, *, timeout: float = 30.0,
                  kit: Any = None) -> dict[str, list[str]]:
    """What each of ``functions`` logged about one event (``{name: lines}``), once delivered.

    Waits (up to ``timeout`` seconds) until every asynchronous event Lambda has accepted for
    these functions has run at least once, so each consumer the event's rules matched has
    finished; then reads each function's log group for lines that contain ``event_id`` (the
    id itself removed). A function no rule sent the event to has an empty list. Raises
    ``TimeoutError`` if some are still waiting or running after ``timeout``.

    >>> consumer_logs(event_id, ["shipping", "billing", "mailer"])   # doctest: +SKIP
    {'shipping': ['packing notebook for order 1001'], 'billing': [...], 'mailer': []}
    """
    kit = _kit(kit)
    names = [functions] if isinstance(functions, str) else list(functions)
    cloudwatch = kit.client("cloudwatch")
    deadline = time.monotonic() + timeout
    while True:
        waiting = [name for name in names if _unfinished(kit, cloudwatch, name) > 0]
        if not waiting:
            break
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"{', '.join(waiting)} still had asynchronous events waiting or running after "
                f"{timeout} s: a consumer may be very slow, or throttled. Check its log group, "
                "or call consumer_logs again with a larger timeout.")
        time.sleep(POLL_S)
    logs = kit.client("logs")
    return {name: _lines_about(logs, name, event_id) for name in names}
