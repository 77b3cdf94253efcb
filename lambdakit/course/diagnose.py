"""What went wrong? Name the cause of a failed invocation from the evidence Lambda gives back.

An invocation leaves evidence in two places you can read at once: the **answer** (a
payload with ``errorType`` and ``errorMessage`` plus the ``FunctionError`` field, or an
API error such as ``429 TooManyRequestsException``) and the **log** (``LogType="Tail"``
returns its last 4 KB: the handler's lines and Lambda's START / END / REPORT lines).

- :func:`capture` invokes a function once and keeps that evidence as an :class:`Evidence`;
- :func:`diagnose` reads it the way you would and returns a :class:`Diagnosis`: the cause,
  the lines that prove it, and the fix;
- :func:`diagnoser` is the lesson's widget: pick a run, guess the cause, then check.

>>> d = diagnose(Evidence(status_code=200, function_error="Unhandled",
...     payload={"errorType": "Runtime.HandlerNotFound",
...              "errorMessage": "Handler 'main' missing on module 'lambda_function'"}))
>>> d.cause
'handler function not found'
"""
from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .monitoring import parse_report

__all__ = ["Evidence", "Diagnosis", "capture", "diagnose", "diagnoser", "CAUSES", "HINTS"]

#: every cause :func:`diagnose` can name, in the order it checks them
CAUSES = ("throttled", "invoke denied", "function not found", "timeout", "out of memory",
          "handler function not found", "handler file not found", "missing dependency",
          "init error",
          "execution role denied", "runtime exited", "unhandled exception", "API error",
          "no error")


@dataclasses.dataclass
class Evidence:
    """What one invocation gave back.

    status_code: the HTTP status of the answer (200 for function errors too).
    function_error: the ``FunctionError`` field (``Unhandled``) or None.
    payload: the decoded answer (a dict for an error payload), or None.
    log: the log tail (decoded ``LogResult``), or "" when there is none.
    error_code, error_message, reason: an API error (``TooManyRequestsException``, its
        message, and a throttle's ``Reason``), when the call itself was refused.
    """

    status_code: int
    function_error: str | None = None
    payload: Any = None
    log: str = ""
    error_code: str | None = None
    error_message: str | None = None
    reason: str | None = None

    @property
    def error_type(self) -> str | None:
        return self.payload.get("errorType") if isinstance(self.payload, dict) else None

    @property
    def message(self) -> str:
        return str(self.payload.get("errorMessage", "")) if isinstance(self.payload, dict) else ""

    def log_text(self, width: int = 120) -> str:
        """The log tail, one line per line (a stack trace's lines, joined by ``\\r`` in one
        log event, split again), each cut to ``width`` characters."""
        return "\n".join(line[:width] for line in self.log.splitlines())

    def answer_text(self) -> str:
        """The answer as the caller saw it, in one or two lines."""
        if self.error_code:
            text = f"{self.status_code} {self.error_code}: {self.error_message}"
            return text + (f"\nReason: {self.reason}" if self.reason else "")
        shown = json.dumps(self.payload) if not isinstance(self.payload, str) else self.payload
        flag = f", FunctionError: {self.function_error}" if self.function_error else ""
        return f"{self.status_code}{flag}\n{shown[:600]}"


@dataclasses.dataclass
class Diagnosis:
    """The verdict: ``cause`` (one of :data:`CAUSES`), the ``evidence`` lines that show it,
    and the ``fix``."""

    cause: str
    evidence: list[str]
    fix: str

    def __str__(self) -> str:
        lines = [f"cause: {self.cause}"] + [f"  seen: {line}" for line in self.evidence]
        return "\n".join(lines + [f"  fix:  {self.fix}"])

    def _repr_html_(self) -> str:
        seen = "".join(f"<li><code>{html.escape(line)}</code></li>" for line in self.evidence)
        return (f"<div><b>Cause: {html.escape(self.cause)}</b><ul>{seen}</ul>"
                f"<b>Fix:</b> {html.escape(self.fix)}</div>")


def capture(function: str, event: Any = None, *, client: Any = None, kit: Any = None,
            **invoke: Any) -> Evidence:
    """Invoke ``function`` once, synchronously, with ``LogType="Tail"``, and keep the evidence.

    ``client`` is the Lambda client to call with (default: the administrator's, with the SDK's
    retries turned off so that a throttle is seen, not retried). An API error (429, 403, 404,
    ...) is kept as evidence instead of being raised. Other ``invoke`` arguments pass through.
    """
    from botocore.config import Config
    from botocore.exceptions import ClientError

    if client is None:
        if kit is None:
            import lambdakit
            kit = lambdakit.start()
        client = kit.client("lambda", config=Config(retries={"max_attempts": 0,
                                                              "mode": "standard"}))
    payload = json.dumps(event if event is not None else {})
    try:
        response = client.invoke(FunctionName=function, Payload=payload, LogType="Tail", **invoke)
    except ClientError as error:
        return Evidence(status_code=error.response["ResponseMetadata"]["HTTPStatusCode"],
                        error_code=error.response["Error"]["Code"],
                        error_message=error.response["Error"].get("Message", ""),
                        reason=error.response.get("Reason"))
    body = response["Payload"].read().decode()
    try:
        answer: Any = json.loads(body) if body else None
    except ValueError:
        answer = body
    log = base64.b64decode(response["LogResult"]).decode() if response.get("LogResult") else ""
    return Evidence(status_code=response["StatusCode"],
                    function_error=response.get("FunctionError"), payload=answer, log=log)


# -- the rules --------------------------------------------------------------------------------
def _report(evidence: Evidence) -> dict[str, Any]:
    try:
        return parse_report(evidence.log)
    except ValueError:
        return {}


def _log_lines(evidence: Evidence, *needles: str) -> list[str]:
    return [line.strip()[:200] for line in evidence.log.splitlines()
            if any(n in line for n in needles)]


def _report_line(evidence: Evidence, *keys: str) -> list[str]:
    report = _report(evidence)
    shown = [f"{k}: {report[k]:g}" if isinstance(report[k], float) else f"{k}: {report[k]}"
             for k in keys if k in report]
    return [f"REPORT {' | '.join(shown)}"] if shown else []


def _errored_before_start(evidence: Evidence) -> bool:
    """The log shows an [ERROR] line before START: the failure happened during Init."""
    for line in evidence.log.splitlines():
        if line.startswith("START "):
            return False
        if line.startswith("[ERROR]"):
            return True
    return False


def _last_frame(evidence: Evidence) -> list[str]:
    trace = evidence.payload.get("stackTrace") if isinstance(evidence.payload, dict) else None
    if not trace:
        return []
    return [" ".join(str(trace[-1]).split())[:200]]


_THROTTLE_FIXES = {
    "ReservedFunctionConcurrentInvocationLimitExceeded":
        "the function's reserved concurrency is used up (0 switches it off): raise or remove it "
        "(put_function_concurrency / delete_function_concurrency)",
    "ConcurrentInvocationLimitExceeded":
        "the account's unreserved concurrency is used up: cap busy functions with reserved "
        "concurrency or ask for a higher account limit",
}


def _throttled(e: Evidence) -> Diagnosis | None:
    if e.error_code != "TooManyRequestsException":
        return None
    why = _THROTTLE_FIXES.get(e.reason or "", "a concurrency or rate limit was reached")
    return Diagnosis("throttled", [f"{e.status_code} {e.error_code}: {e.error_message}",
                                   f"Reason: {e.reason}"],
                     f"Lambda refused to run it: {why}. Callers should retry 429s with "
                     "backoff; watch the Throttles metric.")


def _denied(e: Evidence) -> Diagnosis | None:
    if e.error_code != "AccessDeniedException":
        return None
    action = re.search(r"not authorized to perform: (\S+)", e.error_message or "")
    return Diagnosis("invoke denied", [f"{e.status_code} {e.error_code}: {e.error_message}"],
                     "the caller is not allowed "
                     f"{action.group(1) if action else 'to invoke the function'}: allow it in "
                     "the caller's identity policy or the function's "
                     "resource-based policy (kit.explain_last_denial() names the deciding rule)")


def _not_found(e: Evidence) -> Diagnosis | None:
    if e.error_code != "ResourceNotFoundException":
        return None
    return Diagnosis("function not found", [f"{e.status_code} {e.error_code}: {e.error_message}"],
                     "check the function name, Region and qualifier (version or alias)")


def _timeout(e: Evidence) -> Diagnosis | None:
    if e.error_type != "Sandbox.Timedout" and not _log_lines(e, "Task timed out"):
        return None
    return Diagnosis("timeout", _log_lines(e, "Task timed out")
                     + _report_line(e, "Duration", "Billed Duration", "Status"),
                     "the handler ran until the function's Timeout and was stopped (billed "
                     "for all of it): find the slow step (a downstream call without its own "
                     "timeout?), give SDK calls shorter timeouts, and raise Timeout only if the "
                     "work really needs longer")


def _out_of_memory(e: Evidence) -> Diagnosis | None:
    report = _report(e)
    used, size = report.get("Max Memory Used"), report.get("Memory Size")
    over = isinstance(used, float) and isinstance(size, float) and used >= size
    if e.error_type != "Runtime.OutOfMemory" and not over:
        return None
    return Diagnosis("out of memory", [f"errorType: {e.error_type}"] * bool(e.error_type)
                     + _report_line(e, "Memory Size", "Max Memory Used", "Error Type"),
                     "the process used more memory than MemorySize and was killed: raise "
                     "MemorySize (also buys CPU), or process the data in smaller pieces")


def _handler_not_found(e: Evidence) -> Diagnosis | None:
    if e.error_type != "Runtime.HandlerNotFound":
        return None
    return Diagnosis("handler function not found", [f"{e.error_type}: {e.message}"],
                     "the Handler setting names a function the module does not define: set "
                     "Handler to <file>.<function> as written in the code "
                     "(update_function_configuration)")


def _import_error(e: Evidence) -> Diagnosis | None:
    if e.error_type != "Runtime.ImportModuleError":
        return None
    names = re.search(r"Unable to import module '([^']+)': No module named '([^']+)'", e.message)
    seen = [f"{e.error_type}: {e.message}"]
    if names and names.group(2) != names.group(1).split(".")[0] and names.group(1):
        return Diagnosis("missing dependency", seen,
                         f"the handler's module imports {names.group(2)!r}, which is not in the "
                         "deployment package: package it (or add a layer)")
    return Diagnosis("handler file not found", seen,
                     "the file part of the Handler setting does not match a file in the package: "
                     "set Handler to <file>.<function> (lambda_function.handler for "
                     "lambda_function.py)")


def _role_denied(e: Evidence) -> Diagnosis | None:
    if not e.function_error or not re.search(r"AccessDenied|not authorized to perform", e.message):
        return None
    action = re.search(r"not authorized to perform: (\S+) on resource: (\S+)", e.message)
    what = f"{action.group(1)} on {action.group(2)}" if action else "the call it made"
    return Diagnosis("execution role denied", [f"{e.error_type}: {e.message[:320]}"],
                     f"the handler's own AWS call was refused: add {what} to the function's "
                     "execution role (only that action, only that resource)")


def _init_error(e: Evidence) -> Diagnosis | None:
    in_module = any("in <module>" in str(f) for f in
                    (e.payload.get("stackTrace") or [] if isinstance(e.payload, dict) else []))
    if not e.function_error or not (_errored_before_start(e) or in_module):
        return None
    return Diagnosis("init error", [f"{e.error_type}: {e.message}"]
                     + _log_lines(e, "[ERROR]")[:1] + _report_line(e, "Init Duration", "Status"),
                     "the code outside the handler (imports, clients, configuration) raised "
                     "before the handler could run, so every request fails: fix that code or "
                     "the setting it reads (often a missing environment variable)")


def _exited(e: Evidence) -> Diagnosis | None:
    if e.error_type != "Runtime.ExitError":
        return None
    return Diagnosis("runtime exited", [f"{e.error_type}: {e.message}"],
                     "the process ended during the invocation (sys.exit, os._exit or a crash): "
                     "return or raise from the handler instead")


def _unhandled(e: Evidence) -> Diagnosis | None:
    if not e.function_error:
        return None
    return Diagnosis("unhandled exception", [f"{e.error_type}: {e.message}"] + _last_frame(e),
                     "the handler raised: the last frame of the stack trace shows where; "
                     "validate the event and handle the failure you expect")


def _api_error(e: Evidence) -> Diagnosis | None:
    if not e.error_code:
        return None
    return Diagnosis("API error", [f"{e.status_code} {e.error_code}: {e.error_message}"],
                     "Lambda refused the request before running anything: read the message")


RULES: tuple[Callable[[Evidence], Diagnosis | None], ...] = (
    _throttled, _denied, _not_found, _api_error, _timeout, _out_of_memory, _handler_not_found,
    _import_error, _role_denied, _init_error, _exited, _unhandled)


def diagnose(evidence: Evidence) -> Diagnosis:
    """Name what went wrong in ``evidence``: the first rule that matches, in the order of
    :data:`CAUSES` (a refused call first, then what the runtime reported, then the handler)."""
    if not isinstance(evidence, Evidence):
        raise TypeError("diagnose() needs an Evidence (see capture()), "
                        f"not {type(evidence).__name__}")
    for rule in RULES:
        found = rule(evidence)
        if found is not None:
            return found
    return Diagnosis("no error", [f"status {evidence.status_code}, no FunctionError"]
                     + _report_line(evidence, "Duration", "Max Memory Used", "Memory Size"),
                     "nothing failed; if it was slow, compare Duration with the Timeout and "
                     "Max Memory Used with Memory Size")


# -- the widget --------------------------------------------------------------------------------
#: where to look for each cause: the nudge a wrong guess gets (it never names the cause)
HINTS = {
    "throttled": "Did the function run at all? Read the status code, the error code and its Reason.",
    "invoke denied": "The call was refused before any code ran: read the error code and ask who "
                     "was calling, with what permission.",
    "function not found": "The call itself failed: read the error code and the name (and version "
                          "or alias) the caller asked for.",
    "timeout": "Read the last log lines and the REPORT line: how long did the run take, against "
               "the function's settings?",
    "out of memory": "Read the REPORT line: compare what the run used with what the function "
                     "was given.",
    "handler function not found": "Read the errorType: Lambda loaded your file, so what did it "
                                  "fail to find inside it?",
    "handler file not found": "Read the errorType and message: which module did the handler "
                              "setting point Lambda at?",
    "missing dependency": "Read the errorMessage: which import failed, and was that package "
                          "shipped with the function?",
    "init error": "Did it fail before the handler ran? Look at where the error happened: while "
                  "the module was loading, or inside the handler?",
    "execution role denied": "The handler ran and then called another AWS service: read the "
                             "error message for the action and the identity that made the call.",
    "runtime exited": "Read the errorType and the end of the log: did the process give an answer "
                      "back, or stop first?",
    "unhandled exception": "FunctionError is set: read the errorType, the message and the last "
                           "frame of the stack trace.",
    "API error": "The request to Lambda was refused: read the status code and the error code.",
    "no error": "Check the status code, FunctionError and the REPORT line: is anything wrong?",
}


def _evidence_html(name: str, evidence: Evidence) -> str:
    tail = "\n".join(evidence.log_text(160).splitlines()[-14:]) or "(no log: the function never ran)"
    return (f"<p><b>Run: {html.escape(name)}</b></p><p><b>Answer</b></p>"
            f"<pre>{html.escape(evidence.answer_text())}</pre><p><b>Log tail</b></p>"
            f"<pre>{html.escape(tail)}</pre>")


def _question(name: str, evidence: Evidence) -> Any:
    from .bank import Question

    found = diagnose(evidence)
    return Question(id=f"diagnose-{name}", section="08", type="single",
                    prompt=f"What went wrong in run \u201c{name}\u201d? Read its answer and log "
                           "tail, then choose the cause.",
                    explanation=str(found), source="diagnoser", answer=found.cause,
                    options={cause: cause for cause in CAUSES}, hint=HINTS[found.cause])


def diagnoser(runs: Mapping[str, Evidence]) -> Any:
    """A widget: choose one of ``runs``, read its answer and log tail, guess the cause, check.

    It behaves like the knowledge checks: a wrong guess is marked and gets a hint about
    where to look; the diagnosis (cause, the lines that show it, the fix) comes with a right
    guess, after a second wrong one, or on "Show answer".

    >>> diagnoser({"slow": capture("slow"), "boom": capture("boom")})   # doctest: +SKIP
    """
    import ipywidgets as w

    from . import quiz

    if not runs:
        raise ValueError("give the diagnoser at least one run")
    pick = quiz.picker("Run:", [(name, name) for name in runs])
    box = w.VBox([pick])
    box.add_class("lk-diagnoser")

    def show(_: Any = None) -> None:
        evidence = runs[pick.value]
        question = _question(pick.value, evidence)
        guess = quiz.question_widget(question, number="", record=False,
                                     explanation_html=diagnose(evidence)._repr_html_())
        guess.spec = {**guess.spec, "context_html": _evidence_html(pick.value, evidence)}
        box.children = (pick, guess)
        box.guess = guess

    pick.observe(show, names="value")
    show()
    box.pick = pick
    return box
