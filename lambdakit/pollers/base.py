"""What every event source mapping poller shares.

A :class:`Mapping` is one event source mapping: its AWS-shaped configuration (the
dictionary GetEventSourceMapping returns, updated in place by UpdateEventSourceMapping)
and the account and region it lives in. A :class:`Poller` runs one mapping's loop on
its own threads until :meth:`Poller.stop`. As on AWS, a poller

- reads the source as the function's **execution role** (:func:`role_client`), so the
  role's policies decide whether it may (``sqs:ReceiveMessage``, ``kinesis:GetRecords`` ...);
- invokes the function **synchronously** (:func:`invoke`), with the mapping's function ARN
  (qualified or not) as the invoked ARN, through the same concurrency rules as any caller;
- drops records that match none of the mapping's ``FilterCriteria`` (:func:`matches`).
"""
from __future__ import annotations

import json
import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..engine import Engine, InvokeResult

log = logging.getLogger("lambdakit")


class Mapping:
    """One event source mapping: ``config`` is what GetEventSourceMapping answers."""

    def __init__(self, account: str, region: str, config: dict[str, Any]):
        self.account, self.region = account, region
        self.config = config
        self.lock = threading.RLock()

    @property
    def uuid(self) -> str:
        return self.config["UUID"]

    @property
    def source_arn(self) -> str:
        return self.config["EventSourceArn"]

    @property
    def function_arn(self) -> str:
        """The function ARN as mapped: unqualified, or qualified with a version or alias."""
        return self.config["FunctionArn"]

    @property
    def service(self) -> str:
        """``sqs``, ``kinesis`` or ``dynamodb`` (the source's service in its ARN)."""
        return self.source_arn.split(":")[2]

    def get(self, key: str, default: Any = None) -> Any:
        with self.lock:
            value = self.config.get(key, default)
        return default if value is None else value


def resolve_function(mapping: Mapping) -> tuple[Any, str, str]:
    """(FunctionVersion, code folder, invoked ARN) of the mapped function, resolved now."""
    from ..functions import FunctionVersion
    from ..invoke_api import resolve
    from ..motohooks import code_dir

    target = resolve(mapping.function_arn, None, mapping.account, mapping.region)
    return FunctionVersion.from_moto(target.fn), code_dir(target.fn), target.invoked_arn


def invoke(engine: Engine, mapping: Mapping, event: dict[str, Any]) -> InvokeResult:
    """Invoke the mapped function synchronously with ``event`` (a batch).

    Raises the kit's AWS-shaped errors: ``TooManyRequestsException`` when throttled,
    ``ResourceNotFoundException`` when the function is gone.
    """
    fn, folder, invoked_arn = resolve_function(mapping)
    return engine.invoke(fn, folder, json.dumps(event).encode(), invoked_arn)


def role_client(engine: Engine, mapping: Mapping, service: str) -> Any:
    """A boto3 client signed as the mapped function's execution role."""
    from .. import identity

    fn, _, _ = resolve_function(mapping)
    return identity.role_client(engine, fn, service, mapping.source_arn.split(":")[3])


def matches(mapping: Mapping, record: dict[str, Any]) -> bool:
    """True when ``record`` (as the function would see it, with a JSON body or data already
    decoded) matches at least one of the mapping's FilterCriteria patterns, or there are none.

    The pattern syntax is EventBridge's; moto's implementation decides.
    """
    from moto.events.models import EventPattern

    filters = (mapping.get("FilterCriteria") or {}).get("Filters") or []
    if not filters:
        return True
    for item in filters:
        pattern = json.loads(item.get("Pattern") or "{}")
        if EventPattern(item.get("Pattern"), pattern).matches_event(record):
            return True
    return False


class Poller:
    """A mapping's background loop; subclasses implement :meth:`run`."""

    def __init__(self, engine: Engine, mapping: Mapping):
        self.engine, self.mapping = engine, mapping
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()

    def start(self) -> None:
        self.spawn(self._guarded_run, f"lambdakit-poller-{self.mapping.uuid[:8]}")

    def spawn(self, target: Any, name: str, *args: Any) -> threading.Thread | None:
        """Start a thread of this poller (None once stopping: :meth:`stop` joins them all)."""
        thread = threading.Thread(target=target, args=args, daemon=True, name=name)
        with self._threads_lock:
            if self.stopping.is_set():
                return None
            self._threads.append(thread)
            thread.start()
        return thread

    def _guarded_run(self) -> None:
        try:
            self.run()
        except Exception:
            log.exception("lambdakit: poller of mapping %s failed", self.mapping.uuid)

    def run(self) -> None:
        raise NotImplementedError

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` unless stopped first; True when stopping."""
        return self.stopping.wait(max(0.0, seconds))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling and wait for the batch in flight to finish (at most ``timeout``)."""
        import time

        with self._threads_lock:  # no thread starts after this
            self.stopping.set()
            threads = list(self._threads)
        deadline = time.monotonic() + timeout
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
