"""One fix to moto's SQS, so concurrent consumers behave as SQS promises.

moto 5.2 serves requests on many threads but its queues are not safe for concurrent
consumers: two ``ReceiveMessage`` calls at once can both pick the same visible message
(SQS hands a received message to one consumer until its visibility timeout ends), both
move the same message to the dead-letter queue (``list.remove`` then fails), and a
``DeleteMessage`` that rebuilds the message list at the moment a ``SendMessage`` appends
to it loses the new message. Lambda's SQS poller runs several receivers per queue, and
the fault-injection test (``tests/test_nothing_lost.py``) found all three.

With the lock, moto's cost per received message matters: it computed every queue attribute
(counting the visible messages of the whole queue) to check one message's retention period,
so a batch of ten held the lock for tens of milliseconds and deletes waited seconds, past
the visibility timeout. That check now reads the retention period alone.

:func:`install` makes every change of a queue's messages take the queue's own lock (the
condition moto already uses for long polling): ``ReceiveMessage`` makes one pass under
the lock and waits for new messages outside it, so a 20-second long poll blocks nobody.
"""
from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.Lock()
_installed = False


def install() -> None:
    """Serialise changes to each queue's messages (once per process; a fix, so it stays)."""
    global _installed
    from moto.core.utils import unix_time
    from moto.sqs.models import Queue, SQSBackend

    with _lock:
        if _installed:
            return
        _installed = True

    original_receive = SQSBackend.receive_message

    @functools.wraps(original_receive)
    def receive_message(self: Any, queue_name: str, count: int, wait_seconds_timeout: int,
                        visibility_timeout: int, message_attribute_names: Any = None) -> Any:
        queue = self.get_queue(queue_name)
        deadline = unix_time() + (wait_seconds_timeout or 0)
        while True:
            with queue._messages_lock:
                result = original_receive(self, queue_name, count, 0, visibility_timeout,
                                          message_attribute_names)
            remaining = deadline - unix_time()
            if result or remaining <= 0:
                return result
            queue.wait_for_messages(min(1.0, remaining))

    SQSBackend.receive_message = receive_message

    for name in ("delete_message", "delete_message_batch", "change_message_visibility",
                 "change_message_visibility_batch"):
        original = getattr(SQSBackend, name)

        def locked(self: Any, queue_name: str, *args: Any, _original: Any = original,
                   **kwargs: Any) -> Any:
            with self.get_queue(queue_name)._messages_lock:
                return _original(self, queue_name, *args, **kwargs)

        setattr(SQSBackend, name, functools.wraps(original)(locked))

    original_add = Queue.add_message

    @functools.wraps(original_add)
    def add_message(self: Any, message: Any) -> None:
        with self._messages_lock:  # FIFO de-duplication reads the list before appending
            original_add(self, message)

    Queue.add_message = add_message

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str,
                                                   message: Any) -> bool:
        # moto computes every queue attribute (counting visible messages) per message
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > unix_time()

    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period
