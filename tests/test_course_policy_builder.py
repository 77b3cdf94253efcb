"""The policy builder of lesson 03: statements from choices, applied for real, tried, reset."""
from __future__ import annotations

import doctest
import json

import pytest

from lambdakit.course import policy_builder as pb
from lambdakit.course.policy_builder import (SERVICE, SOURCE_BUCKET, Grant, PolicyBuilder,
                                             PolicyLab)

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
ACCOUNT = "123456789012"
OTHER = "111122223333"


@pytest.fixture
def lab(deploy):
    return PolicyLab(deploy.create(HANDLER), kit=deploy.session)


def denied_because(attempt, context):
    assert not attempt.allowed and attempt.sent
    assert attempt.outcome.startswith("AccessDeniedException: User: ")
    assert attempt.outcome.endswith(context)


NO_IDENTITY = "because no identity-based policy allows the lambda:InvokeFunction action"
NO_RESOURCE = "because no resource-based policy allows the lambda:InvokeFunction action"


# -- choices and statements -------------------------------------------------------------------
def test_choices_aws_does_not_offer_are_refused_with_the_reason():
    with pytest.raises(ValueError, match="An AWS service has no identity-based policy"):
        Grant("service", "identity")
    with pytest.raises(ValueError, match='its Resource cannot be "\\*"'):
        Grant("user", "resource", resource="*")
    with pytest.raises(ValueError, match="action must be one of 'lambda:InvokeFunction', "
                                         "'lambda:GetFunction', 'lambda:\\*', got 'lambda:Nope'"):
        Grant(action="lambda:Nope")
    with pytest.raises(ValueError, match="principal must be one of"):
        Grant("bob")


def test_statements_as_iam_and_lambda_store_them(lab):
    fn = lab.function_arn
    assert fn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{lab.function_name}"
    identity = lab.statement(Grant("user", "identity", resource="alias"), sid="s")
    assert identity == {"Sid": "s", "Effect": "Allow", "Action": "lambda:InvokeFunction",
                        "Resource": f"{fn}:live"}
    user = lab.principal_arn("user")
    assert user.startswith(f"arn:aws:iam::{ACCOUNT}:user/builder-")
    resource = lab.statement(Grant("user", "resource", "lambda:*", "function",
                                   "aws:SourceAccount"), sid="s")
    assert resource == {"Sid": "s", "Effect": "Allow", "Principal": {"AWS": user},
                        "Action": "lambda:*", "Resource": fn,
                        "Condition": {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}}
    service = lab.statement(Grant("service", "resource", condition="aws:SourceArn"))
    assert service["Principal"] == {"Service": SERVICE}
    assert service["Condition"] == {"ArnLike": {"AWS:SourceArn": SOURCE_BUCKET}}
    assert lab.principal_arn("other-account").startswith(f"arn:aws:iam::{OTHER}:user/")
    assert lab.statement(Grant("user", "identity", resource="*"))["Resource"] == "*"


def test_the_written_policy_matches_the_statement_shown(lab):
    shown = lab.statement(Grant("service", "resource", condition="aws:SourceArn"))
    written = lab.apply(Grant("service", "resource", condition="aws:SourceArn"))
    assert written == shown
    policy = json.loads(lab.kit.client("lambda").get_policy(
        FunctionName=lab.function_name)["Policy"])
    [stored] = policy["Statement"]
    assert stored == written


# -- apply, try, reset: same account ---------------------------------------------------------
def test_identity_grant_allows_then_reset_takes_it_back(lab):
    denied_because(lab.try_invoke("user"), NO_IDENTITY)
    assert lab.kit.explain_last_denial().allowed is False
    lab.apply(Grant("user", "identity"))
    attempt = lab.try_invoke("user")
    assert attempt.allowed and attempt.outcome == "Invoke answered 200"
    assert [r.source.kind for r in attempt.decision.deciding] == ["identity-based"]
    assert str(attempt).startswith("ALLOWED: Invoke answered 200\n\nALLOWED  lambda:InvokeFunction")
    # the grant names the function ARN: the alias is another resource
    denied_because(lab.try_invoke("user", "alias"), NO_IDENTITY)
    assert lab.reset() == 1 and lab.applied == []
    denied_because(lab.try_invoke("user"), NO_IDENTITY)


def test_resource_grant_alone_is_enough_in_the_same_account(lab):
    lab.apply(Grant("user", "resource", resource="alias"))
    attempt = lab.try_invoke("user", "alias")
    assert attempt.allowed
    [why] = attempt.decision.deciding
    assert why.source.kind == "resource-based" and why.sid == lab.applied[0].sid
    denied_because(lab.try_invoke("user", "function"), NO_IDENTITY)
    lab.reset()
    lam = lab.kit.client("lambda")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_policy(FunctionName=lab.function_name, Qualifier="live")


def test_get_function_does_not_grant_invoke_but_lambda_star_does(lab):
    lab.apply(Grant("user", "identity", "lambda:GetFunction"))
    denied_because(lab.try_invoke("user"), NO_IDENTITY)
    lab.apply(Grant("user", "identity", "lambda:*"))
    assert lab.try_invoke("user").allowed
    assert lab.reset() == 2


def test_a_source_condition_does_not_hold_for_a_user(lab):
    lab.apply(Grant("user", "resource", condition="aws:SourceArn"))
    attempt = lab.try_invoke("user")
    denied_because(attempt, NO_IDENTITY)
    assert "AWS:SourceArn absent from the request" in attempt.decision.outcome(
        attempt.decision.results[0])


# -- another account ---------------------------------------------------------------------------
def test_cross_account_needs_both_sides(lab):
    lab.apply(Grant("other-account", "resource"))
    denied_because(lab.try_invoke("other-account"), NO_IDENTITY)
    assert "resource-based policy allows, but no identity-based" in lab.kit.explain_last_denial().reason
    lab.reset()
    lab.apply(Grant("other-account", "identity", resource="*"))
    denied_because(lab.try_invoke("other-account"), NO_RESOURCE)
    lab.apply(Grant("other-account", "resource"))
    attempt = lab.try_invoke("other-account")
    assert attempt.allowed and attempt.decision.cross_account
    assert [r.source.kind for r in attempt.decision.deciding] == ["identity-based",
                                                                  "resource-based"]
    assert lab.reset() == 2
    denied_because(lab.try_invoke("other-account"), NO_IDENTITY)


# -- a service: explained, with its source -----------------------------------------------------
def test_service_grant_with_source_arn_blocks_the_confused_deputy(lab):
    attempt = lab.try_invoke("service")
    assert not attempt.allowed and not attempt.sent and "(explained, not sent)" in attempt.outcome
    lab.apply(Grant("service", "resource", condition="aws:SourceArn"))
    assert lab.try_invoke("service", source="own-bucket").allowed
    other = lab.try_invoke("service", source="other-bucket")
    assert not other.allowed and "someone-elses-bucket" in other.outcome
    lab.reset()
    lab.apply(Grant("service", "resource", condition="aws:SourceAccount"))
    assert lab.try_invoke("service").allowed
    assert not lab.try_invoke("service", source="other-bucket").allowed
    assert lab.try_invoke("service", "alias").allowed is False  # granted on the function only


def test_session_of_a_service_is_refused(lab):
    with pytest.raises(ValueError, match="has no session"):
        lab.session("service")
    with pytest.raises(ValueError, match="target must be one of"):
        lab.try_invoke("user", "version")


def test_a_new_lab_removes_what_an_earlier_one_left(deploy):
    name = deploy.create(HANDLER)
    first = PolicyLab(name, kit=deploy.session)
    first.apply(Grant("service", "resource"))
    first.apply(Grant("user", "resource", resource="alias"))
    deploy.lam.add_permission(FunctionName=name, StatementId="mine", Principal=SERVICE,
                              Action="lambda:InvokeFunction")
    second = PolicyLab(name, kit=deploy.session)
    assert not second.try_invoke("user", "alias").allowed
    policy = json.loads(deploy.lam.get_policy(FunctionName=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["mine"]  # not the lab's: kept


def test_the_alias_is_created_once(deploy):
    name = deploy.create(HANDLER)
    PolicyLab(name, kit=deploy.session)
    PolicyLab(name, kit=deploy.session)
    aliases = deploy.lam.list_aliases(FunctionName=name)["Aliases"]
    assert [a["Name"] for a in aliases] == ["live"]


# -- the widget: a thin layer --------------------------------------------------------------------
def test_the_widget_drives_the_lab(deploy):
    builder = PolicyBuilder(PolicyLab(deploy.create(HANDLER), kit=deploy.session))
    assert "lambda:InvokeFunction" in builder.json.value and not builder.apply_button.disabled
    builder.principal.value, builder.place.value = "service", "identity"
    assert "no identity-based policy" in builder.json.value and builder.apply_button.disabled
    assert builder.source.layout.display is None
    builder.principal.value = "user"
    assert builder.source.layout.display == "none" and builder.principal.layout.display is None
    builder.principal.value, builder.place.value = "user", "resource"
    assert builder.source.layout.display == "none"
    builder.try_button.click()
    assert builder.last is not None and not builder.last.allowed
    builder.apply_button.click()
    assert len(builder.lab.applied) == 1 and builder.lab.applied[0].sid in builder.applied.value
    builder.try_button.click()
    assert builder.last.allowed
    assert "ALLOWED" in builder.last._repr_html_()
    builder.reset_button.click()
    assert builder.lab.applied == [] and "nothing applied yet" in builder.applied.value
    assert "application/vnd.jupyter.widget-view+json" in builder._repr_mimebundle_()


def test_docstring_examples():
    assert doctest.testmod(pb).failed == 0
