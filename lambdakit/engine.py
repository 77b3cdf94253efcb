"""The engine: runs invocations in execution environments and remembers what happened.

One :class:`Engine` owns every environment, the unpacked code, and the
invocation history, including the pre-initialised environments of provisioned
concurrency (:class:`ProvisionedConfig`). It is driven by the Invoke API (``lambdakit.invoke_api``)
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
from typing import Any

from . import identity, layers, safety, telemetry
from .async_invoke import AsyncQueue, QueuedEvent
from .concurrency_limits import ConcurrencyLimits
from .errors import TooManyRequestsException
from .event_source_mappings import EventSourceMappings
from .functions import CodeStore, FunctionVersion
from .metrics import MetricPublisher
from .runtime.environment import (ExecutionEnvironment, Invocation, LaunchSpec, Outcome,
                                  python_command, runtime_site)
from .runtime.pool import EnvironmentPool
from .settings import INIT_TIMEOUT, LOG_TAIL_BYTES, Settings

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


#: StatusReason when Init fails in a provisioned environment (AWS's value).
INIT_FAILURE_REASON = "FUNCTION_ERROR_INIT_FAILURE"
#: StatusReason when the request exceeds what this machine may run (the kit's own wording).
LOCAL_CAP_REASON = (
    "lambdakit cannot start {requested} provisioned environments on this machine: it runs at most "
    "{limit} worker processes (Settings.max_environments, LAMBDAKIT_MAX_ENVIRONMENTS), keeps one "
    "of them for on-demand invocations, and {others} are already provisioned, so at most "
    "{available} more can be. AWS itself would allocate them; ask for fewer, or raise "
    "LAMBDAKIT_MAX_ENVIRONMENTS if the machine has the memory.")


def _timestamp() -> str:
    """LastModified as the provisioned concurrency API writes it: ``2019-12-31T20:28:49+0000``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime())


@dataclasses.dataclass(eq=False)
class ProvisionedConfig:
    """Provisioned concurrency on one version or alias, and the environments serving it.

    The environments run the version the qualifier pointed to when the configuration
    was put; Init runs in each as soon as it starts (``AWS_LAMBDA_INITIALIZATION_TYPE``
    is ``provisioned-concurrency``), so no invocation pays for it. Status is
    ``IN_PROGRESS`` until all are initialised, then ``READY``; ``FAILED`` (with
    ``reason``) if Init fails or the machine cannot hold that many workers.
    """

    account: str
    region: str
    function: str
    qualifier: str
    function_arn: str  # the alias or version ARN
    requested: int
    fn: FunctionVersion
    code_dir: str
    pool: EnvironmentPool
    last_modified: str = dataclasses.field(default_factory=_timestamp)
    status: str = "IN_PROGRESS"
    reason: str | None = None
    starting: list[ExecutionEnvironment] = dataclasses.field(default_factory=list)
    removed: bool = False

    @property
    def allocated(self) -> int:
        """Environments initialised and serving (idle or busy)."""
        return len(self.pool.idle) + len(self.pool.busy)

    def describe(self) -> dict[str, Any]:
        """The GetProvisionedConcurrencyConfig response."""
        ready = 0 if self.status == "FAILED" else self.allocated
        answer: dict[str, Any] = {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": ready,
            "AllocatedProvisionedConcurrentExecutions": ready,
            "Status": self.status}
        if self.reason:
            answer["StatusReason"] = self.reason
        answer["LastModified"] = self.last_modified
        return answer


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
        # (account, region, function, qualifier) -> its provisioned concurrency
        self._provisioned: dict[tuple[str, str, str, str], ProvisionedConfig] = {}
        self._cond = threading.Condition()
        self.limits = ConcurrencyLimits(self.settings.account_concurrency)
        self.limits.engine = self
        self.metrics = MetricPublisher()
        self._live = 0
        self._closed = False
        self.async_queue = AsyncQueue(self)  # Event invocations: retries, destinations, DLQ
        self.event_sources = EventSourceMappings(self)  # SQS and stream pollers
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
            usage = self.limits.usage(fn.account_id, fn.region, fn.name, qualifier)
            provisioned = self._provisioned_for(fn, qualifier) if grant.provisioned else None
            result = self._run(fn, code_dir, payload, invoked_arn, client_context,
                               invocation_type, request_id, provisioned, grant)
            self.metrics.invocation(fn.account_id, fn.region, fn.name, qualifier,
                                    duration_ms=result.record.duration_ms,
                                    error=result.function_error is not None,
                                    concurrent=usage["function"],
                                    executed_version=fn.version)
            self.metrics.account(fn.account_id, fn.region, concurrent=usage["account"],
                                 unreserved=usage["unreserved"])
            if qualifier and usage["provisioned"]:
                self.metrics.provisioned(fn.account_id, fn.region, fn.name, qualifier,
                                         on_provisioned=grant.provisioned,
                                         busy=usage["provisioned_busy"], size=usage["provisioned"])
            return result
        finally:
            if not grant.released:  # _run gives it back as soon as the function has returned
                self.limits.release(fn.account_id, fn.region, grant)

    def _run(self, fn: FunctionVersion, code_dir: str, payload: bytes, invoked_arn: str,
             client_context: str | None, invocation_type: str, request_id: str,
             provisioned: ProvisionedConfig | None = None, grant: Any = None) -> InvokeResult:
        start_time = time.time()
        taken = self._acquire_provisioned(provisioned) if provisioned is not None else None
        pool, env = taken or self._acquire(fn, code_dir)
        inv = Invocation(request_id=request_id, payload=payload or b"{}",
                         invoked_arn=invoked_arn, timeout=fn.timeout,
                         client_context=client_context)
        outcome = env.invoke(inv)
        self._release(pool, env, keep=not outcome.fatal)
        if grant is not None:  # the function has returned: its concurrency is free at once, as
            self.limits.release(fn.account_id, fn.region, grant)  # on AWS; logs follow
        # Since 1 August 2025 Lambda bills the Init phase of on-demand cold starts too: the
        # REPORT line's Billed Duration then covers Init Duration + Duration
        billed = max(1, math.ceil(outcome.duration_ms + (outcome.init_ms or 0.0)))
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
                     invoked_arn: str, request_id: str | None = None) -> QueuedEvent:
        """Queue an asynchronous (``Event``) invocation; it runs in the background.

        The event goes to the internal queue (:mod:`.async_invoke`): function errors are
        retried up to MaximumRetryAttempts, throttles and system errors with backoff until
        MaximumEventAgeInSeconds, and the outcome goes to the destinations and the DLQ.
        """
        return self.async_queue.submit(fn, code_dir, payload, invoked_arn,
                                       request_id or str(uuid.uuid4()))

    def environments(self) -> list[dict[str, Any]]:
        """The live execution environments: function key, id, state (``idle``, ``busy``, or
        ``initializing`` for provisioned ones running Init), invocations, pid, and
        ``initialization_type`` (``on-demand`` or ``provisioned-concurrency``)."""
        with self._cond:
            pools = [*self._pools.values(), *(c.pool for c in self._provisioned.values())]
            return [{"key": pool.key, "environment_id": env.id, "state": state,
                     "invocations": env.invocations, "pid": env.pid,
                     "initialization_type": ("on-demand" if pool.provisioned is None
                                             else "provisioned-concurrency")}
                    for pool in pools
                    for state, envs in (("idle", pool.idle), ("busy", pool.busy),
                                        ("initializing", (pool.provisioned.starting
                                                          if pool.provisioned else ())))
                    for env in envs]

    # -- provisioned concurrency ---------------------------------------------------
    def put_provisioned(self, fn: FunctionVersion, code_dir: str, qualifier: str,
                        function_arn: str, requested: int) -> dict[str, Any]:
        """PutProvisionedConcurrencyConfig on ``qualifier`` (a version, or an alias of ``fn``).

        The concurrency is taken from the account at once (or InvalidParameterValueException);
        the environments start and run Init in the background. Replacing a configuration
        starts its environments afresh.
        """
        key = (fn.account_id, fn.region, fn.name, qualifier)
        cap = self.settings.max_environments - 1  # one worker stays free for on-demand
        with self._cond:
            others = sum(c.requested for k, c in self._provisioned.items()
                         if k != key and c.status != "FAILED")
        fits = requested + others <= cap
        # the rules first: an over-limit request is refused and the old configuration kept
        self.limits.set_provisioned(fn.account_id, fn.region, fn.name, qualifier,
                                    requested if fits else None)
        cfg = ProvisionedConfig(fn.account_id, fn.region, fn.name, qualifier, function_arn,
                                requested, fn, code_dir,
                                EnvironmentPool(f"{fn.key}/provisioned/{qualifier}"))
        cfg.pool.provisioned = cfg
        if not fits:
            cfg.status = "FAILED"
            cfg.reason = LOCAL_CAP_REASON.format(
                requested=requested, limit=self.settings.max_environments, others=others,
                available=max(cap - others, 0))
        with self._cond:
            if self._closed:
                raise RuntimeError("the engine is closed")
            old = self._provisioned.get(key)
            doomed = self._drop_provisioned(old) if old is not None else []
            self._provisioned[key] = cfg
            described = cfg.describe()
        self._shutdown_all(doomed)
        if fits:
            for _ in range(requested):
                threading.Thread(target=self._provision_one, args=(cfg,), daemon=True,
                                 name="lambdakit-provision").start()
        return described

    def get_provisioned(self, account: str, region: str, function: str,
                        qualifier: str) -> dict[str, Any] | None:
        """GetProvisionedConcurrencyConfig, or None when there is no configuration."""
        with self._cond:
            cfg = self._provisioned.get((account, region, function, qualifier))
            return None if cfg is None else cfg.describe()

    def list_provisioned(self, account: str, region: str, function: str) -> list[dict[str, Any]]:
        """ListProvisionedConcurrencyConfigs' items: each configuration with its FunctionArn."""
        with self._cond:
            return [{"FunctionArn": cfg.function_arn, **cfg.describe()}
                    for (a, r, name, _), cfg in sorted(self._provisioned.items())
                    if (a, r, name) == (account, region, function)]

    def delete_provisioned(self, account: str, region: str, function: str,
                           qualifier: str) -> bool:
        """DeleteProvisionedConcurrencyConfig: shut its environments down; False if there was none."""
        with self._cond:
            cfg = self._provisioned.pop((account, region, function, qualifier), None)
            doomed = self._drop_provisioned(cfg) if cfg is not None else []
        if cfg is None:
            return False
        self.limits.set_provisioned(account, region, function, qualifier, None)
        self._shutdown_all(doomed)
        return True

    def _provisioned_for(self, fn: FunctionVersion, qualifier: str | None) -> ProvisionedConfig | None:
        """The configuration whose environments may run this invocation of ``fn``."""
        with self._cond:
            cfg = self._provisioned.get((fn.account_id, fn.region, fn.name, qualifier or ""))
        # an alias moved to another version runs on-demand until the configuration is put again
        return cfg if cfg is not None and cfg.fn.key == fn.key else None

    def _drop_provisioned(self, cfg: ProvisionedConfig) -> list[ExecutionEnvironment]:
        """Retire a configuration (lock held); return its idle environments to shut down.

        Busy ones shut down when their invocation ends; starting ones when Init ends.
        """
        cfg.removed = True
        cfg.pool.retired = True
        doomed, cfg.pool.idle = cfg.pool.idle, []
        self._live -= len(doomed)
        self._cond.notify_all()
        return doomed

    def _provision_one(self, cfg: ProvisionedConfig) -> None:
        """Start one provisioned environment and run its Init (a background thread)."""
        doomed: list[ExecutionEnvironment] = []
        with self._cond:
            while True:
                if self._closed or cfg.removed:
                    return
                if self._live < self.settings.max_environments:
                    self._live += 1
                    break
                victim = self._evict_one()
                if victim is not None:
                    doomed.append(victim)
                    continue
                self._cond.wait()
        self._shutdown_all(doomed)
        env = ExecutionEnvironment(self._launch_spec(cfg.fn, cfg.code_dir, "provisioned-concurrency"),
                                   telemetry.new_log_stream_name(cfg.fn.version))
        with self._cond:
            cfg.starting.append(env)
        try:
            env.start()
            failure = env.initialise(INIT_TIMEOUT + cfg.fn.timeout)
        except Exception as exc:  # the worker could not even start
            log.warning("lambdakit: provisioned environment of %s failed to start: %s",
                        cfg.function_arn, exc)
            failure = "exit"
        failed: list[ExecutionEnvironment] = []
        now_failed = False
        with self._cond:
            cfg.starting.remove(env)
            keep = failure is None and not cfg.removed and not self._closed
            if keep:
                env.last_used = time.monotonic()
                cfg.pool.idle.append(env)
                if cfg.status == "IN_PROGRESS" and cfg.allocated >= cfg.requested:
                    cfg.status = "READY"
            else:
                self._live -= 1
                if failure is not None and not cfg.removed and not self._closed:
                    # a FAILED configuration holds no concurrency: give it back before anyone
                    # can see the status (a client polling for FAILED reads the account next)
                    if self._provisioned.get(
                            (cfg.account, cfg.region, cfg.function, cfg.qualifier)) is cfg:
                        self.limits.set_provisioned(cfg.account, cfg.region, cfg.function,
                                                    cfg.qualifier, None)
                    cfg.status, cfg.reason = "FAILED", INIT_FAILURE_REASON
                    failed = self._drop_provisioned(cfg)
                    now_failed = True
            self._cond.notify_all()
        if not keep:
            env.shutdown()
        if now_failed:
            self._shutdown_all(failed)

    def _acquire_provisioned(self, cfg: ProvisionedConfig
                             ) -> tuple[EnvironmentPool, ExecutionEnvironment] | None:
        """An idle provisioned environment of ``cfg`` (waiting while Init is still running),
        or None to run on an on-demand one (the configuration is gone or failed)."""
        deadline = time.monotonic() + INIT_TIMEOUT + cfg.fn.timeout
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the engine is closed")
                if cfg.removed or cfg.status == "FAILED":
                    return None
                env = cfg.pool.take_idle()
                if env is not None:
                    return cfg.pool, env
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(timeout=left)

    def retire(self, function_arn: str, version: str | None = None) -> None:
        """Shut down the environments of a function (all versions if ``version`` is None)."""
        doomed: list[ExecutionEnvironment] = []
        dropped: list[ProvisionedConfig] = []
        with self._cond:
            for (arn, ver), key in list(self._current_key.items()):
                if arn == function_arn and version in (None, ver):
                    doomed += self._retire_pool(key)
                    del self._current_key[(arn, ver)]
            for key, cfg in list(self._provisioned.items()):
                # a deleted version takes its configuration (and those of aliases on it) along
                if cfg.fn.function_arn == function_arn and version in (None, cfg.fn.version):
                    del self._provisioned[key]
                    doomed += self._drop_provisioned(cfg)
                    dropped.append(cfg)
        for cfg in dropped:
            self.limits.set_provisioned(cfg.account, cfg.region, cfg.function, cfg.qualifier, None)
        self._shutdown_all(doomed)

    def close(self) -> None:
        """Stop every worker and background thread; safe to call twice."""
        self.event_sources.close()  # pollers first: they invoke functions
        with self._cond:
            if self._closed:
                return
            self._closed = True
            pools = [*self._pools.values(), *(c.pool for c in self._provisioned.values())]
            for cfg in self._provisioned.values():
                cfg.removed = cfg.pool.retired = True
            doomed = [env for pool in pools for env in (*pool.idle, *pool.busy)]
            self._pools.clear()
            self._provisioned.clear()
            self._cond.notify_all()
        self.async_queue.close()
        self._shutdown_all(doomed)
        self.async_queue.join()  # attempts under way end once their workers are gone
        self._reaper.join(timeout=5)
        self.code.close()

    # -- environments -----------------------------------------------------------
    def _launch_spec(self, fn: FunctionVersion, code_dir: str,
                     initialization_type: str = "on-demand") -> LaunchSpec:
        creds = self._credentials(fn)
        env = safety.local_aws_environ(self.endpoint_url, access_key=creds[0],
                                       secret_key=creds[1], session_token=creds[2],
                                       region=fn.region)
        env.pop("PYTHONPATH", None)  # the kit's own path is not the function's
        env["TZ"] = ":UTC"  # Lambda's default; a function may set its own
        env.update(dict(fn.environment))
        env.update({
            "_HANDLER": fn.handler,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": fn.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": fn.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": initialization_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.log_group,
            "AWS_REGION": fn.region, "AWS_DEFAULT_REGION": fn.region,
            "LAMBDA_TASK_ROOT": code_dir,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.abspath(__file__)),
            "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "LAMBDAKIT_BLOCKED_HOST_SUFFIXES": ",".join(safety.AWS_HOST_SUFFIXES),
        })
        if fn.log_format == "JSON":  # what Lambda sets for LoggingConfig's JSON format
            env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
            env["AWS_LAMBDA_LOG_LEVEL"] = fn.application_log_level or "INFO"
        opt = layers.opt_dir(self.code, fn)  # the layers, extracted as /opt
        if opt:
            paths = layers.runtime_paths(opt, fn.runtime)
            env["LAMBDAKIT_CODE_PATH"] = os.pathsep.join(paths["sys.path"])
            for name in ("PATH", "LD_LIBRARY_PATH"):
                env[name] = os.pathsep.join(paths[name] + ([env[name]] if env.get(name) else []))
        if fn.runtime.startswith("provided"):
            bootstrap = os.path.join(code_dir, "bootstrap")
            if opt and not os.path.exists(bootstrap):  # Lambda also looks for /opt/bootstrap
                bootstrap = os.path.join(opt, "bootstrap")
            command: tuple[str, ...] = (bootstrap,)
        else:
            command = python_command(self.worker_kind, fn.handler)
            env.update(runtime_site())
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
            replace = None
            if not kept:
                self._live -= 1
                cfg = pool.provisioned
                if cfg is None and not pool.idle and not pool.busy and pool.retired:
                    self._pools.pop(pool.key, None)
                elif cfg is not None and not cfg.removed and not self._closed:
                    replace = cfg  # a provisioned environment died: Lambda replaces it
            self._cond.notify_all()
        if not kept:
            env.shutdown()
        if replace is not None:
            threading.Thread(target=self._provision_one, args=(replace,), daemon=True,
                             name="lambdakit-provision").start()

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
