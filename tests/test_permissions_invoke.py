"""Who may invoke a function, within one account: real boto3 calls through the endpoint."""
from __future__ import annotations

import json
import logging
import uuid

import pytest
from botocore.exceptions import ClientError

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
ACCOUNT = "123456789012"


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def fn_arn(name, qualifier=None):
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def denied(call):
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    return response["Error"]["Code"], response["Error"]["Message"]


def not_authorized(caller, resource, context):
    return (f"User: {caller} is not authorized to perform: lambda:InvokeFunction on resource: "
            f"{resource} {context}")


NO_IDENTITY = "because no identity-based policy allows the lambda:InvokeFunction action"
NO_RESOURCE = "because no resource-based policy allows the lambda:InvokeFunction action"
IDENTITY_DENY = "with an explicit deny in an identity-based policy"
RESOURCE_DENY = "with an explicit deny in a resource-based policy"


def invoke_policy(resource, effect="Allow", sid="Invoke"):
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": sid, "Effect": effect, "Action": "lambda:InvokeFunction", "Resource": resource}]})


class User:
    """An IAM user of the kit's account, with its own boto3 session."""

    def __init__(self, kit, iam=None):
        self.kit, self.iam = kit, iam or kit.client("iam")
        self.name = unique("user")
        self.arn = self.iam.create_user(UserName=self.name)["User"]["Arn"]
        key = self.iam.create_access_key(UserName=self.name)["AccessKey"]
        self.key = key["AccessKeyId"]
        self.session = kit.session(key["AccessKeyId"], key["SecretAccessKey"])
        self.lam = self.session.client("lambda", endpoint_url=kit.url)

    def allow(self, resource, name="invoke", effect="Allow", sid="Invoke"):
        self.iam.put_user_policy(UserName=self.name, PolicyName=name,
                                 PolicyDocument=invoke_policy(resource, effect, sid))
        return self


@pytest.fixture
def kit(deploy):
    return deploy.session


@pytest.fixture
def orders(deploy):
    return deploy.create(HANDLER, name=unique("orders"))


def test_user_without_policies_is_denied_with_awss_message(deploy, kit, orders):
    alice = User(kit)
    with pytest.raises(ClientError) as info:
        alice.lam.invoke(FunctionName=orders)
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Error"]["Code"] == "AccessDeniedException"
    assert error["Error"]["Message"] == not_authorized(alice.arn, fn_arn(orders), NO_IDENTITY)
    decision = kit.explain_last_denial()
    assert decision.request_id == error["ResponseMetadata"]["RequestId"]
    assert not decision.allowed and decision.deciding == []
    assert "implicit deny" in str(decision) and decision.message == error["Error"]["Message"]


def test_identity_policy_allows(deploy, kit, orders):
    alice = User(kit).allow(fn_arn(orders), sid="InvokeOrders")
    response = alice.lam.invoke(FunctionName=orders)
    assert response["StatusCode"] == 200 and json.load(response["Payload"]) == {"ok": True}
    decision = kit.explain_invoke(orders, session=alice.session)
    assert decision.allowed
    [why] = decision.deciding
    assert (why.sid, why.source.kind) == ("InvokeOrders", "identity-based")
    assert why.source.label == f'inline policy "invoke" of user {alice.name}'
    assert f'Allow statement "InvokeOrders" in inline policy "invoke" of user {alice.name}' in str(decision)


def test_managed_policy_through_a_group_allows(kit, orders):
    iam = kit.client("iam")
    alice, group = User(kit), unique("group")
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=alice.name)
    policy = iam.create_policy(PolicyName=unique("invokers"),
                               PolicyDocument=invoke_policy("arn:aws:lambda:*:*:function:orders-*"))
    iam.attach_group_policy(GroupName=group, PolicyArn=policy["Policy"]["Arn"])
    assert alice.lam.invoke(FunctionName=orders, InvocationType="DryRun")["StatusCode"] == 204
    [why] = kit.explain_invoke(orders, session=alice.session).deciding
    assert why.source.label == f"managed policy {policy['Policy']['Arn']} attached to group {group}"


def test_resource_policy_alone_allows_a_user_of_the_account(deploy, kit, orders):
    alice = User(kit)
    deploy.lam.add_permission(FunctionName=orders, StatementId="alice", Principal=alice.arn,
                              Action="lambda:InvokeFunction")
    assert alice.lam.invoke(FunctionName=orders)["StatusCode"] == 200
    [why] = kit.explain_invoke(orders, session=alice.session).deciding
    assert (why.sid, why.source.kind) == ("alice", "resource-based")
    assert why.source.label == f"resource-based policy of function {orders}"


def test_naming_the_own_account_delegates_to_identity_policies(deploy, kit, orders):
    alice = User(kit)
    deploy.lam.add_permission(FunctionName=orders, StatementId="account", Principal=ACCOUNT,
                              Action="lambda:InvokeFunction")
    code, message = denied(lambda: alice.lam.invoke(FunctionName=orders))
    assert message == not_authorized(alice.arn, fn_arn(orders), NO_IDENTITY)
    assert "delegates to the account's identity-based policies" in kit.explain_last_denial().reason
    alice.allow(fn_arn(orders))
    assert alice.lam.invoke(FunctionName=orders)["StatusCode"] == 200


def test_explicit_deny_in_identity_policy_beats_resource_allow(deploy, kit, orders):
    alice = User(kit).allow("*", effect="Deny", sid="NoLambda")
    deploy.lam.add_permission(FunctionName=orders, StatementId="alice", Principal=alice.arn,
                              Action="lambda:InvokeFunction")
    code, message = denied(lambda: alice.lam.invoke(FunctionName=orders))
    assert (code, message) == ("AccessDeniedException",
                               not_authorized(alice.arn, fn_arn(orders), IDENTITY_DENY))
    decision = kit.explain_last_denial()
    assert [r.sid for r in decision.deciding] == ["NoLambda"]
    assert [r.sid for r in decision.results if r.applies] == ["NoLambda", "alice"]


def test_explicit_deny_in_the_resource_policy(deploy, kit, orders):
    from moto.awslambda.models import lambda_backends

    alice = User(kit).allow(fn_arn(orders))
    # AddPermission only ever writes Allow; a Deny can only come from elsewhere (here: the store).
    policy = lambda_backends[ACCOUNT]["us-east-1"].get_function(orders).policy
    policy.statements.append({"Sid": "NoAlice", "Effect": "Deny", "Principal": {"AWS": alice.arn},
                              "Action": "lambda:*", "Resource": fn_arn(orders)})
    code, message = denied(lambda: alice.lam.invoke(FunctionName=orders))
    assert message == not_authorized(alice.arn, fn_arn(orders), RESOURCE_DENY)
    [why] = kit.explain_last_denial().deciding
    assert (why.sid, why.effect, why.source.kind) == ("NoAlice", "Deny", "resource-based")
    # the administrator is bound by it too; other users are not
    assert deploy.invoke(orders)["StatusCode"] == 200
    assert User(kit).allow(fn_arn(orders)).lam.invoke(FunctionName=orders)["StatusCode"] == 200


def test_statement_for_another_function_does_not_apply(deploy, kit, orders):
    other = deploy.create(HANDLER, name=unique("orders"))
    alice = User(kit).allow(fn_arn(other))
    assert alice.lam.invoke(FunctionName=other)["StatusCode"] == 200
    code, message = denied(lambda: alice.lam.invoke(FunctionName=orders))
    assert message == not_authorized(alice.arn, fn_arn(orders), NO_IDENTITY)
    [considered] = kit.explain_last_denial().results
    assert considered.why_not == f"Resource {fn_arn(other)} does not match {fn_arn(orders)}"


def test_qualified_arns(deploy, kit, orders):
    lam = deploy.lam
    version = lam.publish_version(FunctionName=orders)["Version"]
    lam.create_alias(FunctionName=orders, Name="PROD", FunctionVersion=version)
    alias_user, function_user, wildcard_user = User(kit), User(kit), User(kit)
    lam.add_permission(FunctionName=orders, Qualifier="PROD", StatementId="prod",
                       Principal=alias_user.arn, Action="lambda:InvokeFunction")
    lam.add_permission(FunctionName=orders, StatementId="prod", Principal=function_user.arn,
                       Action="lambda:InvokeFunction")  # same Sid, another policy: fine
    wildcard_user.allow(fn_arn(orders) + ":*")
    # a permission added with a Qualifier covers that alias ARN only...
    assert alias_user.lam.invoke(FunctionName=orders, Qualifier="PROD")["StatusCode"] == 200
    assert alias_user.lam.invoke(FunctionName=f"{orders}:PROD")["StatusCode"] == 200
    for qualifier in (None, version):  # ...not the function, not the version it points to
        kwargs = {"Qualifier": qualifier} if qualifier else {}
        _, message = denied(lambda: alias_user.lam.invoke(FunctionName=orders, **kwargs))
        assert message == not_authorized(alias_user.arn, fn_arn(orders, qualifier), NO_IDENTITY)
    # one on the unqualified function covers the unqualified ARN only
    assert function_user.lam.invoke(FunctionName=orders)["StatusCode"] == 200
    denied(lambda: function_user.lam.invoke(FunctionName=orders, Qualifier="PROD"))
    denied(lambda: function_user.lam.invoke(FunctionName=orders, Qualifier="$LATEST"))
    # in identity policies, function:name:* is every version and alias but not the function
    assert wildcard_user.lam.invoke(FunctionName=orders, Qualifier=version)["StatusCode"] == 200
    assert wildcard_user.lam.invoke(FunctionName=orders, Qualifier="PROD")["StatusCode"] == 200
    denied(lambda: wildcard_user.lam.invoke(FunctionName=orders))
    # GetPolicy and RemovePermission see one policy each
    alias_policy = json.loads(lam.get_policy(FunctionName=orders, Qualifier="PROD")["Policy"])
    assert [s["Resource"] for s in alias_policy["Statement"]] == [fn_arn(orders, "PROD")]
    assert alias_policy["Statement"][0]["Principal"] == {"AWS": alias_user.arn}
    lam.remove_permission(FunctionName=orders, Qualifier="PROD", StatementId="prod")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=orders, Qualifier="PROD")
    assert function_user.lam.invoke(FunctionName=orders)["StatusCode"] == 200
    with pytest.raises(ClientError) as info:
        lam.add_permission(FunctionName=orders, Qualifier="$LATEST", StatementId="latest",
                           Principal=ACCOUNT, Action="lambda:InvokeFunction")
    assert info.value.response["Error"] == {
        "Code": "InvalidParameterValueException",
        "Message": "We currently do not support adding policies for $LATEST."}


def test_duplicate_statement_id_is_a_conflict(deploy, orders):
    add = dict(FunctionName=orders, StatementId="s3", Principal="s3.amazonaws.com",
               Action="lambda:InvokeFunction")
    statement = json.loads(deploy.lam.add_permission(**add)["Statement"])
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    with pytest.raises(deploy.lam.exceptions.ResourceConflictException) as info:
        deploy.lam.add_permission(**add)
    assert info.value.response["Error"]["Message"] == (
        "The statement id (s3) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_event_and_dry_run_are_authorized_too(kit, orders):
    alice = User(kit)
    for invocation_type in ("Event", "DryRun"):
        code, _ = denied(lambda: alice.lam.invoke(FunctionName=orders, InvocationType=invocation_type))
        assert code == "AccessDeniedException"
    alice.allow(fn_arn(orders))
    assert alice.lam.invoke(FunctionName=orders, InvocationType="DryRun")["StatusCode"] == 204
    assert alice.lam.invoke(FunctionName=orders, InvocationType="Event")["StatusCode"] == 202


def test_source_conditions_for_service_principals(deploy, kit, orders):
    deploy.lam.add_permission(FunctionName=orders, StatementId="uploads", Principal="s3.amazonaws.com",
                              Action="lambda:InvokeFunction", SourceArn="arn:aws:s3:::uploads",
                              SourceAccount=ACCOUNT)
    def explain(**source):
        return kit.explain_invoke(orders, principal="s3.amazonaws.com", **source)
    allowed = explain(source_arn="arn:aws:s3:::uploads", source_account=ACCOUNT)
    assert allowed.allowed and [r.sid for r in allowed.deciding] == ["uploads"]
    other_bucket = explain(source_arn="arn:aws:s3:::other", source_account=ACCOUNT)
    assert not other_bucket.allowed
    assert "ArnLike AWS:SourceArn arn:aws:s3:::uploads" in other_bucket.results[0].why_not
    assert not explain(source_arn="arn:aws:s3:::uploads", source_account="111122223333").allowed
    assert not kit.explain_invoke(orders, principal="sns.amazonaws.com").allowed


def test_source_account_condition_does_not_admit_direct_callers(deploy, kit, orders):
    alice = User(kit)
    deploy.lam.add_permission(FunctionName=orders, StatementId="any", Principal="*",
                              Action="lambda:InvokeFunction", SourceAccount=ACCOUNT)
    denied(lambda: alice.lam.invoke(FunctionName=orders))
    [why] = kit.explain_last_denial().results
    assert why.why_not == ("Condition StringEquals AWS:SourceAccount 123456789012: "
                           "AWS:SourceAccount absent from the request")


def test_administrator_is_unaffected(deploy, kit, orders):
    deploy.lam.add_permission(FunctionName=orders, StatementId="s3", Principal="s3.amazonaws.com",
                              Action="lambda:InvokeFunction")
    assert deploy.invoke(orders)["StatusCode"] == 200
    decision = kit.explain_invoke(orders)
    assert decision.allowed and decision.caller.arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert "root user of account 123456789012" in decision.deciding[0].describe()
    with pytest.raises(deploy.lam.exceptions.ResourceNotFoundException):
        deploy.lam.invoke(FunctionName=unique("ghost"))
    # a caller who may not invoke it learns nothing about whether it exists
    ghost = unique("ghost")
    _, message = denied(lambda: User(kit).lam.invoke(FunctionName=ghost))
    assert message.endswith(f"{fn_arn(ghost)} {NO_RESOURCE}")


def test_denial_is_logged_with_its_explanation(kit, orders, caplog):
    alice = User(kit).allow("*", effect="Deny", sid="NoLambda")
    with caplog.at_level(logging.INFO, logger="lambdakit.permissions"):
        _, message = denied(lambda: alice.lam.invoke(FunctionName=orders))
    [record] = [r for r in caplog.records if r.name == "lambdakit.permissions"]
    assert 'Deny statement "NoLambda" in inline policy "invoke"' in record.getMessage()
    assert "NoLambda" not in message  # the explanation stays out of the AWS message
    html = kit.explain_last_denial()._repr_html_()
    assert "DENIED" in html and "NoLambda" in html
