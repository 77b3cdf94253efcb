"""Build one policy statement, apply it, and try the call: who may invoke a function (lesson 03).

A :class:`Grant` is five choices: who gets access (an IAM user of this account,
an IAM user of the second account, or Amazon S3), where the grant is written
(the principal's identity-based policy, or the function's resource-based
policy), which action, on which resource, and an optional condition on the
request's source. A :class:`PolicyLab` turns grants into real IAM and
AddPermission calls against the kit, tries a real Invoke as the principal, and
takes everything back again:

>>> from lambdakit.course.policy_builder import Grant, PolicyLab      # doctest: +SKIP
>>> lab = PolicyLab("orders")                                          # doctest: +SKIP
>>> lab.statement(Grant("user", "resource"))                           # doctest: +SKIP
{'Sid': 'builder-3f1c-1', 'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::...:user/...'}, ...}
>>> lab.apply(Grant("user", "resource"))                               # doctest: +SKIP
>>> print(lab.try_invoke("user"))                                      # doctest: +SKIP
ALLOWED: Invoke answered 200 ...
>>> lab.reset()                                                        # doctest: +SKIP

:func:`policy_builder` puts the same steps behind drop-downs and three buttons.
"""
from __future__ import annotations

import dataclasses
import html
import json
import uuid
from typing import Any

__all__ = ["Grant", "Attempt", "PolicyLab", "PolicyBuilder", "policy_builder",
           "PRINCIPALS", "PLACES", "ACTIONS", "RESOURCES", "CONDITIONS", "SOURCES",
           "SERVICE", "SOURCE_BUCKET"]

#: the AWS service the lab lets invoke the function
SERVICE = "s3.amazonaws.com"
#: the bucket whose events the function is meant to handle (in the kit's account)
SOURCE_BUCKET = "arn:aws:s3:::lesson-uploads"
#: someone else's bucket, in another account: the confused deputy's request
OTHER_BUCKET = "arn:aws:s3:::someone-elses-bucket"

PRINCIPALS = {"user": "an IAM user in this account",
              "other-account": "an IAM user in the second account",
              "service": f"Amazon S3 ({SERVICE})"}
PLACES = {"identity": "the principal's identity-based policy",
          "resource": "the function's resource-based policy (AddPermission)"}
ACTIONS = ("lambda:InvokeFunction", "lambda:GetFunction", "lambda:*")
RESOURCES = {"function": "the function ARN", "alias": "the alias ARN", "*": '"*" (everything)'}
CONDITIONS = {None: "no condition", "aws:SourceArn": "aws:SourceArn is the uploads bucket",
              "aws:SourceAccount": "aws:SourceAccount is this account"}
#: where a service's request comes from, for :meth:`PolicyLab.try_invoke`
SOURCES = {"own-bucket": "the uploads bucket in this account",
           "other-bucket": "someone else's bucket in another account"}


def _check(value: Any, allowed: Any, what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class Grant:
    """One Allow statement, described by the five choices of the policy builder.

    principal: ``"user"`` (IAM user in this account), ``"other-account"`` (IAM user
        in the second account) or ``"service"`` (Amazon S3).
    place: ``"identity"`` (an inline policy of the user) or ``"resource"`` (the
        function's resource-based policy, written with AddPermission).
    action: ``"lambda:InvokeFunction"``, ``"lambda:GetFunction"`` or ``"lambda:*"``.
    resource: ``"function"`` (the unqualified function ARN), ``"alias"`` (the alias
        ARN) or ``"*"``.
    condition: ``None``, ``"aws:SourceArn"`` or ``"aws:SourceAccount"``.

    Combinations AWS does not offer raise ``ValueError`` with the reason:

    >>> Grant("service", "identity")
    Traceback (most recent call last):
    ...
    ValueError: An AWS service has no identity-based policy in your account: grant s3.amazonaws.com access in the function's resource-based policy.
    """

    principal: str = "user"
    place: str = "identity"
    action: str = "lambda:InvokeFunction"
    resource: str = "function"
    condition: str | None = None

    def __post_init__(self) -> None:
        _check(self.principal, PRINCIPALS, "principal")
        _check(self.place, PLACES, "place")
        _check(self.action, ACTIONS, "action")
        _check(self.resource, RESOURCES, "resource")
        _check(self.condition, CONDITIONS, "condition")
        if self.principal == "service" and self.place == "identity":
            raise ValueError("An AWS service has no identity-based policy in your account: grant "
                             f"{SERVICE} access in the function's resource-based policy.")
        if self.place == "resource" and self.resource == "*":
            raise ValueError('A resource-based policy is attached to one function (or one of its '
                             'versions or aliases) and covers only that: its Resource cannot be '
                             '"*". Choose the function ARN or the alias ARN.')


@dataclasses.dataclass
class Attempt:
    """The result of :meth:`PolicyLab.try_invoke`: what happened, and the kit's explanation.

    allowed: whether the invocation was (or, for a service, would be) allowed.
    outcome: one line: the status code, or AWS's error code and message.
    decision: the :class:`lambdakit.permissions.Decision` (prints as the explanation).
    sent: ``True`` if a real Invoke was sent; ``False`` for a service, which is only
        explained (S3 itself would send the request).
    """

    principal: str
    target: str
    allowed: bool
    outcome: str
    decision: Any
    sent: bool = True

    def __str__(self) -> str:
        verdict = "ALLOWED" if self.allowed else "DENIED"
        return f"{verdict}: {self.outcome}\n\n{self.decision}"

    def _repr_html_(self) -> str:
        color = "#1a7f37" if self.allowed else "#cf222e"
        return (f"<p><b style='color:{color}'>{html.escape(self.outcome)}</b></p>"
                f"{self.decision._repr_html_()}")


@dataclasses.dataclass
class _Applied:
    grant: Grant
    sid: str
    statement: dict[str, Any]


class PolicyLab:
    """Grants on one function, applied for real, tried as the principal, and taken back.

    function_name: an existing function of the kit's account.
    alias: the alias the lab uses for "the alias ARN"; created (on a new
        version) if the function does not have it yet.
    kit: the running kit (default: :func:`lambdakit.start`).

    The IAM users the lab needs (one in this account, one in the second account)
    are created the first time they are used, each with an access key. Every
    statement the lab writes has a Sid starting with ``builder-`` and the lab's
    own id, so :meth:`reset` removes exactly what it added; a new lab first
    removes the resource-based statements earlier labs left on the function.
    """

    def __init__(self, function_name: str, alias: str = "live", kit: Any = None):
        import lambdakit

        self.kit = kit or lambdakit.start()
        self.function_name = function_name
        self.alias = alias
        self.id = uuid.uuid4().hex[:4]
        self.applied: list[_Applied] = []
        self._users: dict[str, dict[str, Any]] = {}
        self._count = 0
        lam = self.kit.client("lambda")
        self.function_arn = lam.get_function_configuration(
            FunctionName=function_name)["FunctionArn"]
        try:
            lam.get_alias(FunctionName=function_name, Name=alias)
        except lam.exceptions.ResourceNotFoundException:
            version = lam.publish_version(FunctionName=function_name)["Version"]
            lam.create_alias(FunctionName=function_name, Name=alias, FunctionVersion=version)
        self._remove_leftovers(lam)

    def _remove_leftovers(self, lam: Any) -> None:
        """Remove resource-based statements an earlier lab left (a re-run cell starts clean)."""
        for qualifier in (None, self.alias):
            extra = {"Qualifier": qualifier} if qualifier else {}
            try:
                policy = json.loads(lam.get_policy(FunctionName=self.function_name,
                                                   **extra)["Policy"])
            except lam.exceptions.ResourceNotFoundException:
                continue
            for statement in policy.get("Statement", []):
                if str(statement.get("Sid", "")).startswith("builder-"):
                    lam.remove_permission(FunctionName=self.function_name,
                                          StatementId=statement["Sid"], **extra)

    # -- the choices, made concrete ----------------------------------------------------------
    def arn(self, resource: str) -> str:
        """The ARN the choice ``resource`` stands for: ``"function"``, ``"alias"`` or ``"*"``."""
        _check(resource, RESOURCES, "resource")
        return {"function": self.function_arn, "alias": f"{self.function_arn}:{self.alias}",
                "*": "*"}[resource]

    def _account(self, principal: str) -> str:
        return self.kit.other_account_id if principal == "other-account" else self.kit.account_id

    def _user(self, principal: str) -> dict[str, Any]:
        """The IAM user standing for ``principal`` (created with an access key on first use)."""
        if principal not in self._users:
            iam = self.kit.client("iam", account_id=self._account(principal))
            name = f"builder-{self.id}-{'partner' if principal == 'other-account' else 'alice'}"
            arn = iam.create_user(UserName=name)["User"]["Arn"]
            key = iam.create_access_key(UserName=name)["AccessKey"]
            session = self.kit.session(key["AccessKeyId"], key["SecretAccessKey"])
            self._users[principal] = {"name": name, "arn": arn, "iam": iam, "session": session}
        return self._users[principal]

    def principal_arn(self, principal: str) -> str:
        """Who ``principal`` is, as a policy names it: a user ARN, or the service principal."""
        _check(principal, PRINCIPALS, "principal")
        return SERVICE if principal == "service" else self._user(principal)["arn"]

    def session(self, principal: str) -> Any:
        """The boto3 session of the IAM user behind ``"user"`` or ``"other-account"``."""
        if principal == "service":
            raise ValueError(f"{SERVICE} has no session of yours: ask the kit with try_invoke")
        _check(principal, PRINCIPALS, "principal")
        return self._user(principal)["session"]

    def _condition(self, grant: Grant, key_case: str) -> dict[str, Any] | None:
        if grant.condition == "aws:SourceArn":
            return {"ArnLike": {f"{key_case}:SourceArn": SOURCE_BUCKET}}
        if grant.condition == "aws:SourceAccount":
            return {"StringEquals": {f"{key_case}:SourceAccount": self.kit.account_id}}
        return None

    def statement(self, grant: Grant, sid: str | None = None) -> dict[str, Any]:
        """The JSON statement ``grant`` stands for, as IAM or Lambda would store it.

        An identity-based statement has no ``Principal`` (it belongs to the user it is
        attached to); a resource-based one names the principal, and Lambda writes the
        conditions of AddPermission as ``ArnLike AWS:SourceArn`` / ``StringEquals
        AWS:SourceAccount``.
        """
        sid = sid or f"builder-{self.id}-{self._count + 1}"
        body: dict[str, Any] = {"Sid": sid, "Effect": "Allow"}
        if grant.place == "resource":
            who = self.principal_arn(grant.principal)
            body["Principal"] = {"Service": who} if grant.principal == "service" else {"AWS": who}
        body.update(Action=grant.action, Resource=self.arn(grant.resource))
        condition = self._condition(grant, "AWS" if grant.place == "resource" else "aws")
        if condition:
            body["Condition"] = condition
        return body

    # -- apply, try, reset -------------------------------------------------------------------
    def apply(self, grant: Grant) -> dict[str, Any]:
        """Write ``grant`` for real; return the statement written.

        Identity-based: an inline policy (named after the Sid) on the IAM user, in that
        user's account. Resource-based: AddPermission on the function, or on the alias
        (``Qualifier``), with ``SourceArn`` / ``SourceAccount`` for the condition.
        """
        self._count += 1
        statement = self.statement(grant, f"builder-{self.id}-{self._count}")
        if grant.place == "identity":
            user = self._user(grant.principal)
            user["iam"].put_user_policy(
                UserName=user["name"], PolicyName=statement["Sid"],
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
        else:
            extra: dict[str, str] = {}
            if grant.resource == "alias":
                extra["Qualifier"] = self.alias
            if grant.condition == "aws:SourceArn":
                extra["SourceArn"] = SOURCE_BUCKET
            elif grant.condition == "aws:SourceAccount":
                extra["SourceAccount"] = self.kit.account_id
            self.kit.client("lambda").add_permission(
                FunctionName=self.function_name, StatementId=statement["Sid"],
                Principal=self.principal_arn(grant.principal), Action=grant.action, **extra)
        self.applied.append(_Applied(grant, statement["Sid"], statement))
        return statement

    def try_invoke(self, principal: str, target: str = "function",
                   source: str = "own-bucket") -> Attempt:
        """Invoke the function (or its alias, ``target="alias"``) as ``principal``.

        An IAM user sends a real Invoke with its own access key; the outcome is the
        status code or AWS's AccessDeniedException. For ``"service"`` the builder creates no
        buckets (lesson 03 does that with real S3 notifications): the kit explains what
        Lambda would decide for a request from ``source`` (``"own-bucket"`` or
        ``"other-bucket"``), with its aws:SourceArn and aws:SourceAccount. Either way the attempt carries the kit's
        explanation of the decision.
        """
        _check(principal, PRINCIPALS, "principal")
        _check(target, ("function", "alias"), "target")
        _check(source, SOURCES, "source")
        qualifier = self.alias if target == "alias" else None
        if principal == "service":
            bucket, account = ((SOURCE_BUCKET, self.kit.account_id) if source == "own-bucket"
                               else (OTHER_BUCKET, self.kit.other_account_id))
            decision = self.kit.explain_invoke(self.function_name, qualifier, principal=SERVICE,
                                               source_arn=bucket, source_account=account)
            outcome = (f"{SERVICE} invoking for {bucket} (account {account}) would be "
                       f"{'allowed' if decision.allowed else 'denied'} (explained, not sent)")
            return Attempt(principal, target, decision.allowed, outcome, decision, sent=False)
        from botocore.exceptions import ClientError

        session = self.session(principal)
        lam = session.client("lambda", endpoint_url=self.kit.url)
        name = self.function_arn  # an ARN: a user of the second account needs the full ARN
        try:
            kwargs = {"Qualifier": qualifier} if qualifier else {}
            response = lam.invoke(FunctionName=name, **kwargs)
            response["Payload"].read()
            allowed, outcome = True, f"Invoke answered {response['StatusCode']}"
        except ClientError as error:
            if error.response["Error"]["Code"] != "AccessDeniedException":
                raise
            allowed = False
            outcome = f"AccessDeniedException: {error.response['Error']['Message']}"
        decision = self.kit.explain_invoke(name, qualifier, session=session)
        return Attempt(principal, target, allowed, outcome, decision)

    def reset(self) -> int:
        """Remove every statement this lab applied; return how many were removed."""
        lam = self.kit.client("lambda")
        removed = 0
        for item in reversed(self.applied):
            if item.grant.place == "identity":
                user = self._user(item.grant.principal)
                user["iam"].delete_user_policy(UserName=user["name"], PolicyName=item.sid)
            else:
                extra = {"Qualifier": self.alias} if item.grant.resource == "alias" else {}
                lam.remove_permission(FunctionName=self.function_name, StatementId=item.sid,
                                      **extra)
            removed += 1
        self.applied.clear()
        return removed


class PolicyBuilder:
    """Drop-downs for a :class:`Grant`, its JSON, and Apply / Try the call / Reset buttons.

    Made by :func:`policy_builder`; displays itself in Jupyter. All the work is done
    by ``lab`` (a :class:`PolicyLab`); the buttons call :meth:`apply`, :meth:`try_call`
    and :meth:`reset`, which you can also call yourself.
    """

    def __init__(self, lab: PolicyLab):
        import ipywidgets as w

        self.lab = lab
        self.last: Attempt | None = None
        style = {"description_width": "150px"}

        def dropdown(description: str, options: Any, value: Any) -> Any:
            pairs = [(label, key) for key, label in options.items()] if isinstance(
                options, dict) else [(option, option) for option in options]
            return w.Dropdown(options=pairs, value=value, description=description, style=style,
                              layout=w.Layout(width="560px"))  # one Layout each: hidden alone

        self.principal = dropdown("who", PRINCIPALS, "user")
        self.place = dropdown("grant goes into", PLACES, "identity")
        self.action = dropdown("action", ACTIONS, "lambda:InvokeFunction")
        self.resource = dropdown("resource", RESOURCES, "function")
        self.condition = dropdown("condition", CONDITIONS, None)
        self.target = dropdown("try: invoke", {"function": "the function",
                                               "alias": f"the alias {lab.alias}"}, "function")
        self.source = dropdown("try: S3 event from", SOURCES, "own-bucket")
        self.json = w.HTML()
        self.applied = w.HTML()
        self.apply_button = w.Button(description="Apply", button_style="primary", icon="check")
        self.try_button = w.Button(description="Try the call", icon="play")
        self.reset_button = w.Button(description="Reset", icon="undo")
        self.output = w.Output()
        self.apply_button.on_click(lambda _b: self.apply())
        self.try_button.on_click(lambda _b: self.try_call())
        self.reset_button.on_click(lambda _b: self.reset())
        for control in (self.principal, self.place, self.action, self.resource, self.condition):
            control.observe(lambda _change: self.refresh(), names="value")
        self.widget = w.VBox([
            self.principal, self.place, self.action, self.resource, self.condition, self.json,
            w.HBox([self.apply_button, self.reset_button]), self.applied,
            self.target, self.source, self.try_button, self.output])
        self.refresh()

    def grant(self) -> Grant:
        """The :class:`Grant` the drop-downs describe (``ValueError`` if AWS has no such thing)."""
        return Grant(self.principal.value, self.place.value, self.action.value,
                     self.resource.value, self.condition.value)

    def refresh(self) -> None:
        """Show the statement for the current choices, or why there is none."""
        try:
            text = json.dumps(self.lab.statement(self.grant()), indent=2)
            self.json.value = f"<pre>{html.escape(text)}</pre>"
            self.apply_button.disabled = False
        except ValueError as error:
            self.json.value = f"<p style='color:#cf222e'>{html.escape(str(error))}</p>"
            self.apply_button.disabled = True
        self.source.layout.display = None if self.principal.value == "service" else "none"
        lines = [f"<code>{html.escape(a.sid)}</code>: {html.escape(PLACES[a.grant.place])}"
                 for a in self.lab.applied]
        self.applied.value = ("<b>applied:</b><br>" + "<br>".join(lines)) if lines else \
            "<i>nothing applied yet</i>"

    def apply(self) -> dict[str, Any]:
        """Apply the current choices (what the Apply button does)."""
        statement = self.lab.apply(self.grant())
        self.refresh()
        return statement

    def try_call(self) -> Attempt:
        """Invoke as the chosen principal and show the decision (the Try button)."""
        from IPython.display import display

        self.last = self.lab.try_invoke(self.principal.value, self.target.value,
                                        self.source.value)
        self.output.clear_output(wait=True)
        with self.output:
            display(self.last)
        return self.last

    def reset(self) -> int:
        """Remove every applied statement (the Reset button)."""
        removed = self.lab.reset()
        self.output.clear_output()
        self.refresh()
        return removed

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)


def policy_builder(function_name: str, alias: str = "live") -> PolicyBuilder:
    """A policy builder for ``function_name``: choose a grant, see its JSON, Apply, Try, Reset.

    function_name: an existing function of the kit's account.
    alias: the alias used for "the alias ARN" (created if missing).

    >>> policy_builder("orders")          # doctest: +SKIP
    """
    return PolicyBuilder(PolicyLab(function_name, alias))
