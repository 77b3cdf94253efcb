"""Who may invoke a function: other accounts, assumed roles, organizations, bad credentials."""
from __future__ import annotations

import json
import random

import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError
from test_permissions_invoke import (ACCOUNT, HANDLER, NO_IDENTITY, NO_RESOURCE, User, denied,
                                     fn_arn, invoke_policy, not_authorized, unique)
from test_permissions_invoke import kit, orders  # noqa: F401 (shared fixtures)

OTHER = "111122223333"
TRUST_ACCOUNT = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]}


def test_other_account_session_is_that_accounts_administrator(kit):
    other = kit.session(account_id=kit.other_account_id)
    assert other.client("sts", endpoint_url=kit.url).get_caller_identity()["Account"] == OTHER
    assert kit.session(account_id=OTHER).get_credentials().access_key == other.get_credentials().access_key
    assert kit.session(account_id=ACCOUNT).get_credentials().access_key == "testing"
    name = unique("theirs")
    iam = kit.client("iam", account_id=OTHER)
    iam.create_user(UserName=name)
    assert name in [u["UserName"] for u in iam.list_users()["Users"]]
    assert name not in [u["UserName"] for u in kit.client("iam").list_users()["Users"]]
    with pytest.raises(ValueError):
        kit.session(account_id="12345")


def test_cross_account_needs_both_policies(deploy, kit, orders):
    other_iam = kit.client("iam", account_id=OTHER)
    resource_only, identity_only, both = (User(kit, other_iam) for _ in range(3))
    identity_only.allow(fn_arn(orders))
    both.allow(fn_arn(orders))
    for user in (resource_only, both):
        deploy.lam.add_permission(FunctionName=orders, StatementId=user.name, Principal=user.arn,
                                  Action="lambda:InvokeFunction")
    arn = fn_arn(orders)
    _, message = denied(lambda: resource_only.lam.invoke(FunctionName=arn))
    assert message == not_authorized(resource_only.arn, arn, NO_IDENTITY)
    assert "resource-based policy allows, but no identity-based" in kit.explain_last_denial().reason
    _, message = denied(lambda: identity_only.lam.invoke(FunctionName=arn))
    assert message == not_authorized(identity_only.arn, arn, NO_RESOURCE)
    response = both.lam.invoke(FunctionName=arn)
    assert response["StatusCode"] == 200 and json.load(response["Payload"]) == {"ok": True}
    decision = kit.explain_invoke(arn, session=both.session)
    assert decision.cross_account and "must both allow" in str(decision)
    assert [(r.source.kind, r.sid) for r in decision.deciding] == [
        ("identity-based", "Invoke"), ("resource-based", both.name)]


def test_cross_account_administrator_needs_the_resource_policy(deploy, kit, orders):
    other = kit.session(account_id=OTHER).client("lambda", endpoint_url=kit.url)
    arn = fn_arn(orders)
    _, message = denied(lambda: other.invoke(FunctionName=arn))
    assert message == not_authorized(f"arn:aws:iam::{OTHER}:root", arn, NO_RESOURCE)
    deploy.lam.add_permission(FunctionName=orders, StatementId="other-account", Principal=OTHER,
                              Action="lambda:InvokeFunction")
    assert other.invoke(FunctionName=arn)["StatusCode"] == 200
    # by name alone, the other account's administrator names a function of its own account
    with pytest.raises(other.exceptions.ResourceNotFoundException):
        other.invoke(FunctionName=orders)


def test_function_in_the_other_account(kit):
    theirs = kit.client("lambda", account_id=OTHER)
    name = unique("partner")
    role = kit.client("iam", account_id=OTHER).create_role(
        RoleName=unique("exec"), AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
    from lambdakit import zip_code
    theirs.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
                           Handler="lambda_function.handler", Code={"ZipFile": zip_code(HANDLER)})
    theirs.get_waiter("function_active_v2").wait(FunctionName=name,
                                                 WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    arn = f"arn:aws:lambda:us-east-1:{OTHER}:function:{name}"
    assert theirs.invoke(FunctionName=name)["StatusCode"] == 200
    _, message = denied(lambda: kit.client("lambda").invoke(FunctionName=arn))
    assert message == not_authorized(f"arn:aws:iam::{ACCOUNT}:root", arn, NO_RESOURCE)
    theirs.add_permission(FunctionName=name, StatementId="main", Principal=ACCOUNT,
                          Action="lambda:InvokeFunction")
    assert kit.client("lambda").invoke(FunctionName=arn)["StatusCode"] == 200


def assume(kit, role_arn, session_name="lesson"):
    creds = kit.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return kit.session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


def test_assumed_role_caller(deploy, kit, orders):
    iam = kit.client("iam")
    role = iam.create_role(RoleName=unique("invoker"),
                           AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))["Role"]
    session = assume(kit, role["Arn"])
    lam = session.client("lambda", endpoint_url=kit.url)
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role['RoleName']}/lesson"
    _, message = denied(lambda: lam.invoke(FunctionName=orders))
    assert message == not_authorized(caller, fn_arn(orders), NO_IDENTITY)
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="invoke",
                        PolicyDocument=invoke_policy(fn_arn(orders), sid="RoleInvoke"))
    assert lam.invoke(FunctionName=orders)["StatusCode"] == 200
    [why] = kit.explain_invoke(orders, session=session).deciding
    assert why.describe() == (f'Allow statement "RoleInvoke" in inline policy "invoke" of role '
                              f'{role["RoleName"]} (identity-based)')
    # a resource-based statement naming the role covers its sessions
    plain = iam.create_role(RoleName=unique("plain"), AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    plain_session = assume(kit, plain["Role"]["Arn"]).client("lambda", endpoint_url=kit.url)
    denied(lambda: plain_session.invoke(FunctionName=orders))
    deploy.lam.add_permission(FunctionName=orders, StatementId="plain", Action="lambda:InvokeFunction",
                              Principal=plain["Role"]["Arn"])
    assert plain_session.invoke(FunctionName=orders)["StatusCode"] == 200


def test_principal_org_id(deploy, kit, orders):
    org = kit.client("organizations")
    try:
        org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    except org.exceptions.AlreadyInOrganizationException:
        org_id = org.describe_organization()["Organization"]["Id"]
    created = org.create_account(Email=f"{unique('member')}@example.com", AccountName=unique("member"))
    member = created["CreateAccountStatus"]["AccountId"]
    outsider = str(random.randrange(10**11, 10**12))  # an account in no organization
    deploy.lam.add_permission(FunctionName=orders, StatementId="org", Principal="*",
                              Action="lambda:InvokeFunction", PrincipalOrgID=org_id)
    arn = fn_arn(orders)
    assert kit.client("lambda", account_id=member).invoke(FunctionName=arn)["StatusCode"] == 200
    denied(lambda: kit.client("lambda", account_id=outsider).invoke(FunctionName=arn))
    [why] = [r for r in kit.explain_last_denial().results if r.source.kind == "resource-based"]
    assert why.why_not == (f"Condition StringEquals aws:PrincipalOrgID {org_id}: "
                           "aws:PrincipalOrgID absent from the request")


INVALID = ("UnrecognizedClientException", "The security token included in the request is invalid.")


def test_unknown_or_invalid_credentials(kit, orders):
    def code_and_message(session):
        return denied(lambda: session.client("lambda", endpoint_url=kit.url).invoke(FunctionName=orders))
    assert code_and_message(kit.session("AKIAIOSFODNN7EXAMPLE", "secret")) == INVALID
    alice = User(kit).allow(fn_arn(orders))
    kit.client("iam").update_access_key(UserName=alice.name, AccessKeyId=alice.key, Status="Inactive")
    assert code_and_message(alice.session) == INVALID
    role = kit.client("iam").create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    session = assume(kit, role["Role"]["Arn"])
    creds = session.get_credentials()
    assert code_and_message(kit.session(creds.access_key, creds.secret_key, "wrong-token")) == INVALID
    assert code_and_message(kit.session(creds.access_key, creds.secret_key)) == INVALID
    unsigned = kit.session().client("lambda", endpoint_url=kit.url,
                                    config=Config(signature_version=UNSIGNED))
    with pytest.raises(ClientError) as info:
        unsigned.invoke(FunctionName=orders)
    assert info.value.response["Error"]["Code"] == "MissingAuthenticationTokenException"


def test_expired_session_token(kit, orders):
    import datetime

    from moto.sts.models import sts_backends
    role = kit.client("iam").create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(TRUST_ACCOUNT))
    session = assume(kit, role["Role"]["Arn"])
    key = session.get_credentials().access_key
    [assumed] = [r for r in sts_backends[ACCOUNT]["aws"].assumed_roles if r.access_key_id == key]
    assumed.expiration -= datetime.timedelta(hours=2)
    code, message = denied(lambda: session.client("lambda", endpoint_url=kit.url).invoke(FunctionName=orders))
    assert (code, message) == ("ExpiredTokenException", "The security token included in the request is expired")
