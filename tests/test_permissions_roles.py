"""Execution roles: Lambda must be able to assume them, and the caller must be allowed to pass them.

Real boto3 calls through the endpoint: CreateFunction and UpdateFunctionConfiguration.
"""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from test_permissions_invoke import ACCOUNT, HANDLER, User, fn_arn, unique
from test_permissions_invoke import kit  # noqa: F401 (shared fixture)

import lambdakit
from lambdakit.permissions_roles import ROLE_PATTERN, explain_pass_role, explain_role

CANNOT_ASSUME = "The role defined for the function cannot be assumed by Lambda."
WAIT = {"Delay": 0.05, "MaxAttempts": 200}


def trust(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow_service(service="lambda.amazonaws.com", **extra):
    return {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole",
            **extra}


def make_role(kit, *statements, prefix="exec"):
    return kit.client("iam").create_role(RoleName=unique(prefix),
                                         AssumeRolePolicyDocument=trust(*statements))["Role"]["Arn"]


def create(lam, role, name=None, **config):
    name = name or unique("fn")
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler",
                        Code={"ZipFile": lambdakit.zip_code(HANDLER)}, **config)
    return name


def error(call, status):
    with pytest.raises(ClientError) as info:
        call()
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    return response["Error"]["Code"], response["Error"]["Message"]


def cannot_assume(call):
    assert error(call, 400) == ("InvalidParameterValueException", CANNOT_ASSUME)


def absent(lam, name):
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name)
    return True


def pass_role_denied(caller, role, context="because no identity-based policy allows the "
                                           "iam:PassRole action"):
    return ("AccessDeniedException", f"User: {caller} is not authorized to perform: iam:PassRole "
                                     f"on resource: {role} {context}")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def grant(user, *statements, name="deploy"):
    user.iam.put_user_policy(UserName=user.name, PolicyName=name,
                             PolicyDocument=policy(*statements))
    return user


def can_create(resource="*"):
    return {"Effect": "Allow", "Action": "lambda:CreateFunction", "Resource": resource}


def can_pass(role, **extra):
    return {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role, **extra}


# --- the role itself -------------------------------------------------------------------------

def test_missing_role_cannot_be_assumed(deploy, lam):
    name = unique("fn")
    cannot_assume(lambda: create(lam, f"arn:aws:iam::{ACCOUNT}:role/{unique('missing')}", name))
    assert absent(lam, name)
    assert deploy.session.explain_last_denial().reason.startswith("No role arn:aws:iam::")


def test_malformed_role_arn_is_a_validation_error(lam):
    code, message = error(lambda: create(lam, "lambda-role"), 400)
    assert code == "ValidationException"
    assert message == ("1 validation error detected: Value 'lambda-role' at 'role' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: "
                       r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+")
    assert ROLE_PATTERN == r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
    # the whole value must match, not a prefix of it (a user ARN is not a role)
    assert error(lambda: create(lam, f"arn:aws:iam::{ACCOUNT}:role/ok name"), 400)[0] == \
        "ValidationException"
    assert error(lambda: create(lam, f"arn:aws:iam::{ACCOUNT}:user/alice"), 400)[0] == \
        "ValidationException"


def test_role_trusting_only_ec2_cannot_be_assumed(deploy, kit, lam):
    role = make_role(kit, allow_service("ec2.amazonaws.com"))
    name = unique("fn")
    cannot_assume(lambda: create(lam, role, name))
    assert absent(lam, name)
    why = kit.explain_last_denial()
    assert not why.allowed and why.action == "sts:AssumeRole" and why.resource == role
    [considered] = why.results
    assert why.outcome(considered) == ("does not apply: Principal Service: ec2.amazonaws.com is "
                                       "not lambda.amazonaws.com")
    assert f"InvalidParameterValueException: {CANNOT_ASSUME}" in str(why)


def test_trust_condition_must_hold(kit, lam):
    future = {"DateGreaterThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"}}
    role = make_role(kit, allow_service(Condition=future))
    cannot_assume(lambda: create(lam, role))
    why = kit.explain_last_denial()
    assert "Condition DateGreaterThan aws:CurrentTime" in why.outcome(why.results[0])
    holds = make_role(kit, allow_service(Condition={
        "DateLessThan": {"aws:CurrentTime": "2999-01-01T00:00:00Z"},
        "StringEquals": {"aws:PrincipalServiceName": "lambda.amazonaws.com"}}))
    assert explain_role(holds).allowed
    name = create(lam, holds)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)


def test_trust_may_require_the_functions_account(kit, lam):
    mine = make_role(kit, allow_service(Condition={
        "StringEquals": {"aws:SourceAccount": ACCOUNT}}))
    name = create(lam, mine)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    theirs = make_role(kit, allow_service(Condition={
        "StringEquals": {"aws:SourceAccount": kit.other_account_id}}))
    cannot_assume(lambda: create(lam, theirs))


def test_explicit_deny_in_trust_policy_wins(kit, lam):
    role = make_role(kit, allow_service(), {"Effect": "Deny", "Action": "sts:AssumeRole",
                                            "Principal": {"Service": "lambda.amazonaws.com"}})
    cannot_assume(lambda: create(lam, role))
    decision = explain_role(role)
    assert not decision.allowed and [r.effect for r in decision.deciding] == ["Deny"]


def test_valid_role_gives_an_active_function(deploy, kit, lam):
    role = make_role(kit, allow_service(), allow_service("ec2.amazonaws.com"))
    assert explain_role(role).allowed
    name = create(lam, role)
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    config = lam.get_function_configuration(FunctionName=name)
    assert (config["State"], config["Role"]) == ("Active", role)
    assert deploy.invoke(name)["Body"] == {"ok": True}


def test_role_from_another_account_is_refused(kit, lam):
    other = kit.client("iam", account_id=kit.other_account_id).create_role(
        RoleName=unique("theirs"), AssumeRolePolicyDocument=trust(allow_service()))["Role"]["Arn"]
    assert error(lambda: create(lam, other), 403) == ("AccessDeniedException",
                                                      "Cross-account pass role is not allowed.")


def test_update_to_a_bad_role_keeps_the_old_one(deploy, kit, lam):
    name = deploy.create(HANDLER, name=unique("fn"), Timeout=3)
    ec2 = make_role(kit, allow_service("ec2.amazonaws.com"))
    for bad in (ec2, f"arn:aws:iam::{ACCOUNT}:role/{unique('missing')}"):
        cannot_assume(lambda: lam.update_function_configuration(FunctionName=name, Role=bad,
                                                                Timeout=30))
    assert error(lambda: lam.update_function_configuration(FunctionName=name, Role="nope"),
                 400)[0] == "ValidationException"
    config = lam.get_function_configuration(FunctionName=name)
    assert (config["Role"], config["Timeout"], config["LastUpdateStatus"]) == (
        deploy.role, 3, "Successful")
    good = make_role(kit, allow_service())
    lam.update_function_configuration(FunctionName=name, Role=good)
    lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    assert lam.get_function_configuration(FunctionName=name)["Role"] == good


# --- the caller: lambda:CreateFunction and iam:PassRole -------------------------------------

def test_user_without_create_permission_is_denied(deploy, kit):
    alice = User(kit)
    name = unique("fn")
    code, message = error(lambda: create(alice.lam, deploy.role, name), 403)
    assert (code, message) == ("AccessDeniedException",
                               f"User: {alice.arn} is not authorized to perform: "
                               f"lambda:CreateFunction on resource: {fn_arn(name)} because no "
                               "identity-based policy allows the lambda:CreateFunction action")
    assert absent(deploy.lam, name)


def test_user_without_pass_role_is_denied(deploy, kit):
    alice = grant(User(kit), can_create())
    name = unique("fn")
    assert error(lambda: create(alice.lam, deploy.role, name), 403) == \
        pass_role_denied(alice.arn, deploy.role)
    assert absent(deploy.lam, name)
    why = kit.explain_last_denial()
    assert (why.action, why.resource, why.allowed) == ("iam:PassRole", deploy.role, False)
    assert "identity-based" in why.rule


def test_pass_role_scoped_to_another_role_is_denied(deploy, kit):
    other = make_role(kit, allow_service())
    alice = grant(User(kit), can_create(), can_pass(other))
    assert error(lambda: create(alice.lam, deploy.role), 403) == \
        pass_role_denied(alice.arn, deploy.role)
    why = kit.explain_last_denial()
    assert why.outcome(why.results[0]).startswith(
        f"does not apply: Resource {other} does not match")


def test_pass_role_and_create_permission_create_the_function(deploy, kit):
    alice = grant(User(kit), can_create(fn_arn("team-*")), can_pass(deploy.role, Condition={
        "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}}))
    name = create(alice.lam, deploy.role, unique("team"))
    deploy.lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    assert deploy.lam.get_function_configuration(FunctionName=name)["Role"] == deploy.role
    assert explain_pass_role(deploy.role, access_key=alice.key).allowed
    # the CreateFunction grant is scoped to team-* functions
    assert error(lambda: create(alice.lam, deploy.role, unique("other")), 403)[1].endswith(
        "because no identity-based policy allows the lambda:CreateFunction action")


def test_pass_role_for_another_service_is_denied(deploy, kit):
    alice = grant(User(kit), can_create(), can_pass(deploy.role, Condition={
        "StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}))
    assert error(lambda: create(alice.lam, deploy.role), 403) == \
        pass_role_denied(alice.arn, deploy.role)
    why = kit.explain_last_denial()
    assert "iam:PassedToService is lambda.amazonaws.com" in why.outcome(why.results[0])


def test_explicit_deny_of_pass_role_wins(deploy, kit):
    alice = grant(User(kit), can_create(), can_pass("*"),
                  {"Effect": "Deny", "Action": "iam:PassRole", "Resource": deploy.role})
    assert error(lambda: create(alice.lam, deploy.role), 403) == pass_role_denied(
        alice.arn, deploy.role, "with an explicit deny in an identity-based policy")


def test_admin_passes_any_role_of_its_account(deploy):
    decision = explain_pass_role(deploy.role)
    assert decision.allowed and "root user" in decision.deciding[0].describe()


def test_assumed_role_session_needs_pass_role_too(deploy, kit):
    iam, sts = kit.client("iam"), kit.client("sts")
    deployer = iam.create_role(RoleName=unique("deployer"), AssumeRolePolicyDocument=trust(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "sts:AssumeRole"}))["Role"]
    creds = sts.assume_role(RoleArn=deployer["Arn"], RoleSessionName="ci")["Credentials"]
    session = kit.session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    lam = session.client("lambda", endpoint_url=kit.url)
    iam.put_role_policy(RoleName=deployer["RoleName"], PolicyName="create",
                        PolicyDocument=policy(can_create()))
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/{deployer['RoleName']}/ci"
    assert error(lambda: create(lam, deploy.role), 403) == pass_role_denied(caller, deploy.role)
    iam.put_role_policy(RoleName=deployer["RoleName"], PolicyName="pass",
                        PolicyDocument=policy(can_pass(deploy.role)))
    name = create(lam, deploy.role)
    deploy.lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig=WAIT)


def test_user_update_needs_pass_role_only_to_change_the_role(deploy, kit):
    name = deploy.create(HANDLER, name=unique("fn"))
    other = make_role(kit, allow_service())
    alice = grant(User(kit), {"Effect": "Allow", "Action": "lambda:UpdateFunctionConfiguration",
                              "Resource": fn_arn(name)})
    alice.lam.update_function_configuration(FunctionName=name, Timeout=7)
    deploy.lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig=WAIT)
    assert error(lambda: alice.lam.update_function_configuration(FunctionName=name, Role=other,
                                                                 Timeout=9), 403) == \
        pass_role_denied(alice.arn, other)
    config = deploy.lam.get_function_configuration(FunctionName=name)
    assert (config["Role"], config["Timeout"]) == (deploy.role, 7)
    bob = User(kit)
    assert error(lambda: bob.lam.update_function_configuration(FunctionName=name, Timeout=9),
                 403)[1] == (f"User: {bob.arn} is not authorized to perform: "
                             f"lambda:UpdateFunctionConfiguration on resource: {fn_arn(name)} "
                             "because no identity-based policy allows the "
                             "lambda:UpdateFunctionConfiguration action")
