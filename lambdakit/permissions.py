"""Who may invoke a function: identity-based and resource-based policies, decided as AWS does.

Every Invoke (RequestResponse, Event, DryRun) is authorized here before it runs:

* Same account: an Allow in the caller's identity-based policies *or* in the
  function's resource-based policy (AddPermission) is enough.
* Another account: both must allow (the caller's own policies in its account
  and a resource-based statement naming that account or principal).
* AWS services (``s3.amazonaws.com``, ...): the resource-based policy alone.
* An explicit Deny anywhere wins. A statement on ``function:f`` covers only
  the unqualified ARN; ``function:f:PROD`` (AddPermission with a Qualifier)
  only that alias, not the version it points to.

A refusal is Lambda's AccessDeniedException with AWS's exact message; the
reasons (which statement of which policy decided) go to the log
(``lambdakit.permissions``) and come back as a :class:`Decision`::

    >>> print(kit.explain_invoke("orders", session=alice))      # doctest: +SKIP
    ALLOWED  lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:orders
    ...
"""
from __future__ import annotations

import collections
import dataclasses
import html
import logging
import re
from typing import Any, Callable, Iterable
from urllib.parse import parse_qs

from .errors import AccessDeniedException, MissingAuthenticationTokenException
from .permissions_callers import (Caller, caller_for_key, identity_policies, request_context,
                                  root_credentials, service)
from .permissions_policy import IDENTITY, RESOURCE, PolicySource, StatementResult, evaluate
from .settings import ACCESS_KEY, ACCOUNT_ID, REGION

__all__ = ["Decision", "explain_invoke", "authorize_invoke", "caller_from_environ",
           "caller_from_headers", "root_credentials", "recent_denials"]

log = logging.getLogger(__name__)

ACTION = "lambda:InvokeFunction"
_CREDENTIAL = re.compile(r"Credential=(?P<key>[^/,\s]+)/\d{8}/(?P<region>[^/]+)/")
_denials: collections.deque[Decision] = collections.deque(maxlen=50)


@dataclasses.dataclass
class Decision:
    """Whether ``caller`` may perform ``action`` on ``resource``, and why."""

    allowed: bool
    caller: Caller
    action: str
    resource: str
    reason: str
    deciding: list[StatementResult]  # the Denies that won, or the Allows that count; [] if implicit
    results: list[StatementResult]  # every statement that names the action
    message: str | None = None  # AWS's error message when denied
    request_id: str | None = None
    error: str = "AccessDeniedException"  # the error code a refusal answers with
    note: str | None = None  # the evaluation rule, when it is not Invoke's

    @property
    def cross_account(self) -> bool:
        return (not self.caller.is_service
                and self.caller.account != resource_account(self.resource, self.caller.account))

    @property
    def rule(self) -> str:
        if self.note:
            return self.note
        if self.caller.is_service:
            return "AWS service caller: only the function's resource-based policy is consulted."
        if self.cross_account:
            return (f"Cross-account (caller in {self.caller.account}, function in "
                    f"{resource_account(self.resource, '')}): the caller's identity-based policy AND the "
                    "function's resource-based policy must both allow; an explicit Deny wins.")
        return ("Same account: an Allow in an identity-based OR the resource-based policy is "
                "enough; an explicit Deny wins.")

    def outcome(self, result: StatementResult) -> str:
        """What ``result`` did in this decision: decided, applies, or why it does not apply."""
        if any(result is d for d in self.deciding):
            return "decided"
        return "applies" if result.applies else f"does not apply: {result.why_not}"

    def __str__(self) -> str:
        lines = [f"{'ALLOWED' if self.allowed else 'DENIED'}  {self.action} on {self.resource}",
                 f"  caller:     {self.caller.describe()}", f"  rule:       {self.rule}",
                 f"  decision:   {self.reason}"]
        lines += [f"  decided by: {result.describe()}" for result in self.deciding]
        others = [r for r in self.results if self.outcome(r) != "decided"]
        if others:
            lines.append("  also considered:" if self.deciding else "  considered:")
            lines += [f"    - {r.describe()}: {self.outcome(r)}" for r in others]
        if self.message:
            lines.append(f"  AWS error:  {self.error}: {self.message}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        verdict = "ALLOWED" if self.allowed else "DENIED"
        return f"<Decision {verdict} {self.caller.arn} {self.resource}>"

    def _repr_html_(self) -> str:
        e = html.escape
        color, word = ("#1a7f37", "ALLOWED") if self.allowed else ("#cf222e", "DENIED")
        # words read from the left: JupyterLab's output styles right-align table cells
        cell = "<td style='text-align:left'>{}</td>"
        rows = "".join(
            "<tr>" + "".join(cell.format(e(text)) for text in (
                r.source.kind, r.source.label, r.sid or "", r.effect, self.outcome(r))) + "</tr>"
            for r in self.results)
        heads = "".join(f"<th scope='col' style='text-align:left'>{h}</th>"
                        for h in ("policy type", "policy", "Sid", "Effect", "result"))
        table = f"<table><tr>{heads}</tr>{rows}</table>"
        error = (f"<p><code>{e(self.error)}: {e(self.message)}</code></p>"
                 if self.message else "")
        return (f"<div><b style='color:{color}'>{word}</b> <code>{e(self.action)}</code> on "
                f"<code>{e(self.resource)}</code><br>caller: "
                f"<code>{e(self.caller.describe())}</code><br><i>{e(self.rule)}</i><br>"
                f"{e(self.reason)}{table if rows else ''}{error}</div>")


def resource_account(resource: str, default: str) -> str:
    """The account in ``resource``'s ARN; ``default`` for ``*`` and S3 ARNs, which name none."""
    parts = resource.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else default


def denied_message(caller: Caller, resource: str, kind: str, explicit: bool,
                   action: str = ACTION) -> str:
    """AWS's AccessDenied message: ``User: ... is not authorized to perform: ...``."""
    head = f"User: {caller.arn} is not authorized to perform: {action} on resource: {resource}"
    if explicit:
        return f"{head} with an explicit deny in {'an' if kind == IDENTITY else 'a'} {kind} policy"
    return f"{head} because no {kind} policy allows the {action} action"


def _resource_source(statement: dict[str, Any]) -> PolicySource:
    tail = str(statement.get("Resource", "")).split(":function:")[-1]
    name, _, qualifier = tail.partition(":")
    what = ("function" if not qualifier else "version" if qualifier.isdigit() else "alias")
    return PolicySource(RESOURCE, f"resource-based policy of {what} {tail}")


def function_statements(account: str, region: str, name: str) -> tuple[bool, list[dict[str, Any]]]:
    """(exists, statements of every resource-based policy of function ``name``) from moto."""
    from moto.awslambda.models import lambda_backends

    group = lambda_backends[account][region]._lambdas._functions.get(name)
    if not group or group.get("latest") is None:
        return False, []
    seen: set[tuple[Any, Any]] = set()
    statements = []
    for fn in [group["latest"], *group["versions"]]:
        for statement in list(getattr(getattr(fn, "policy", None), "statements", [])):
            key = (statement.get("Sid"), statement.get("Resource"))
            if key not in seen:
                seen.add(key)
                statements.append(statement)
    return True, statements


class _LazyContext:
    """Request condition keys, computed only if a statement has a Condition."""

    def __init__(self, make: Callable[[], dict[str, list[str]]]):
        self._make, self._data = make, None

    def get(self, key: str, default: Any = None) -> Any:
        if self._data is None:
            self._data = self._make()
        return self._data.get(key, default)


def decide(caller: Caller, resource: str, *, exists: bool, statements: Iterable[dict[str, Any]],
           source_arn: str | None = None, source_account: str | None = None,
           action: str = ACTION) -> Decision:
    """Evaluate every policy that speaks for ``caller`` and for the function at ``resource``.

    ``exists=False`` (Invoke of a function that does not exist) names the resource-based
    policy in an implicit denial, as Lambda does; other actions pass ``exists=True``.
    """
    context: Any = _LazyContext(lambda: request_context(caller, source_arn, source_account))
    results: list[StatementResult] = []

    def consider(statement: dict[str, Any], source: PolicySource) -> None:
        result = evaluate(statement, source, action, resource, context, caller)
        if result is not None:
            results.append(result)

    if caller.kind == "root":
        results.append(StatementResult(
            PolicySource(IDENTITY, f"root user of account {caller.account}"), {"Effect": "Allow"},
            True, text=f"the root user of account {caller.account} may do anything in its own "
                       "name: no identity-based policy limits it (identity-based)"))
    elif not caller.is_service:
        for source, document in identity_policies(caller):
            body = document.get("Statement", [])
            for statement in body if isinstance(body, list) else [body]:
                consider(statement, source)
    for statement in statements:
        consider(statement, _resource_source(statement))
    return _verdict(caller, resource, exists, results, action)


def _verdict(caller: Caller, resource: str, exists: bool, results: list[StatementResult],
             action: str = ACTION) -> Decision:
    """AWS's evaluation logic over the decided statements; names one policy type when denied."""
    def make(allowed: bool, reason: str, deciding: list[StatementResult],
             message: str | None = None) -> Decision:
        return Decision(allowed, caller, action, resource, reason, deciding, results, message)

    applying = [r for r in results if r.applies]
    denies = [r for r in applying if r.effect == "Deny"]
    if denies:
        return make(False, "An explicit Deny applies; it overrides every Allow.", denies,
                    denied_message(caller, resource, denies[0].source.kind, True, action))
    identity = [r for r in applying if r.source.kind == IDENTITY and r.effect == "Allow"]
    granted = [r for r in applying if r.source.kind == RESOURCE and r.effect == "Allow"]
    direct = [r for r in granted if not r.delegated]
    delegated_note = (" A resource-based statement names the caller's account as principal: that "
                      "delegates to the account's identity-based policies instead of granting "
                      "the caller access itself." if granted and not direct else "")
    if caller.is_service:
        if granted:
            return make(True, "The function's resource-based policy allows the service.", granted)
        return make(False, "No resource-based statement allows this service.", [],
                    denied_message(caller, resource, RESOURCE, False, action))
    if caller.account == resource_account(resource, caller.account):
        if identity or direct:
            return make(True, "Allowed: one Allow is enough within the account.", identity + direct)
        # As observed from Lambda: "no identity-based policy" for a function that exists,
        # "no resource-based policy" for one that does not (it has no policy at all).
        kind = IDENTITY if exists else RESOURCE
        return make(False, "No identity-based or resource-based statement allows it (implicit "
                           "deny)." + delegated_note, [],
                    denied_message(caller, resource, kind, False, action))
    if identity and granted:
        return make(True, "Both sides allow: the caller's identity-based policy and the "
                          "function's resource-based policy.", identity + granted)
    if not identity:
        side = "the function's resource-based policy allows, but " if granted else ""
        return make(False, f"Cross-account: {side}no identity-based policy of the caller "
                           "allows it.", [],
                    denied_message(caller, resource, IDENTITY, False, action))
    return make(False, "Cross-account: the caller's identity-based policy allows, but no "
                       "resource-based statement of the function allows the caller's account.",
                [], denied_message(caller, resource, RESOURCE, False, action))


def caller_from_environ(environ: dict[str, Any]) -> tuple[Caller, str]:
    """(caller, signing region) of a signed HTTP request; AWS's error if unsigned or unknown."""
    match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    token = environ.get("HTTP_X_AMZ_SECURITY_TOKEN")
    if match:
        key, region = match["key"], match["region"]
    else:  # a presigned URL
        query = parse_qs(environ.get("QUERY_STRING", ""))
        credential = (query.get("X-Amz-Credential") or [""])[0].split("/")
        if len(credential) < 3:
            raise MissingAuthenticationTokenException("Missing Authentication Token")
        key, region = credential[0], credential[2]
        token = token or (query.get("X-Amz-Security-Token") or [None])[0]
    return caller_for_key(key, token), region


def caller_from_headers(headers: Any, query_string: str = "") -> tuple[Caller, str]:
    """:func:`caller_from_environ` for a request moto hands over (its ``headers``)."""
    return caller_from_environ({
        "HTTP_AUTHORIZATION": headers.get("Authorization") or "",
        "HTTP_X_AMZ_SECURITY_TOKEN": headers.get("X-Amz-Security-Token"),
        "QUERY_STRING": query_string})


def authorize_invoke(caller: Caller, resource: str, *, request_id: str | None = None) -> Decision:
    """Raise AccessDeniedException unless ``caller`` may invoke ``resource`` (the invoked ARN)."""
    _, _, _, region, account, _, name, *_ = resource.split(":")
    exists, statements = function_statements(account, region, name)
    decision = decide(caller, resource, exists=exists, statements=statements)
    decision.request_id = request_id
    if decision.allowed:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("Invoke %s\n%s", request_id, decision)
        return decision
    _denials.append(decision)
    log.info("Invoke %s denied\n%s", request_id, decision)
    raise AccessDeniedException(decision.message or "")


def record_denial(decision: Decision) -> None:
    """Keep a refusal for :func:`recent_denials` (and ``kit.explain_last_denial()``)."""
    _denials.append(decision)


def recent_denials() -> list[Decision]:
    """The latest refused requests of this process, oldest first (at most 50).

    Invoke, and CreateFunction / UpdateFunctionConfiguration refused for their
    execution role (:mod:`lambdakit.permissions_roles`).
    """
    return list(_denials)


def explain_invoke(function_name: str, qualifier: str | None = None, *,
                   access_key: str | None = None, session_token: str | None = None,
                   principal: str | None = None, source_arn: str | None = None,
                   source_account: str | None = None, region: str = REGION) -> Decision:
    """Would this Invoke be allowed, and which statement decides? Nothing is run.

    The caller is the holder of ``access_key`` (default: the administrator) or,
    with ``principal="s3.amazonaws.com"``, an AWS service acting for
    ``source_arn`` / ``source_account``. ``function_name`` is a name or an ARN,
    optionally qualified, as Invoke accepts it.

    >>> explain_invoke("orders", access_key=alice_key).allowed        # doctest: +SKIP
    False
    """
    from .invoke_api import function_ref

    if principal is not None:
        caller = service(principal)
    else:
        caller = caller_for_key(access_key or ACCESS_KEY, session_token)
    home = caller.account or ACCOUNT_ID
    ref = function_ref(function_name, qualifier, home, region)
    exists, statements = function_statements(ref.account, ref.region, ref.name)
    return decide(caller, ref.invoked_arn, exists=exists, statements=statements,
                  source_arn=source_arn, source_account=source_account)
