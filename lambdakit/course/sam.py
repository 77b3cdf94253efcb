"""AWS SAM templates turned into CloudFormation on this machine, by AWS's own translator.

``aws-sam-translator`` is the library behind the ``AWS::Serverless-2016-10-31`` transform
(the SAM CLI uses it too). It works offline: :func:`transform` gives it a region and an
empty list of managed policies, so it never calls AWS.

- :func:`load_template` reads template YAML, including CloudFormation's short tags
  (``!Ref``, ``!Sub``, ``!GetAtt``...);
- :func:`transform` expands a SAM template into the CloudFormation template SAM would deploy;
- :func:`resource_table` one line per generated resource.

>>> template = load_template('''
... Transform: AWS::Serverless-2016-10-31
... Resources:
...   Hello:
...     Type: AWS::Serverless::Function
...     Properties: {Runtime: python3.12, Handler: app.handler, CodeUri: s3://bucket/hello.zip}
... ''')
>>> sorted(transform(template)["Resources"])
['Hello', 'HelloRole']
"""
from __future__ import annotations

import logging
from typing import Any

import yaml

__all__ = ["load_template", "transform", "resource_table"]


class _TemplateLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short intrinsic-function tags."""


def _intrinsic(loader: _TemplateLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)


def load_template(text: str) -> dict[str, Any]:
    """A CloudFormation or SAM template from its YAML text (``!Ref X`` becomes ``{"Ref": "X"}``).

    >>> load_template("Value: !GetAtt Fn.Arn")
    {'Value': {'Fn::GetAtt': ['Fn', 'Arn']}}
    """
    template = yaml.load(text, Loader=_TemplateLoader)  # noqa: S506 - a SafeLoader subclass
    if not isinstance(template, dict):
        raise ValueError(f"a template is a YAML mapping, not {type(template).__name__}")
    return template


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def transform(template: dict[str, Any] | str, region: str = "us-east-1",
              account: str = "123456789012") -> dict[str, Any]:
    """The CloudFormation template that SAM makes of ``template`` (a dict or YAML text).

    Runs offline. Raises ``ValueError`` with SAM's own message when the template is invalid.
    """
    import boto3
    from samtranslator.metrics.metrics import DummyMetricsPublisher, Metrics
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    if isinstance(template, str):
        template = load_template(template)
    if "Resources" not in template:
        raise ValueError("a template is a YAML mapping with a Resources section")
    session = boto3.session.Session(region_name=region, aws_access_key_id="offline",
                                    aws_secret_access_key="offline")
    # the translator records usage metrics; a publisher that sends nothing, flushed below, keeps
    # it from warning "There are unpublished metrics" when it is garbage-collected later
    metrics = Metrics("ServerlessTransform", DummyMetricsPublisher())
    translator = Translator(None, Parser(), boto_session=session, metrics=metrics)
    quiet = logging.getLogger("samtranslator")
    level, quiet.level = quiet.level, logging.ERROR   # "feature not in toggle config" chatter
    try:
        return translator.translate(
            template, parameter_values={"AWS::AccountId": account, "AWS::Region": region},
            get_managed_policy_map=_NoManagedPolicies().load)
    except InvalidDocumentException as error:
        raise ValueError("; ".join(str(cause) for cause in error.causes)) from None
    finally:
        metrics.publish()
        quiet.level = level


def resource_table(cloudformation: dict[str, Any]) -> str:
    """One line per resource of a CloudFormation template: logical id and type, aligned."""
    resources = cloudformation.get("Resources") or {}
    width = max((len(name) for name in resources), default=0)
    return "\n".join(f"{name:<{width}}  {body['Type']}" for name, body in resources.items())
