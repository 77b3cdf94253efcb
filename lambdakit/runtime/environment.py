"""One execution environment: a worker process running a function's code.

Lifecycle, as on AWS::

    start()  ── Init: the runtime starts and imports the handler module ──┐
                                                                          │ first GET /next
    invoke() ── Invoke: the event is handed out, the response comes back ─┤ (repeat: warm)
    shutdown() ── the worker is stopped; its /tmp is removed ─────────────┘

A timeout, a crash or memory above ``MemorySize`` ends the environment at once
(the worker is killed); the pool replaces it on the next invocation.
"""
from __future__ import annotations

import dataclasses
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid

from ..settings import INIT_TIMEOUT
from .memory import peak_rss_mb
from .output import LogLine, OutputPipe
from .runtime_api import RuntimeAPIServer

WORKER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker")
BOOTSTRAP = os.path.join(WORKER_DIR, "lk_bootstrap.py")

# How Go's os/exec (which Lambda's own runtime manager uses) names signals.
_SIGNAL_NAMES = {signal.SIGKILL: "killed", signal.SIGTERM: "terminated",
                 signal.SIGSEGV: "segmentation fault", signal.SIGABRT: "aborted",
                 signal.SIGINT: "interrupt"} if hasattr(signal, "SIGKILL") else {}


@dataclasses.dataclass
class Invocation:
    """One event on its way to a handler."""

    request_id: str
    payload: bytes
    invoked_arn: str
    timeout: float
    client_context: str | None = None
    trace_id: str | None = None
    deadline_ms: int = 0
    done: threading.Event = dataclasses.field(default_factory=threading.Event)
    started: float = 0.0  # perf_counter when the worker received it
    finished: float = 0.0
    ok: bool = False
    body: bytes = b""
    error_type: str | None = None


@dataclasses.dataclass
class Outcome:
    """What happened to one invocation in this environment.

    status is one of: ``success``, ``error`` (the handler raised or returned an
    error), ``init_error``, ``timeout``, ``exit`` (the runtime exited),
    ``oom`` (memory above MemorySize).
    """

    status: str
    payload: bytes
    error_type: str | None
    duration_ms: float
    init_ms: float | None
    max_memory_mb: int
    logs: list[LogLine]
    environment_id: str
    init_lines: int = 0  # how many of ``logs`` were written during Init (they come first)

    @property
    def fatal(self) -> bool:
        """True when the environment did not survive this invocation."""
        return self.status in ("init_error", "timeout", "exit", "oom")


@dataclasses.dataclass(frozen=True)
class LaunchSpec:
    """Everything needed to start a worker for one function version."""

    command: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    memory_mb: int


def _exit_reason(returncode: int) -> str:
    if returncode < 0:
        name = _SIGNAL_NAMES.get(-returncode) or signal.Signals(-returncode).name.lower()
        return f"signal: {name}"
    return f"exit status {returncode}"


class ExecutionEnvironment:
    """A worker process plus the Runtime API server it talks to."""

    def __init__(self, launch: LaunchSpec, log_stream: str):
        self.id = uuid.uuid4().hex[:12]
        self.launch = launch
        self.log_stream = log_stream
        self.invocations = 0
        self.last_used = time.monotonic()
        self.alive = False
        self._inbox: queue.Queue[Invocation | None] = queue.Queue()
        self._current: Invocation | None = None
        self._ready = threading.Event()
        self._ready_at = 0.0
        self._init_error: tuple[bytes, str | None] | None = None
        self._api = RuntimeAPIServer(self)
        self._output = OutputPipe()
        self._tmp = tempfile.mkdtemp(prefix=f"lambdakit-tmp-{self.id}-")
        self._proc: subprocess.Popen[bytes] | None = None
        self._started_at = 0.0
        self._peak_mb = 0.0
        self.pre_initialised = False  # Init ran ahead of any invocation (provisioned concurrency)
        self.init_ms: float | None = None

    # -- Runtime API listener -------------------------------------------------
    def next_invocation(self) -> tuple[dict[str, str], bytes] | None:
        if not self._ready.is_set():
            self._ready_at = time.perf_counter()
            self._output.mark_init_done()  # before the event: what Init printed is ahead of it
            self._ready.set()
        inv = self._inbox.get()
        if inv is None:
            return None
        inv.started = time.perf_counter()
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": inv.request_id,
            "Lambda-Runtime-Deadline-Ms": str(inv.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": inv.invoked_arn,
            "Lambda-Runtime-Trace-Id": inv.trace_id or f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
        }
        if inv.client_context:
            headers["Lambda-Runtime-Client-Context"] = inv.client_context
        return headers, inv.payload

    def invocation_result(self, request_id: str, ok: bool, body: bytes,
                          error_type: str | None) -> bool:
        inv = self._current
        if inv is None or inv.request_id != request_id or inv.done.is_set():
            return False
        inv.finished = time.perf_counter()
        inv.ok, inv.body, inv.error_type = ok, body, error_type
        inv.done.set()
        return True

    def init_error(self, body: bytes, error_type: str | None) -> None:
        self._init_error = (body, error_type)
        self._ready.set()

    # -- lifecycle ------------------------------------------------------------
    def start(self) -> None:
        """Start the worker process: the Init phase begins."""
        env = dict(self.launch.env)
        env["AWS_LAMBDA_RUNTIME_API"] = self._api.address
        env["AWS_LAMBDA_LOG_STREAM_NAME"] = self.log_stream
        env["TMPDIR"] = env["TMP"] = env["TEMP"] = self._tmp
        kwargs: dict = {"start_new_session": True} if os.name == "posix" else {
            "creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
        self._started_at = time.perf_counter()
        self._proc = subprocess.Popen(
            list(self.launch.command), cwd=self.launch.cwd, env=env,
            stdin=subprocess.DEVNULL, stdout=self._output.write_fd,
            stderr=self._output.write_fd, **kwargs)
        self.alive = True

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def _memory_mb(self) -> float:
        if self._proc is not None:
            self._peak_mb = max(self._peak_mb, peak_rss_mb(self._proc.pid))
        return self._peak_mb

    def _watch(self, event: threading.Event, deadline: float) -> str | None:
        """Wait for ``event``; return why it did not come: 'exit', 'oom' or 'timeout'."""
        step = 0.002
        while not event.wait(min(step, max(deadline - time.perf_counter(), 0))):
            if self._proc.poll() is not None:
                return None if event.is_set() else "exit"
            if self._memory_mb() > self.launch.memory_mb:
                return "oom"
            if time.perf_counter() >= deadline:
                return "timeout"
            step = min(step * 2, 0.05)
        return None

    def initialise(self, timeout: float) -> str | None:
        """Wait for Init to finish before any invocation (provisioned concurrency).

        Returns None when the runtime is ready for its first event, else why not:
        ``init_error``, ``exit``, ``oom`` or ``timeout`` (the caller shuts the environment down).
        Invocations of a pre-initialised environment report no Init Duration: Init is not
        part of any request.
        """
        assert self._proc is not None, "start() first"
        failure = self._watch(self._ready, self._started_at + timeout)
        self.init_ms = ((self._ready_at or time.perf_counter()) - self._started_at) * 1000
        if failure is None and self._init_error is not None:
            failure = "init_error"
        if failure is None:
            self.pre_initialised = True
        return failure

    def invoke(self, inv: Invocation) -> Outcome:
        """Run one invocation (Init first, if this environment is new)."""
        assert self._proc is not None, "start() first"
        cold = self.invocations == 0 and not self.pre_initialised
        self.invocations += 1
        self._current = inv
        init_ms = None
        if cold:
            failure = self._watch(self._ready, self._started_at + INIT_TIMEOUT + inv.timeout)
            init_ms = ((self._ready_at or time.perf_counter()) - self._started_at) * 1000
            if failure is None and self._init_error is not None:
                return self._finish(inv, "init_error", init_ms)
            if failure is not None:
                return self._finish(inv, failure, init_ms)
        inv.deadline_ms = int(time.time() * 1000 + inv.timeout * 1000)
        start = time.perf_counter()
        self._inbox.put(inv)
        failure = self._watch(inv.done, start + inv.timeout)
        if failure is None and self._memory_mb() > self.launch.memory_mb:
            failure = "oom"
        if failure is None:
            return self._finish(inv, "success" if inv.ok else "error", init_ms)
        return self._finish(inv, failure, init_ms)

    def _finish(self, inv: Invocation, status: str, init_ms: float | None) -> Outcome:
        now = time.perf_counter()
        begun = inv.started or now
        if status in ("success", "error"):
            duration = (inv.finished - begun) * 1000
        elif status == "timeout":
            duration = inv.timeout * 1000
        else:
            duration = (now - begun) * 1000 if inv.started else 0.0
        if status in ("timeout", "exit", "oom", "init_error"):
            returncode = self._kill()
        memory = self._memory_mb() if self.alive else self._peak_mb
        logs, init_lines = self._output.collect()
        if init_lines is None:  # no boundary: Init never finished, or finished earlier
            init_lines = len(logs) if init_ms is not None and not self._ready_at else 0
        payload, error_type = inv.body, inv.error_type
        rid = inv.request_id
        if status == "timeout":
            error_type = "Sandbox.Timedout"
            payload = _error(error_type, f"RequestId: {rid} Error: Task timed out after {inv.timeout:.2f} seconds")
        elif status == "oom":
            error_type = "Runtime.OutOfMemory"
            payload = _error(error_type, f"RequestId: {rid} Error: Runtime exited with error: signal: killed")
        elif status == "exit":
            error_type = "Runtime.ExitError"
            reason = ("Runtime exited without providing a reason" if returncode == 0
                      else f"Runtime exited with error: {_exit_reason(returncode)}")
            payload = _error(error_type, f"RequestId: {rid} Error: {reason}")
        elif status == "init_error":
            body, error_type = self._init_error or (b"{}", "Runtime.Unknown")
            payload = _with_request_id(body, rid)
            error_type = error_type or json.loads(payload).get("errorType", "Runtime.Unknown")
        self._current = None
        self.last_used = time.monotonic()
        return Outcome(status, payload, error_type, duration, init_ms,
                       int(memory + 0.999), logs, self.id, init_lines)

    def _kill(self) -> int:
        """Stop the worker now (SIGKILL to its process group); return its exit code."""
        proc = self._proc
        if proc is None:
            return 0
        if proc.poll() is None:
            try:
                if os.name == "posix":
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
            except (ProcessLookupError, PermissionError):
                pass
        code = proc.wait()
        if self.alive:
            self._memory_mb()
        self.alive = False
        return code

    def shutdown(self) -> None:
        """The Shutdown phase: stop the worker and release everything it held."""
        self._inbox.put(None)
        self._kill()
        self._api.close()
        self._output.close()
        shutil.rmtree(self._tmp, ignore_errors=True)


def _error(error_type: str, message: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()


def _with_request_id(body: bytes, request_id: str) -> bytes:
    try:
        data = json.loads(body)
    except ValueError:
        return _error("Runtime.Unknown", body.decode("utf-8", "replace"))
    if isinstance(data, dict) and not data.get("requestId"):
        data["requestId"] = request_id
    return json.dumps(data).encode()


#: What AWS's Python runtime has besides the standard library (its ``/var/runtime``): the
#: runtime interface client and its C part, and the AWS SDK with its dependencies. A handler
#: importing anything else must bring it in its package or a layer, on AWS as here.
RUNTIME_PACKAGES = ("awslambdaric", "runtime_client", "simplejson", "boto3", "botocore",
                    "s3transfer", "jmespath", "dateutil", "six", "urllib3")


def python_command(worker_kind: str, handler: str) -> tuple[str, ...]:
    """The command line of a Python worker: without ``site`` (``-S``), so that the kit's own
    installed packages stay out of the function's reach; :func:`runtime_site` adds back
    those the Lambda runtime has."""
    return (sys.executable, "-S", BOOTSTRAP, worker_kind, handler)


def runtime_site() -> dict[str, str]:
    """Environment for a Python worker: where each of :data:`RUNTIME_PACKAGES` is installed
    (``LAMBDAKIT_RUNTIME_SITE``: ``name=folder`` pairs), found in the kit's own Python."""
    global _runtime_site
    if _runtime_site is None:
        import importlib.util
        found = []
        for name in RUNTIME_PACKAGES:
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                spec = None
            if spec is None:
                continue  # awslambdaric is Linux-only: the pure-Python runtime needs none
            where = (list(spec.submodule_search_locations or [])[:1] or [spec.origin or ""])[0]
            found.append(f"{name}={os.path.dirname(where)}")
        _runtime_site = {"LAMBDAKIT_RUNTIME_SITE": os.pathsep.join(found)}
    return dict(_runtime_site)


_runtime_site: dict[str, str] | None = None
