"""Function policies in moto (AddPermission, RemovePermission, GetPolicy), scoped as in Lambda.

Lambda keeps one resource-based policy per function, per version and per alias;
moto keeps one list of statements shared by all of them and marks a
statement's scope in its ``Resource`` (``function:f`` or ``function:f:PROD``).
:func:`patch` makes the three operations respect that scope:

* AddPermission: a ``StatementId`` already used in the same policy is
  ResourceConflictException; ``Qualifier=$LATEST`` is refused as Lambda refuses
  it; a qualifier given in the function name (``f:PROD``) counts.
* RemovePermission: honours ``Qualifier`` and ``RevisionId``.
* GetPolicy: returns only the statements of the policy asked for.

:func:`patch` also makes AWS managed policies (``arn:aws:iam::aws:policy/...``,
such as ``service-role/AWSLambdaBasicExecutionRole``) attachable and readable
in IAM: moto ships their documents (``moto/iam/aws_managed_policies.py``) but
loads them only with ``MOTO_IAM_LOAD_MANAGED_POLICIES`` (all ~1500, in every
account). Here a policy is loaded into an account the first time it is named.
"""
from __future__ import annotations

import functools
import json
import uuid
from typing import Any, Iterator

_patched = False
AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


@functools.lru_cache(maxsize=1)
def _aws_policy_data() -> dict[str, Any]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return json.loads(aws_managed_policies_data)


def ensure_aws_managed_policy(backend: Any, policy_arn: Any) -> None:
    """Load AWS managed policy ``policy_arn`` into moto's IAM ``backend`` if it is one."""
    if not isinstance(policy_arn, str) or not policy_arn.startswith(AWS_POLICY_PREFIX):
        return
    if policy_arn in backend.managed_policies:
        return
    name = policy_arn.rsplit("/", 1)[-1]
    data = _aws_policy_data().get(name)
    if data is None or f"{AWS_POLICY_PREFIX}{data.get('Path', '/')[1:]}{name}" != policy_arn:
        return
    from moto.iam.models import AWSManagedPolicy

    policy = AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
    backend.managed_policies.setdefault(policy.arn, policy)


def _patch_aws_managed_policies() -> None:
    from moto.iam.models import IAMBackend

    def loading(method: Any) -> Any:
        @functools.wraps(method)
        def wrapper(self: Any, policy_arn: str, *args: Any, **kwargs: Any) -> Any:
            ensure_aws_managed_policy(self, policy_arn)
            return method(self, policy_arn, *args, **kwargs)
        return wrapper

    for name in ("attach_role_policy", "attach_user_policy", "attach_group_policy",
                 "get_policy", "get_policy_version", "list_entities_for_policy"):
        if hasattr(IAMBackend, name):
            setattr(IAMBackend, name, loading(getattr(IAMBackend, name)))


def _split(function_name: str, qualifier: str | None) -> tuple[str, str | None]:
    from .invoke_api import _FUNCTION_ARN

    match = _FUNCTION_ARN.match(function_name)
    if not match:
        return function_name, qualifier
    return match["name"], match["qualifier"] or qualifier


def _policies(backend: Any, name: str) -> Iterator[Any]:
    group = backend._lambdas._functions.get(name) or {}
    seen: set[int] = set()
    for fn in [group.get("latest"), *group.get("versions", [])]:
        policy = getattr(fn, "policy", None)
        if policy is not None and id(policy) not in seen:
            seen.add(id(policy))
            yield policy


def _scope(backend: Any, name: str, qualifier: str | None) -> str:
    """The ``Resource`` of statements in the policy of ``name`` (+ ``qualifier``); 404 if none."""
    backend.get_function(name, qualifier)
    base = backend.get_function(name).function_arn
    return f"{base}:{qualifier}" if qualifier else base


def _principal(value: Any) -> Any:
    """AddPermission's ``Principal`` as Lambda writes it into the policy."""
    if isinstance(value, str) and value != "*":
        if value.isdigit() and len(value) == 12:
            return {"AWS": f"arn:aws:iam::{value}:root"}
        return {"Service": value} if value.endswith(".amazonaws.com") else {"AWS": value}
    return value


def patch() -> None:
    """Install the scoped policy operations into moto (once per process)."""
    global _patched
    if _patched:
        return
    _patched = True
    _patch_aws_managed_policies()
    from moto.awslambda import exceptions, models, responses

    class ResourceConflict(exceptions.LambdaClientError):
        code = 409

        def __init__(self, message: str):
            super().__init__("ResourceConflictException", message)

    backend_cls = models.LambdaBackend

    @functools.wraps(backend_cls.add_permission)
    def add_permission(self: Any, function_name: str, qualifier: str | None, raw: str) -> Any:
        name, qualifier = _split(function_name, qualifier)
        if qualifier == "$LATEST":
            raise exceptions.InvalidParameterValueException(
                "We currently do not support adding policies for $LATEST.")
        scope = _scope(self, name, qualifier)
        sid = json.loads(raw).get("StatementId")
        for policy in _policies(self, name):
            if any(s.get("Sid") == sid and s.get("Resource") == scope for s in policy.statements):
                raise ResourceConflict(
                    f"The statement id ({sid}) provided already exists. Please provide a new "
                    "statement id, or remove the existing statement.")
        statement, _ = self.get_function(name, qualifier).policy.add_statement(raw, qualifier)
        statement["Principal"] = _principal(statement.get("Principal"))
        return statement

    def remove_permission(self: Any, function_name: str, sid: str, revision: str = "",
                          qualifier: str | None = None) -> None:
        name, qualifier = _split(function_name, qualifier)
        scope = _scope(self, name, qualifier)
        for policy in _policies(self, name):
            for statement in list(policy.statements):
                if statement.get("Sid") == sid and statement.get("Resource") == scope:
                    if revision and revision != policy.revision:
                        raise exceptions.PreconditionFailedException(
                            "The RevisionId provided does not match the latest RevisionId for the "
                            "Lambda function or alias. Call the GetFunction or the GetAlias API to "
                            "retrieve the latest RevisionId for your resource.")
                    policy.statements.remove(statement)
                    policy.revision = str(uuid.uuid4())
                    return
        raise exceptions.UnknownPolicyException()

    def get_policy(self: Any, function_name: str, qualifier: str | None = None) -> str:
        name, qualifier = _split(function_name, qualifier)
        scope = _scope(self, name, qualifier)
        statements = [s for policy in _policies(self, name) for s in policy.statements
                      if s.get("Resource") == scope]
        if not statements:
            raise exceptions.GenericResourcNotFound()
        document = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        revision = self.get_function(name, qualifier).policy.revision
        return json.dumps({"Policy": json.dumps(document), "RevisionId": revision})

    def remove_permission_response(self: Any) -> Any:
        from urllib.parse import unquote

        function_name = unquote(self.path.split("/")[-3])
        statement_id = self.path.split("/")[-1].split("?")[0]
        revision = (self.querystring.get("RevisionId") or [""])[0]
        qualifier = (self.querystring.get("Qualifier") or [None])[0]
        self.backend.remove_permission(function_name, statement_id, revision, qualifier)
        return 204, {"status": 204}, "{}"

    backend_cls.add_permission = add_permission
    backend_cls.remove_permission = remove_permission
    backend_cls.get_policy = get_policy
    responses.LambdaResponse.remove_permission = remove_permission_response
