"""One policy statement, decided as IAM decides it: Action, Principal, Resource, Condition.

Built on moto's :class:`~moto.iam.access_control.IAMPolicyStatement` (its
element handling for ``Action`` / ``Resource`` lists) and moto's condition
parser, corrected where moto is wrong for authorization:

* wildcards: ``*`` and ``?`` only, everything else literal (moto feeds the
  pattern to ``re`` unescaped); actions match case-insensitively, ARNs do not;
* ``Principal`` in a resource-based policy: a statement that names someone
  else does not apply (moto answers DENIED); an account principal
  (``123456789012`` or ``arn:aws:iam::123456789012:root``) *delegates* to that
  account's identity-based policies instead of granting its users directly;
* ``Condition``: a key missing from the request makes a positive operator
  false and a negated one true, unknown operators never match (moto ignores
  both and lets the statement apply).
"""
from __future__ import annotations

import dataclasses
import datetime
import functools
import re
from typing import Any, Callable, Iterable

from moto.iam.access_control import IAMPolicyStatement
from moto.iam.policy_conditions import TrustRelationShipConditions, string_equals_operation

IDENTITY, RESOURCE = "identity-based", "resource-based"
_ACCOUNT_ROOT = re.compile(r"^arn:aws[a-zA-Z-]*:iam::(\d{12}):root$")


@dataclasses.dataclass(frozen=True)
class PolicySource:
    """Where a statement comes from: its policy type and a readable label."""

    kind: str  # IDENTITY or RESOURCE
    label: str  # e.g. 'inline policy "invoke" of user alice'


@dataclasses.dataclass
class StatementResult:
    """How one statement that names the action fared against the request."""

    source: PolicySource
    statement: dict[str, Any]
    applies: bool
    why_not: str | None = None
    delegated: bool = False  # matched only through an account principal
    text: str | None = None  # how to describe it, when it is not a written statement

    @property
    def effect(self) -> str:
        return self.statement.get("Effect", "Allow")

    @property
    def sid(self) -> str | None:
        return self.statement.get("Sid")

    def describe(self) -> str:
        if self.text:
            return self.text
        sid = f' "{self.sid}"' if self.sid else ""
        return f"{self.effect} statement{sid} in {self.source.label} ({self.source.kind})"


@functools.lru_cache(maxsize=1024)
def wildcard(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    """IAM wildcards as a regular expression: ``*`` any run, ``?`` one character."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


class Statement(IAMPolicyStatement):
    """moto's statement with IAM's own wildcard rules."""

    @staticmethod
    def _match(pattern: str, string: str) -> re.Match[str] | None:  # type: ignore[override]
        # Actions ("lambda:Invoke*") are case-insensitive; ARNs are not.
        return wildcard(pattern, ignore_case=not pattern.startswith("arn:")).fullmatch(string)

    def names_action(self, action: str) -> bool:
        if "NotAction" in self._statement:
            return not self._check_element_matches("NotAction", action)
        return "Action" in self._statement and self._check_element_matches("Action", action)

    def resource_mismatch(self, resource: str) -> str | None:
        if "NotResource" in self._statement:
            if self._check_element_matches("NotResource", resource):
                return f"NotResource excludes {resource}"
            return None
        if "Resource" not in self._statement or self._check_element_matches("Resource", resource):
            return None
        return f"Resource {_show(self._statement['Resource'])} does not match {resource}"


def _show(value: Any) -> str:
    return value if isinstance(value, str) else ", ".join(map(str, value))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def principals(element: Any) -> dict[str, list[str]]:
    """A ``Principal`` element as ``{type: [values]}`` (moto stores some as bare strings)."""
    if isinstance(element, dict):
        return {kind: [str(v) for v in _as_list(values)] for kind, values in element.items()}
    text = str(element)
    if text == "*":
        return {"*": ["*"]}
    if text.endswith(".amazonaws.com"):
        return {"Service": [text]}
    return {"AWS": [text]}


def match_principal(element: Any, caller: Any) -> str | None:
    """``"direct"``, ``"account"`` (delegation to the caller's account) or None."""
    best = None
    for kind, values in principals(element).items():
        for value in values:
            if value == "*" and kind in ("*", "AWS"):
                return "direct"
            if caller.kind == "service":
                if kind == "Service" and value == caller.name:
                    return "direct"
                continue
            if kind != "AWS":
                continue
            root = _ACCOUNT_ROOT.match(value)
            account = value if re.fullmatch(r"\d{12}", value) else root and root.group(1)
            if account == caller.account:
                if caller.kind == "root":
                    return "direct"
                best = "account"
            elif value in (caller.arn, caller.principal_arn):
                return "direct"
    return best


def evaluate(statement: dict[str, Any], source: PolicySource, action: str, resource: str,
             context: dict[str, list[str]], caller: Any) -> StatementResult | None:
    """Decide one statement; None when it does not name ``action`` at all."""
    view = Statement(statement)
    if not view.names_action(action):
        return None
    delegated = False
    if source.kind == RESOURCE:
        if "NotPrincipal" in statement:
            if match_principal(statement["NotPrincipal"], caller):
                return StatementResult(source, statement, False, "NotPrincipal excludes the caller")
        else:
            how = match_principal(statement.get("Principal", {}), caller)
            if how is None:
                return StatementResult(source, statement, False,
                                       f"Principal {_show_principal(statement.get('Principal'))} "
                                       f"is not {caller.arn}")
            delegated = how == "account"
    mismatch = view.resource_mismatch(resource)
    if mismatch:
        return StatementResult(source, statement, False, mismatch)
    failed = condition_failure(statement.get("Condition") or {}, context)
    if failed:
        return StatementResult(source, statement, False, failed)
    return StatementResult(source, statement, True, delegated=delegated)


def _show_principal(element: Any) -> str:
    shown = "; ".join(f"{k}: {', '.join(v)}" for k, v in principals(element or {}).items())
    return shown or "(none)"


# --- conditions -------------------------------------------------------------------------

def _like(expected: str, actual: str) -> bool:
    return wildcard(expected).fullmatch(actual) is not None


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> datetime.datetime:
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
    value = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def _compare(parse: Callable[[str], Any],
             test: Callable[[Any, Any], bool]) -> Callable[[str, str], bool]:
    def check(expected: str, actual: str) -> bool:
        try:
            return test(parse(actual), parse(expected))
        except (TypeError, ValueError):
            return False
    return check


#: operator -> (test(expected, actual), negated)
OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda e, a: string_equals_operation(e, a), False),
    "StringNotEquals": (lambda e, a: string_equals_operation(e, a), True),
    "StringEqualsIgnoreCase": (lambda e, a: e.lower() == a.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda e, a: e.lower() == a.lower(), True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (_like, False),
    "ArnLike": (_like, False),
    "ArnNotEquals": (_like, True),
    "ArnNotLike": (_like, True),
    "Bool": (lambda e, a: e.lower() == a.lower(), False),
    "NumericEquals": (_compare(_number, lambda a, e: a == e), False),
    "NumericNotEquals": (_compare(_number, lambda a, e: a == e), True),
    "NumericLessThan": (_compare(_number, lambda a, e: a < e), False),
    "NumericLessThanEquals": (_compare(_number, lambda a, e: a <= e), False),
    "NumericGreaterThan": (_compare(_number, lambda a, e: a > e), False),
    "NumericGreaterThanEquals": (_compare(_number, lambda a, e: a >= e), False),
    "DateEquals": (_compare(_date, lambda a, e: a == e), False),
    "DateNotEquals": (_compare(_date, lambda a, e: a == e), True),
    "DateLessThan": (_compare(_date, lambda a, e: a < e), False),
    "DateLessThanEquals": (_compare(_date, lambda a, e: a <= e), False),
    "DateGreaterThan": (_compare(_date, lambda a, e: a > e), False),
    "DateGreaterThanEquals": (_compare(_date, lambda a, e: a >= e), False),
}


def condition_failure(conditions: dict[str, Any], context: dict[str, list[str]]) -> str | None:
    """Why the ``Condition`` block does not hold for ``context`` (lower-case keys), or None."""
    for condition in TrustRelationShipConditions(conditions):
        operator = condition._condition
        for key, expected in zip(condition.context_keys, condition._expected_value):
            if not _holds(operator, [str(v) for v in _as_list(expected)], context.get(key.lower())):
                present = context.get(key.lower())
                actual = "absent from the request" if present is None else f"is {_show(present)}"
                return f"Condition {operator} {key} {_show(_as_list(expected))}: {key} {actual}"
    return None


def _holds(operator: str, expected: list[str], actual: list[str] | None) -> bool:
    qualifier, _, operator = operator.rpartition(":")
    if operator == "Null":
        return (actual is None) == (expected[0].lower() == "true")
    if_exists = operator.endswith("IfExists")
    operator = operator[:-len("IfExists")] if if_exists else operator
    if operator not in OPERATORS:
        return False
    if actual is None:
        return if_exists or OPERATORS[operator][1] or qualifier == "ForAllValues"
    test, negated = OPERATORS[operator]
    matches: Iterable[bool] = (any(test(e, a) for e in expected) for a in actual)
    if qualifier == "ForAllValues":
        return all(m != negated for m in matches)
    hits = [m != negated for m in matches]
    return any(hits) if qualifier == "ForAnyValue" or not negated else all(hits)
