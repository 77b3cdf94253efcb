"""The statement evaluator on its own: wildcards, principals, conditions (no endpoint)."""
from __future__ import annotations

import pytest

from lambdakit.permissions_callers import Caller, root, service
from lambdakit.permissions_policy import (IDENTITY, RESOURCE, PolicySource, condition_failure,
                                          evaluate, match_principal)

FN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
ALICE = Caller("arn:aws:iam::123456789012:user/alice", "123456789012", "user", "alice",
               "arn:aws:iam::123456789012:user/alice", "AIDAALICE")
SESSION = Caller("arn:aws:sts::111122223333:assumed-role/ops/s1", "111122223333", "assumed-role",
                 "ops", "arn:aws:iam::111122223333:role/ops", "AROAOPS:s1", "s1")
IDENTITY_SOURCE = PolicySource(IDENTITY, "test identity policy")
RESOURCE_SOURCE = PolicySource(RESOURCE, "test resource policy")


def decide(statement, source=IDENTITY_SOURCE, caller=ALICE, resource=FN, context=None):
    return evaluate(statement, source, "lambda:InvokeFunction", resource, context or {}, caller)


@pytest.mark.parametrize("action, named", [
    ("lambda:InvokeFunction", True), ("LAMBDA:invokefunction", True), ("lambda:Invoke*", True),
    ("lambda:*", True), ("*", True), ("lambda:InvokeFunctio?", True), ("lambda:Get*", False),
    ("lambda:InvokeFunctionUrl", False), (["s3:GetObject", "lambda:InvokeFunction"], True),
])
def test_action_wildcards_are_case_insensitive(action, named):
    result = decide({"Effect": "Allow", "Action": action, "Resource": "*"})
    assert (result is not None) is named


def test_not_action_names_everything_else():
    assert decide({"Effect": "Allow", "NotAction": "lambda:InvokeFunction", "Resource": "*"}) is None
    assert decide({"Effect": "Deny", "NotAction": "s3:*", "Resource": "*"}).applies


@pytest.mark.parametrize("pattern, applies", [
    (FN, True), (FN + ":*", False), ("arn:aws:lambda:us-east-1:123456789012:function:ord*", True),
    ("arn:aws:lambda:*:*:function:orders", True), ("arn:aws:lambda:us-east-1:123456789012:function:other", False),
    ("arn:aws:lambda:us-east-1:123456789012:function:ORDERS", False),  # ARNs are case-sensitive
    ("arn:aws:lambda:us-east-1:123456789012:function:orders.", False),  # "." is literal
])
def test_resource_patterns(pattern, applies):
    result = decide({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": pattern})
    assert result.applies is applies
    if not applies:
        assert result.why_not == f"Resource {pattern} does not match {FN}"


def test_qualified_resource_needs_a_qualified_pattern():
    statement = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": FN + ":*"}
    assert decide(statement, resource=FN + ":PROD").applies
    assert not decide({**statement, "Resource": FN}, resource=FN + ":PROD").applies


def test_not_resource():
    statement = {"Effect": "Deny", "Action": "lambda:*", "NotResource": FN}
    assert not decide(statement).applies
    assert decide(statement, resource=FN + "-other").applies


@pytest.mark.parametrize("principal, caller, how", [
    ("*", ALICE, "direct"), ({"AWS": "*"}, ALICE, "direct"),
    ({"AWS": "arn:aws:iam::123456789012:user/alice"}, ALICE, "direct"),
    ({"AWS": ["arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:user/alice"]}, ALICE, "direct"),
    ({"AWS": "arn:aws:iam::123456789012:user/bob"}, ALICE, None),
    ({"AWS": "123456789012"}, ALICE, "account"), ({"AWS": "arn:aws:iam::123456789012:root"}, ALICE, "account"),
    ({"AWS": "arn:aws:iam::123456789012:root"}, root("123456789012"), "direct"),
    ({"AWS": "111122223333"}, ALICE, None),
    ({"AWS": "arn:aws:iam::111122223333:role/ops"}, SESSION, "direct"),
    ({"AWS": "arn:aws:sts::111122223333:assumed-role/ops/s1"}, SESSION, "direct"),
    ({"AWS": "arn:aws:sts::111122223333:assumed-role/ops/other"}, SESSION, None),
    ({"Service": "s3.amazonaws.com"}, service("s3.amazonaws.com"), "direct"),
    ({"Service": "sns.amazonaws.com"}, service("s3.amazonaws.com"), None),
    ({"AWS": "123456789012"}, service("s3.amazonaws.com"), None),
    ({"Service": "s3.amazonaws.com"}, ALICE, None),
    ("s3.amazonaws.com", service("s3.amazonaws.com"), "direct"),  # moto's bare-string forms
    ("123456789012", ALICE, "account"),
])
def test_principal_matching(principal, caller, how):
    assert match_principal(principal, caller) == how


def test_a_statement_naming_someone_else_does_not_apply_rather_than_deny():
    statement = {"Effect": "Deny", "Action": "lambda:InvokeFunction", "Resource": FN,
                 "Principal": {"AWS": "arn:aws:iam::123456789012:user/bob"}}
    result = decide(statement, RESOURCE_SOURCE)
    assert not result.applies
    assert result.why_not == ("Principal AWS: arn:aws:iam::123456789012:user/bob is not "
                              "arn:aws:iam::123456789012:user/alice")


SOURCE = {"aws:sourcearn": ["arn:aws:s3:::uploads"], "aws:sourceaccount": ["123456789012"]}


@pytest.mark.parametrize("condition, context, holds", [
    ({"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}}, SOURCE, True),
    ({"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::up*"}}, SOURCE, True),
    ({"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::other"}}, SOURCE, False),
    ({"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}}, {}, False),  # key absent: false
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:s3:::other"}}, {}, True),  # negated, absent: true
    ({"StringEquals": {"AWS:SourceAccount": "123456789012"}}, SOURCE, True),
    ({"StringEquals": {"AWS:SourceAccount": ["111122223333", "123456789012"]}}, SOURCE, True),
    ({"StringEquals": {"AWS:SourceAccount": "111122223333"}}, SOURCE, False),
    ({"StringNotEquals": {"aws:SourceAccount": "111122223333"}}, SOURCE, True),
    ({"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}, {}, True),
    ({"StringEqualsIfExists": {"aws:SourceAccount": "111122223333"}}, SOURCE, False),
    ({"Null": {"aws:SourceArn": "true"}}, {}, True), ({"Null": {"aws:SourceArn": "false"}}, {}, False),
    ({"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/a?ice"}},
     {"aws:principalarn": [ALICE.arn]}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:securetransport": ["false"]}, False),
    ({"NumericLessThan": {"aws:EpochTime": "100"}}, {"aws:epochtime": ["99"]}, True),
    ({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
     {"aws:currenttime": ["2026-01-01T00:00:00Z"]}, True),
    ({"NoSuchOperator": {"aws:SourceArn": "x"}}, SOURCE, False),  # unknown: never matches
    ({"ArnLike": {"aws:SourceArn": "arn:aws:s3:::uploads"},
      "StringEquals": {"aws:SourceAccount": "111122223333"}}, SOURCE, False),  # all must hold
])
def test_conditions(condition, context, holds):
    assert (condition_failure(condition, context) is None) is holds


def test_condition_failure_says_why():
    why = condition_failure({"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}}, {})
    assert why == ("Condition ArnLike AWS:SourceArn arn:aws:s3:::uploads: "
                   "AWS:SourceArn absent from the request")
