"""The engine: runs invocations in execution environments and remembers what happened.

One :class:`Engine` owns every environment, the unpacked code, and the
invocation history. It is driven by the Invoke API (``lambdakit.invoke_api``)
and by moto's own triggers (``lambdakit.motohooks``), so every route into
Lambda runs the real handler the same way.
"""
from __future__ import annotations

import base64
import collections
import dataclasses
import logging
import math
import os
import threading
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from . import identity, safety, telemetry
from .concurrency_limits import ConcurrencyLimits
from .errors import TooManyRequestsException
from .functions import CodeStore, FunctionVersion
from .metrics import MetricPublisher
from .runtime.environment import (ExecutionEnvironment, Invocation, LaunchSpec, Outcome,
                                  python_command)
from .runtime.pool import EnvironmentPool
from .settings import LOG_TAIL_BYTES, Settings

log = logging.getLogger("lambdakit")


@dataclasses.dataclass
class InvocationRecord:
    """One invocation as the lessons see it: who ran it, cold or warm, where time went."""

    request_id: str
    function_name: str
    version: str
    invocation_type: str
    environment_id: str
    cold: bool
    init_ms: float | None
    duration_ms: float
    billed_ms: int
    memory_size: int
    max_memory_mb: int
    status: str
    error_type: str | None
    start_time: float  # unix seconds, when the request reached the engine
    end_time: float


@dataclasses.dataclass
class InvokeResult:
    """What the Invoke API returns for a synchronous invocation."""

    request_id: str
    payload: bytes
    function_error: str | None
    executed_version: str
    log_result: str  # base64 of the last 4 KB of the execution log
    record: InvocationRecord


def _worker_kind(setting: str) -> str:
    if setting != "auto":
        return setting
    import importlib.util
    return "awslambdaric" if importlib.util.find_spec("awslambdaric") else "python"


class Engine:
    """Runs Lambda invocations for real, in pooled worker processes.

    >>> engine = Engine("http://127.0.0.1:5000")   # doctest: +SKIP
    >>> engine.records[-1].cold                    # doctest: +SKIP
    """

    def __init__(self, endpoint_url: str, settings: Settings | None = None,
                 credentials: Any = None):
        self.endpoint_url = endpoint_url
        self.settings = settings or Settings()
        self.worker_kind = _worker_kind(self.settings.worker)
        self.code = CodeStore()
        self.records: collections.deque[InvocationRecord] = collections.deque(maxlen=10000)
        self._credentials = credentials or identity.role_credentials
        self._pools: dict[str, EnvironmentPool] = {}
        self._current_key: dict[tuple[str, str], str] = {}
        self._cond = threading.Condition()
        self.limits = ConcurrencyLimits(self.settings.account_concurrency)
        self.metrics = MetricPublisher()
        self._live = 0
        self._closed = False
        self._events = ThreadPoolExecutor(max_workers=self.settings.max_environments,
                                          thread_name_prefix="lambdakit-event")
        self._reaper = threading.Thread(target=self._reap_loop, daemon=True,
                                        name="lambdakit-reaper")
        self._reaper.start()

    # -- public -----------------------------------------------------------------
    def invoke(self, fn: FunctionVersion, code_dir: str, payload: bytes, invoked_arn: str,
               client_context: str | None = None, invocation_type: str = "RequestResponse",
               request_id: str | None = None) -> InvokeResult:
        """Run one invocation synchronously and return its result."""
        request_id = request_id or str(uuid.uuid4())
        parts = invoked_arn.split(":")
        qualifier = parts[7] if len(parts) > 7 else None  # the alias or version invoked
        grant = self._admit(fn, qualifier)  # or 429 TooManyRequestsException
        try:
            usage = self.limits.usage(fn.account_id, fn.region, fn.name)
            result = self._run(fn, code_dir, payload, invoked_arn, client_context,
                               invocation_type, request_id)
            self.metrics.invocation(fn.account_id, fn.region, fn.name, qualifier,
                                    duration_ms=result.record.duration_ms,
                                    error=result.function_error is not None,
                                    concurrent=usage["function"])
            self.metrics.account(fn.account_id, fn.region, concurrent=usage["account"],
                                 unreserved=usage["unreserved"])
            return result
        finally:
            self.limits.release(fn.account_id, fn.region, grant)

    def _run(self, fn: FunctionVersion, code_dir: str, payload: bytes, invoked_arn: str,
             client_context: str | None, invocation_type: str, request_id: str) -> InvokeResult:
        start_time = time.time()
        pool, env = self._acquire(fn, code_dir)
        inv = Invocation(request_id=request_id, payload=payload or b"{}",
                         invoked_arn=invoked_arn, timeout=fn.timeout,
                         client_context=client_context)
        outcome = env.invoke(inv)
        self._release(pool, env, keep=not outcome.fatal)
        billed = max(1, math.ceil(outcome.duration_ms))
        record = InvocationRecord(
            request_id=request_id, function_name=fn.name, version=fn.version,
            invocation_type=invocation_type, environment_id=env.id,
            cold=outcome.init_ms is not None, init_ms=outcome.init_ms,
            duration_ms=outcome.duration_ms, billed_ms=billed, memory_size=fn.memory_size,
            max_memory_mb=outcome.max_memory_mb, status=outcome.status,
            error_type=outcome.error_type if outcome.status != "success" else None,
            start_time=start_time, end_time=time.time())
        self.records.append(record)
        log_text = telemetry.write_invocation_logs(fn, env.log_stream, record, outcome)
        tail = log_text.encode()[-LOG_TAIL_BYTES:]
        return InvokeResult(
            request_id=request_id, payload=outcome.payload,
            function_error="Unhandled" if outcome.status != "success" else None,
            executed_version=fn.version, log_result=base64.b64encode(tail).decode(),
            record=record)

    def _admit(self, fn: FunctionVersion, qualifier: str | None) -> Any:
        """The concurrency rules' grant for one invocation of ``fn`` (see :mod:`.concurrency_limits`)."""
        with self._cond:  # a warm start reuses an environment: no scaling token needed
            pool = self._pools.get(fn.key)
            warm = bool(pool is not None and pool.idle)
        try:
            return self.limits.admit(fn.account_id, fn.region, fn.name, qualifier or "$LATEST",
                                     warm=warm)
        except TooManyRequestsException:
            self.metrics.throttle(fn.account_id, fn.region, fn.name, qualifier)
            raise

    def invoke_event(self, fn: FunctionVersion, code_dir: str, payload: bytes,
                     invoked_arn: str, request_id: str | None = None) -> Future:
        """Queue an asynchronous (``Event``) invocation; it runs in the background.

        Unfinished: AWS retries a throttled event with backoff for up to six hours;
        the kit logs it and drops it.
        """
        request_id = request_id or str(uuid.uuid4())

        def run() -> InvokeResult | None:
            try:
                return self.invoke(fn, code_dir, payload, invoked_arn, None, "Event", request_id)
            except TooManyRequestsException as throttle:
                log.warning("lambdakit: event %s for %s was throttled (%s) and dropped: the kit "
                            "does not retry throttled events yet", request_id, fn.name,
                            throttle.extra.get("Reason"))
                return None

        return self._events.submit(run)

    def environments(self) -> list[dict[str, Any]]:
        """The live execution environments: function key, id, state, invocations, pid."""
        with self._cond:
            return [{"key": key, "environment_id": env.id, "state": state,
                     "invocations": env.invocations, "pid": env.pid}
                    for key, pool in self._pools.items()
                    for state, envs in (("idle", pool.idle), ("busy", pool.busy))
                    for env in envs]

    def retire(self, function_arn: str, version: str | None = None) -> None:
        """Shut down the environments of a function (all versions if ``version`` is None)."""
        doomed: list[ExecutionEnvironment] = []
        with self._cond:
            for (arn, ver), key in list(self._current_key.items()):
                if arn == function_arn and version in (None, ver):
                    doomed += self._retire_pool(key)
                    del self._current_key[(arn, ver)]
        self._shutdown_all(doomed)

    def close(self) -> None:
        """Stop every worker and background thread; safe to call twice."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            doomed = [env for pool in self._pools.values() for env in (*pool.idle, *pool.busy)]
            self._pools.clear()
            self._cond.notify_all()
        self._events.shutdown(wait=False, cancel_futures=True)
        self._shutdown_all(doomed)
        self._reaper.join(timeout=5)
        self.code.close()

    # -- environments -----------------------------------------------------------
    def _launch_spec(self, fn: FunctionVersion, code_dir: str) -> LaunchSpec:
        creds = self._credentials(fn)
        env = safety.local_aws_environ(self.endpoint_url, access_key=creds[0],
                                       secret_key=creds[1], session_token=creds[2],
                                       region=fn.region)
        env.update(dict(fn.environment))
        env.update({
            "_HANDLER": fn.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.log_group,
            "AWS_REGION": fn.region, "AWS_DEFAULT_REGION": fn.region,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.abspath(__file__)),
            "TZ": ":UTC", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "LAMBDAKIT_BLOCKED_HOST_SUFFIXES": ",".join(safety.AWS_HOST_SUFFIXES),
        })
        if fn.runtime.startswith("provided"):
            command: tuple[str, ...] = (os.path.join(code_dir, "bootstrap"),)
        else:
            command = python_command(self.worker_kind, fn.handler)
        return LaunchSpec(command=command, env=env, cwd=code_dir, memory_mb=fn.memory_size)

    def _acquire(self, fn: FunctionVersion, code_dir: str) -> tuple[EnvironmentPool, ExecutionEnvironment]:
        key = fn.key
        doomed: list[ExecutionEnvironment] = []
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is closed")
            previous = self._current_key.get((fn.function_arn, fn.version))
            if previous is not None and previous != key:
                doomed += self._retire_pool(previous)  # code or configuration changed
            self._current_key[(fn.function_arn, fn.version)] = key
            pool = self._pools.setdefault(key, EnvironmentPool(key))
            while True:
                env = pool.take_idle()
                if env is not None:
                    break
                if self._live < self.settings.max_environments:
                    self._live += 1
                    env = None
                    break
                victim = self._evict_one()
                if victim is not None:
                    doomed.append(victim)
                    continue
                self._cond.wait()
                if self._closed:
                    raise RuntimeError("the engine is closed")
        self._shutdown_all(doomed)
        if env is None:
            env = ExecutionEnvironment(self._launch_spec(fn, code_dir),
                                       telemetry.new_log_stream_name(fn.version))
            try:
                env.start()
            except Exception:
                with self._cond:
                    self._live -= 1
                    self._cond.notify_all()
                env.shutdown()
                raise
            with self._cond:
                pool.add_busy(env)
        return pool, env

    def _release(self, pool: EnvironmentPool, env: ExecutionEnvironment, keep: bool) -> None:
        with self._cond:
            kept = pool.give_back(env, keep and env.alive and not self._closed)
            if not kept:
                self._live -= 1
                if not pool.idle and not pool.busy and pool.retired:
                    self._pools.pop(pool.key, None)
            self._cond.notify_all()
        if not kept:
            env.shutdown()

    def _retire_pool(self, key: str) -> list[ExecutionEnvironment]:
        """Mark a pool retired (caller holds the lock); return its idle environments."""
        pool = self._pools.get(key)
        if pool is None:
            return []
        pool.retired = True
        doomed, pool.idle = pool.idle, []
        self._live -= len(doomed)
        if not pool.busy:
            del self._pools[key]
        self._cond.notify_all()
        return doomed

    def _evict_one(self) -> ExecutionEnvironment | None:
        """Free a slot by removing the least recently used idle environment (lock held)."""
        candidates = [(env.last_used, key, env) for key, pool in self._pools.items()
                      for env in pool.idle]
        if not candidates:
            return None
        _, key, env = min(candidates, key=lambda c: c[0])
        self._pools[key].idle.remove(env)
        self._live -= 1
        return env

    @staticmethod
    def _shutdown_all(envs: list[ExecutionEnvironment]) -> None:
        for env in envs:
            env.shutdown()

    def _reap_loop(self) -> None:
        while True:
            with self._cond:
                if self._closed:
                    return
                now = time.monotonic()
                doomed = [env for pool in self._pools.values()
                          for env in pool.expired(self.settings.idle_timeout, now)]
                self._live -= len(doomed)
                idle = [env.last_used for pool in self._pools.values() for env in pool.idle]
                wait = (min(idle) + self.settings.idle_timeout - now) if idle else None
                if doomed:
                    self._cond.notify_all()
            self._shutdown_all(doomed)
            with self._cond:
                if self._closed:
                    return
                if not doomed:
                    self._cond.wait(timeout=None if wait is None else max(wait, 0.01))
