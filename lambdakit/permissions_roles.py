"""Execution roles: may Lambda assume the role, and may the caller hand it to Lambda?

CreateFunction, and UpdateFunctionConfiguration with ``Role``, are checked as
Lambda checks them, in this order:

1. ``Role`` must look like a role ARN: otherwise ValidationException (400),
   ``1 validation error detected: Value '...' at 'role' failed to satisfy
   constraint: Member must satisfy regular expression pattern: ...``.
2. A caller other than the account's root user (the kit's administrator)
   needs ``lambda:CreateFunction`` (``lambda:UpdateFunctionConfiguration``) on
   the function, then ``iam:PassRole`` on the role; PassRole is granted only by
   the caller's identity-based policies, with the condition key
   ``iam:PassedToService`` = ``lambda.amazonaws.com``. Otherwise
   AccessDeniedException (403) with AWS's ``User: ... is not authorized to
   perform: iam:PassRole on resource: ...`` message.
3. The role must be in the function's account (AccessDeniedException
   ``Cross-account pass role is not allowed.``), exist, and its trust policy
   must let ``lambda.amazonaws.com`` ``sts:AssumeRole`` (an explicit Deny or a
   Condition that does not hold counts): otherwise InvalidParameterValueException
   (400) ``The role defined for the function cannot be assumed by Lambda.``

Nothing changes when a check fails. Every refusal is a
:class:`~lambdakit.permissions.Decision` that names the statements considered;
``kit.explain_last_denial()`` returns the latest, and :func:`explain_role` /
:func:`explain_pass_role` ask without creating anything::

    >>> print(explain_role("arn:aws:iam::123456789012:role/ec2-only"))   # doctest: +SKIP
    DENIED  sts:AssumeRole on arn:aws:iam::123456789012:role/ec2-only
    ...
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import unquote

from .errors import (AccessDeniedException, InvalidParameterValueException, LambdaError,
                     ValidationException, as_moto)
from .permissions import (Decision, caller_from_headers, decide, denied_message,
                          function_statements, record_denial)
from .permissions_callers import (PARTITION, Caller, caller_for_key, identity_policies,
                                  request_context, service)
from .permissions_policy import IDENTITY, RESOURCE, PolicySource, StatementResult, evaluate
from .settings import ACCESS_KEY

__all__ = ["explain_role", "explain_pass_role", "check_execution_role", "authorize_request",
           "CANNOT_ASSUME", "ROLE_PATTERN"]

log = logging.getLogger("lambdakit.permissions")

LAMBDA_SERVICE = "lambda.amazonaws.com"
ASSUME_ROLE = "sts:AssumeRole"
PASS_ROLE = "iam:PassRole"
#: Lambda's answer when the execution role is missing or does not trust Lambda
CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
CROSS_ACCOUNT = "Cross-account pass role is not allowed."
#: the constraint on ``Role`` in Lambda's API, as its ValidationException quotes it
ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
#: moto's LambdaResponse method -> the action it needs
ACTIONS = {"create_function": "lambda:CreateFunction",
           "update_function_configuration": "lambda:UpdateFunctionConfiguration"}

TRUST_RULE = ("Lambda assumes the execution role as the service principal "
              f"{LAMBDA_SERVICE}: the role must exist in the function's account and its trust "
              f"policy must allow that principal {ASSUME_ROLE}; an explicit Deny wins.")
CREATE_RULE = ("lambda:CreateFunction is decided by the caller's identity-based policies (a "
               "function that does not exist yet has no resource-based policy); an explicit Deny "
               "wins.")
PASS_RULE = (f"{PASS_ROLE} is granted only by the caller's identity-based policies (the role's "
             "trust policy does not grant it); the request carries iam:PassedToService = "
             f"{LAMBDA_SERVICE}; an explicit Deny wins.")


def check_role_format(role: Any) -> str:
    """``role`` if it is a role ARN by Lambda's pattern; AWS's ValidationException if not."""
    if role is None:
        raise ValidationException("1 validation error detected: Value null at 'role' failed to "
                                  "satisfy constraint: Member must not be null")
    if not isinstance(role, str) or not re.fullmatch(ROLE_PATTERN, role):
        raise ValidationException(
            f"1 validation error detected: Value '{role}' at 'role' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {ROLE_PATTERN}")
    return role


def _trust_policy(role_arn: str) -> tuple[str, dict[str, Any]] | None:
    """(role name, trust policy document) of the role ``role_arn``; None if there is none."""
    from moto.iam.exceptions import NotFoundException
    from moto.iam.models import iam_backends

    account = role_arn.split(":")[4]
    try:
        role = iam_backends[account][PARTITION].get_role_by_arn(role_arn)
    except NotFoundException:
        return None
    document = role.assume_role_policy_document
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            document = {}
    return role.name, document if isinstance(document, dict) else {}


def explain_role(role_arn: str, account: str | None = None) -> Decision:
    """Can Lambda assume ``role_arn`` (exists, trust policy allows lambda.amazonaws.com)?

    Returns a :class:`~lambdakit.permissions.Decision` for ``sts:AssumeRole`` by the
    Lambda service principal; nothing is created or changed. The request carries
    ``aws:SourceAccount`` = ``account`` (the function's account; default: the
    role's), so the usual confused-deputy condition on it works; ``aws:SourceArn``
    is not sent.
    """
    caller = service(LAMBDA_SERVICE)

    def make(allowed: bool, reason: str, deciding: list[StatementResult],
             results: list[StatementResult]) -> Decision:
        return Decision(allowed, caller, ASSUME_ROLE, role_arn, reason, deciding, results,
                        None if allowed else CANNOT_ASSUME,
                        error="InvalidParameterValueException", note=TRUST_RULE)

    found = _trust_policy(role_arn)
    if found is None:
        return make(False, f"No role {role_arn} exists in account {role_arn.split(':')[4]}.",
                    [], [])
    name, document = found
    source = PolicySource(RESOURCE, f"trust policy of role {name}")
    context = request_context(caller, source_account=account or role_arn.split(":")[4])
    results = []
    body = document.get("Statement", [])
    for statement in body if isinstance(body, list) else [body]:
        if isinstance(statement, dict):
            result = evaluate(statement, source, ASSUME_ROLE, role_arn, context, caller)
            if result is not None:
                results.append(result)
    applying = [r for r in results if r.applies]
    denies = [r for r in applying if r.effect == "Deny"]
    if denies:
        return make(False, "An explicit Deny in the trust policy applies to Lambda.", denies,
                    results)
    allows = [r for r in applying if r.effect == "Allow"]
    if allows:
        return make(True, f"The trust policy allows {LAMBDA_SERVICE} to assume the role.",
                    allows, results)
    return make(False, f"No statement of the trust policy allows {LAMBDA_SERVICE} "
                       f"{ASSUME_ROLE} (implicit deny).", [], results)


def check_execution_role(role: Any, account: str) -> None:
    """Raise Lambda's error unless a function in ``account`` may use ``role``."""
    role_arn = check_role_format(role)
    if role_arn.split(":")[4] != account:
        raise AccessDeniedException(CROSS_ACCOUNT)
    decision = explain_role(role_arn, account)
    if not decision.allowed:
        record_denial(decision)
        log.info("execution role refused\n%s", decision)
        raise InvalidParameterValueException(CANNOT_ASSUME)


def decide_pass_role(caller: Caller, role_arn: str, to_service: str = LAMBDA_SERVICE) -> Decision:
    """May ``caller`` pass ``role_arn`` to ``to_service``? Identity-based policies decide."""
    results: list[StatementResult] = []

    def make(allowed: bool, reason: str, deciding: list[StatementResult],
             message: str | None = None) -> Decision:
        return Decision(allowed, caller, PASS_ROLE, role_arn, reason, deciding, results, message,
                        note=PASS_RULE)

    if caller.kind == "root":
        results.append(StatementResult(
            PolicySource(IDENTITY, f"root user of account {caller.account}"), {"Effect": "Allow"},
            True, text=f"the root user of account {caller.account} may pass any role of its "
                       "account (identity-based)"))
        return make(True, "The account's root user needs no policy.", results)
    context = request_context(caller)
    context["iam:passedtoservice"] = [to_service]
    for source, document in identity_policies(caller):
        body = document.get("Statement", [])
        for statement in body if isinstance(body, list) else [body]:
            result = evaluate(statement, source, PASS_ROLE, role_arn, context, caller)
            if result is not None:
                results.append(result)
    applying = [r for r in results if r.applies]
    denies = [r for r in applying if r.effect == "Deny"]
    if denies:
        return make(False, "An explicit Deny applies; it overrides every Allow.", denies,
                    denied_message(caller, role_arn, IDENTITY, True, PASS_ROLE))
    allows = [r for r in applying if r.effect == "Allow"]
    if allows:
        return make(True, f"An identity-based statement allows passing the role to {to_service}.",
                    allows)
    return make(False, "No identity-based statement allows it (implicit deny).", [],
                denied_message(caller, role_arn, IDENTITY, False, PASS_ROLE))


def explain_pass_role(role_arn: str, *, access_key: str | None = None,
                      session_token: str | None = None,
                      to_service: str = LAMBDA_SERVICE) -> Decision:
    """May the holder of ``access_key`` (default: the administrator) pass ``role_arn``?

    >>> explain_pass_role(role, access_key=alice_key).allowed          # doctest: +SKIP
    False
    """
    caller = caller_for_key(access_key or ACCESS_KEY, session_token)
    return decide_pass_role(caller, check_role_format(role_arn), to_service)


def _refuse(decision: Decision) -> None:
    record_denial(decision)
    log.info("%s denied\n%s", decision.action, decision)
    raise AccessDeniedException(decision.message or "")


def _authorize(caller: Caller, action: str, function_name: Any, role: Any, account: str,
               region: str) -> None:
    from .invoke_api import function_ref

    if role is not None or action == ACTIONS["create_function"]:
        check_role_format(role)
    if caller.kind == "root" or not isinstance(function_name, str):
        return
    ref = function_ref(function_name, None, account, region)
    statements: list[dict[str, Any]] = []
    if action != ACTIONS["create_function"]:
        statements = function_statements(ref.account, ref.region, ref.name)[1]
    decision = decide(caller, ref.base_arn, exists=True, statements=statements, action=action)
    if action == ACTIONS["create_function"]:
        decision.note = CREATE_RULE
    if not decision.allowed:
        _refuse(decision)
    if role is not None:
        decision = decide_pass_role(caller, role)
        if not decision.allowed:
            _refuse(decision)


def authorize_request(response: Any, operation: str) -> None:
    """Check one CreateFunction / UpdateFunctionConfiguration request moto is handling.

    ``response`` is moto's ``LambdaResponse`` (request headers, path, account and
    region); ``operation`` its method name. Raises the refusal in moto's error form.
    """
    try:
        body = json.loads(response.body or "{}")
    except ValueError:
        return  # moto answers malformed JSON itself
    if not isinstance(body, dict):
        return
    try:
        caller, _ = caller_from_headers(response.headers, response.parsed_url.query)
        if operation == "create_function":
            name, role = body.get("FunctionName"), body.get("Role")
        else:
            name, role = unquote(response.path.rsplit("/", 2)[-2]), body.get("Role")
        _authorize(caller, ACTIONS[operation], name, role, response.current_account,
                   response.region)
    except LambdaError as error:
        raise as_moto(error) from None
