"""What the consumers of an event did, for lesson 01's shop on real EventBridge rules.

EventBridge invokes a Lambda target asynchronously: ``PutEvents`` returns an
event id before any consumer has run, and the producer never sees an answer.
The consumers' own CloudWatch Logs say what happened, so each consumer prints
the event's id with what it did, and :func:`consumer_logs` collects those lines
once Lambda has worked through its queue of asynchronous events.

>>> answer = events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced",
...                                      "Detail": json.dumps({"order_id": "1001"})}])  # doctest: +SKIP
>>> consumer_logs(answer["Entries"][0]["EventId"], ["shipping", "billing"])           # doctest: +SKIP
{'shipping': ['packing notebook, pen for order 1001'], 'billing': []}
"""
from __future__ import annotations

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


def consumer_logs(event_id: str, functions: Iterable[str], *, timeout: float = 30.0,
                  kit: Any = None) -> dict[str, list[str]]:
    """What each of ``functions`` logged about one event (``{name: lines}``), once delivered.

    Waits (up to ``timeout`` seconds) until Lambda's asynchronous queue is empty and no
    queued event is running, so every consumer the event's rules matched has finished;
    then reads each function's log group for lines that contain ``event_id`` (the id
    itself removed). A function no rule sent the event to has an empty list. Raises
    ``TimeoutError`` if events are still queued or running after ``timeout`` (a consumer
    that fails is retried by Lambda, minutes later).

    >>> consumer_logs(event_id, ["shipping", "billing", "mailer"])   # doctest: +SKIP
    {'shipping': ['packing notebook for order 1001'], 'billing': [...], 'mailer': []}
    """
    kit = _kit(kit)
    names = [functions] if isinstance(functions, str) else list(functions)
    deadline = time.monotonic() + timeout
    while not kit.engine.async_queue.idle():
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"Lambda still had asynchronous events queued or running after {timeout} s: "
                "a consumer may be failing (Lambda retries it later) or very slow. Check its "
                "log group, or call consumer_logs again with a larger timeout.")
        time.sleep(POLL_S)
    logs = kit.client("logs")
    return {name: _lines_about(logs, name, event_id) for name in names}
