"""attempt(): one boto3 call, its success or AWS's error, without raising."""
from __future__ import annotations

import doctest

import pytest

from lambdakit.course import attempt as attempt_module
from lambdakit.course.attempt import Outcome, attempt, unique

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def test_success_reads_the_payload_and_summarises(deploy):
    name = deploy.create(HANDLER)
    outcome = attempt(deploy.lam.invoke, FunctionName=name)
    assert outcome.ok and outcome.value["Payload"] == b'{"ok": true}'
    assert str(outcome) == "✓ succeeded: StatusCode 200"
    config = attempt(deploy.lam.get_function_configuration, FunctionName=name)
    assert str(config).startswith("✓ succeeded: FunctionArn arn:aws:lambda:us-east-1:")


def test_aws_errors_become_outcomes(deploy):
    outcome = attempt(deploy.lam.invoke, FunctionName=unique("missing"))
    assert not outcome.ok and outcome.status == 404
    assert outcome.code == "ResourceNotFoundException"
    assert repr(outcome).startswith("✗ ResourceNotFoundException (HTTP 404): Function not found")


def test_other_errors_still_raise(deploy):
    with pytest.raises(Exception) as info:
        attempt(deploy.lam.invoke, NoSuchArgument=1)
    assert type(info.value).__name__ == "ParamValidationError"


def test_unique_names():
    assert unique("dev") != unique("dev") and len(unique("dev")) == 10
    assert str(Outcome(ok=True)) == "✓ succeeded"


def test_docstring_examples():
    assert doctest.testmod(attempt_module).failed == 0
