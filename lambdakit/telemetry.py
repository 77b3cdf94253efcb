"""What an invocation leaves behind in CloudWatch Logs, formatted as Lambda writes it.

Each execution environment writes to its own stream in the function's log group
(``/aws/lambda/NAME``, or LoggingConfig's ``LogGroup``). With the default ``Text`` format::

    INIT_START Runtime Version: python:3.12  (cold starts only)
    ...lines printed while the module was imported...
    START RequestId: 6f1c... Version: $LATEST
    ...lines printed by the handler...
    END RequestId: 6f1c...
    REPORT RequestId: 6f1c...  Duration: 1.52 ms  Billed Duration: 2 ms  Memory Size: 128 MB
           Max Memory Used: 31 MB  Init Duration: 48.20 ms  (cold starts only)

With LoggingConfig's ``JSON`` format the platform lines become JSON records, as Lambda writes
its system logs (``{"time": ..., "type": "platform.start", "record": {...}}``):
``platform.initStart``, ``platform.start`` and ``platform.report`` (INFO), plus
``platform.initRuntimeDone`` and ``platform.runtimeDone`` at SystemLogLevel DEBUG; there is no
END record. The runtime writes the function's ``logging`` records as JSON itself
(``AWS_LAMBDA_LOG_FORMAT``); a line with no JSON ``level`` counts as INFO, and lines below
ApplicationLogLevel are dropped, platform records below SystemLogLevel too.
"""
from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import InvocationRecord
    from .functions import FunctionVersion
    from .runtime.environment import Outcome


def new_log_stream_name(version: str) -> str:
    """A stream name shaped like Lambda's: ``2026/11/24/[$LATEST]<32 hex digits>``."""
    return f"{dt.datetime.now(dt.timezone.utc):%Y/%m/%d}/[{version}]{uuid.uuid4().hex}"


def report_line(record: InvocationRecord) -> str:
    """The REPORT line of one invocation."""
    parts = [f"REPORT RequestId: {record.request_id}",
             f"Duration: {record.duration_ms:.2f} ms",
             f"Billed Duration: {record.billed_ms} ms",
             f"Memory Size: {record.memory_size} MB",
             f"Max Memory Used: {record.max_memory_mb} MB"]
    if record.init_ms is not None:
        parts.append(f"Init Duration: {record.init_ms:.2f} ms")
    if record.status == "timeout":
        parts.append("Status: timeout")
    elif record.status in ("exit", "oom", "init_error"):
        parts += ["Status: error", f"Error Type: {record.error_type}"]
    return "\t".join(parts)


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


#: Application log levels, least severe first (Lambda's LoggingConfig.ApplicationLogLevel);
#: Python's names for two of them map to Lambda's.
APPLICATION_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
_LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL"}
#: System log levels, least severe first (LoggingConfig.SystemLogLevel).
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")


def application_level(message: str) -> str:
    """The level Lambda gives an application log line: its JSON ``level``, else INFO."""
    if message.startswith("{"):
        try:
            level = json.loads(message).get("level")
        except (ValueError, AttributeError):
            level = None
        if isinstance(level, str):
            level = _LEVEL_ALIASES.get(level.upper(), level.upper())
            if level in APPLICATION_LEVELS:
                return level
    return "INFO"


def _platform(ts: float, kind: str, record: dict) -> str:
    return json.dumps({"time": _iso(ts), "type": f"platform.{kind}", "record": record},
                      separators=(",", ":"))


def _json_events(fn: FunctionVersion, record: InvocationRecord, outcome: Outcome,
                 invoke_started: float, init_lines: list, handler_lines: list
                 ) -> list[tuple[float, str, str | None]]:
    """The JSON format's events as (time, message, system level or None for application)."""
    rid, start, end = record.request_id, record.start_time, record.end_time
    events: list[tuple[float, str, str | None]] = []
    if record.cold:
        events.append((start, _platform(start, "initStart", {
            "initializationType": "on-demand", "phase": "init",
            "runtimeVersion": fn.runtime.replace("python", "python:") + ".lambdakit",
            "functionName": fn.name, "functionVersion": fn.version}), "INFO"))
    events += [(t, msg, None) for t, msg in init_lines]
    if record.cold:
        events.append((invoke_started, _platform(invoke_started, "initRuntimeDone", {
            "initializationType": "on-demand", "phase": "init",
            "status": "error" if record.status == "init_error" else "success"}), "DEBUG"))
    events.append((invoke_started, _platform(invoke_started, "start", {
        "requestId": rid, "functionArn": fn.function_arn, "version": fn.version}), "INFO"))
    events += [(t, msg, None) for t, msg in handler_lines]
    status = {"success": "success", "timeout": "timeout"}.get(record.status, "error")
    done: dict = {"requestId": rid, "status": status}
    if status == "error" and record.error_type:
        done["errorType"] = record.error_type
    done["metrics"] = {"durationMs": round(record.duration_ms, 3),
                       "producedBytes": len(outcome.payload or b"")}
    events.append((end, _platform(end, "runtimeDone", done), "DEBUG"))
    metrics = {"durationMs": round(record.duration_ms, 3), "billedDurationMs": record.billed_ms,
               "memorySizeMB": record.memory_size, "maxMemoryUsedMB": record.max_memory_mb}
    if record.init_ms is not None:
        metrics["initDurationMs"] = round(record.init_ms, 3)
    report: dict = {"requestId": rid, "metrics": metrics, "status": status}
    if status == "error" and record.error_type:
        report["errorType"] = record.error_type
    events.append((end, _platform(end, "report", report), "INFO"))
    system_floor = SYSTEM_LEVELS.index(fn.system_log_level or "INFO")
    app_floor = APPLICATION_LEVELS.index(fn.application_log_level or "INFO")
    return [(t, msg, level) for t, msg, level in events
            if (SYSTEM_LEVELS.index(level) >= system_floor if level is not None
                else APPLICATION_LEVELS.index(application_level(msg)) >= app_floor)]


def invocation_log_events(fn: FunctionVersion, record: InvocationRecord,
                          outcome: Outcome) -> list[tuple[float, str]]:
    """The log events of one invocation, in order, as (unix seconds, message), in the
    function's LogFormat and filtered by its log levels."""
    rid = record.request_id
    events: list[tuple[float, str]] = []
    start, end = record.start_time, record.end_time
    if record.cold:
        runtime = fn.runtime.replace("python", "python:")
        events.append((start, f"INIT_START Runtime Version: {runtime}.lambdakit"))
    invoke_started = start + (record.init_ms or 0) / 1000
    # what the worker wrote before it asked for this event is Init's, as the runtime's
    # boundary marker in its output says (read times alone would misplace late Init lines)
    split = outcome.init_lines
    init_lines, handler_lines = outcome.logs[:split], outcome.logs[split:]
    if init_lines:
        invoke_started = max(invoke_started, init_lines[-1][0])
    if fn.log_format == "JSON":
        events = [(t, msg) for t, msg, _ in _json_events(fn, record, outcome, invoke_started,
                                                           list(init_lines), list(handler_lines))]
        return _monotonic(events)
    events += init_lines
    events.append((invoke_started, f"START RequestId: {rid} Version: {fn.version}"))
    events += handler_lines
    if record.status == "timeout":
        events.append((end, f"{_iso(end)} {rid} Task timed out after {fn.timeout:.2f} seconds"))
    elif record.status in ("exit", "oom"):
        message = json.loads(outcome.payload)["errorMessage"]
        events.append((end, f"{message}\n{record.error_type}"))
    events.append((end, f"END RequestId: {rid}"))
    events.append((end, report_line(record)))
    return _monotonic(events)


def _monotonic(events: list[tuple[float, str]]) -> list[tuple[float, str]]:
    """Keep the order written, with timestamps that never go back."""
    ordered, last = [], 0.0
    for t, msg in events:
        last = max(t, last)
        ordered.append((last, msg))
    return ordered


def write_invocation_logs(fn: FunctionVersion, stream: str, record: InvocationRecord,
                          outcome: Outcome) -> str:
    """Write an invocation's log events to the local CloudWatch Logs; return them as text.

    As on AWS, Lambda writes with the function's execution role: a role that may not
    create the group (when it is missing), create the stream, or put log events leaves
    no logs at all (:func:`lambdakit.permissions_enforce.logging_denial` says why). The
    text is returned either way: ``LogType="Tail"`` still shows it.
    """
    from moto.logs.models import logs_backends

    from .permissions_enforce import logging_denial

    events = invocation_log_events(fn, record, outcome)
    text = "".join(msg + "\n" for _, msg in events)
    backend = logs_backends[fn.account_id][fn.region]
    group = backend.groups.get(fn.log_group)
    denied = logging_denial(fn.role, fn.name, fn.region, fn.log_group, stream,
                            group_exists=group is not None,
                            stream_exists=group is not None and stream in group.streams)
    if denied is not None:
        return text
    backend.ensure_log_group(fn.log_group)
    group = backend.groups[fn.log_group]
    if stream not in group.streams:
        backend.create_log_stream(fn.log_group, stream)
    now_ms = int(time.time() * 1000)
    backend.put_log_events(fn.log_group, stream, [
        {"timestamp": min(int(t * 1000), now_ms), "message": msg} for t, msg in events])
    return text
