"""lambdakit.course.sam: SAM templates expanded offline by aws-sam-translator."""
from __future__ import annotations

import doctest
import logging
import socket

import pytest

from lambdakit.course import sam

CANARY = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Checkout:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: lambda_function.handler
      CodeUri: s3://artifacts/checkout.zip
      AutoPublishAlias: live
      DeploymentPreference:
        Type: TYPE
        Alarms: [!Ref CheckoutErrors]
        Hooks:
          PreTraffic: !Ref PreTrafficCheck
  PreTrafficCheck:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: hook.handler
      CodeUri: s3://artifacts/hook.zip
      Environment:
        Variables:
          NEW_VERSION: !Ref Checkout.Version
  CheckoutErrors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions:
        - {Name: Resource, Value: !Sub "${Checkout}:live"}
      Statistic: Sum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
"""


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_short_tags_become_intrinsic_functions():
    template = sam.load_template(CANARY)
    hook = template["Resources"]["Checkout"]["Properties"]["DeploymentPreference"]["Hooks"]
    assert hook == {"PreTraffic": {"Ref": "PreTrafficCheck"}}
    dims = template["Resources"]["CheckoutErrors"]["Properties"]["Dimensions"]
    assert dims == [{"Name": "Resource", "Value": {"Fn::Sub": "${Checkout}:live"}}]
    assert sam.load_template("A: !GetAtt Fn.Arn\nB: !Select [0, [x]]") == {
        "A": {"Fn::GetAtt": ["Fn", "Arn"]}, "B": {"Fn::Select": [0, ["x"]]}}
    with pytest.raises(ValueError, match="mapping"):
        sam.load_template("- just a list")


def test_auto_publish_alias_and_deployment_preference_expand_offline(offline):
    cfn = sam.transform(CANARY.replace("TYPE", "Linear10PercentEvery2Minutes"))
    kinds = {name: body["Type"] for name, body in cfn["Resources"].items()}
    version = next(name for name, kind in kinds.items() if kind == "AWS::Lambda::Version")
    assert kinds["CheckoutAliaslive"] == "AWS::Lambda::Alias"
    assert kinds["ServerlessDeploymentApplication"] == "AWS::CodeDeploy::Application"
    alias = cfn["Resources"]["CheckoutAliaslive"]
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version, "Version"]}
    update = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]
    assert update["BeforeAllowTrafficHook"] == {"Ref": "PreTrafficCheck"}
    group = cfn["Resources"]["CheckoutDeploymentGroup"]["Properties"]
    assert group["DeploymentConfigName"] == {"Fn::Sub": ["CodeDeployDefault.Lambda${ConfigName}",
                                                        {"ConfigName": "Linear10PercentEvery2Minutes"}]}
    assert group["AlarmConfiguration"]["Alarms"] == [{"Name": {"Ref": "CheckoutErrors"}}]
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["AutoRollbackConfiguration"]["Events"]
    table = sam.resource_table(cfn)
    assert any(line.split() == ["CheckoutDeploymentGroup", "AWS::CodeDeploy::DeploymentGroup"]
               for line in table.splitlines())
    assert len(table.splitlines()) == len(kinds)


def test_a_transform_leaves_no_warning_behind(offline, caplog):
    import gc

    with caplog.at_level(logging.WARNING):
        for _ in range(2):  # a second translator replaces the first, whose metrics warned
            sam.transform(CANARY.replace("TYPE", "AllAtOnce"))  # "unpublished metrics" when
        gc.collect()                                             # collected
    assert not [r for r in caplog.records if "unpublished" in r.getMessage()]


def test_invalid_templates_are_refused_with_sams_message(offline):
    with pytest.raises(ValueError, match="Resources"):
        sam.transform({"Transform": "AWS::Serverless-2016-10-31"})
    broken = CANARY.replace("      AutoPublishAlias: live\n", "")
    with pytest.raises(ValueError, match="AutoPublishAlias"):
        sam.transform(broken.replace("TYPE", "AllAtOnce"))


def test_docstring_examples(offline):
    assert doctest.testmod(sam).failed == 0
