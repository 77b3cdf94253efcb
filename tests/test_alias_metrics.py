"""Metrics of an alias: under FunctionName + Resource, and per version the alias routed to
(FunctionName + Resource + ExecutedVersion), so a canary's errors can be told apart."""
from __future__ import annotations

import collections

import lambdakit
from conftest import wait_for
from kit_helpers import statistic

FAILS_IN_TWO = """
def handler(event, context):
    if context.function_version == "2":
        raise ValueError("version 2 is broken")
    return "ok"
"""


def test_a_weighted_alias_publishes_metrics_per_executed_version(deploy):
    name = deploy.create(FAILS_IN_TWO)
    lam = deploy.lam
    v1 = lam.publish_version(FunctionName=name)["Version"]
    lam.update_function_configuration(FunctionName=name, Description="second")
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    v2 = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1,
                     RoutingConfig={"AdditionalVersionWeights": {v2: 0.5}})
    ran = collections.Counter()
    for _ in range(40):
        ran[deploy.invoke(name, Qualifier="live")["ExecutedVersion"]] += 1
    assert set(ran) == {v1, v2}  # 40 draws at 50%: both versions run (odds 1 in 5e11)
    deploy.invoke(name, Qualifier=v1)  # a version invoked directly: no ExecutedVersion

    kit = deploy.session
    alias = {"FunctionName": name, "Resource": f"{name}:live"}

    def per_version(metric, version):
        return statistic(kit, "AWS/Lambda", metric, {**alias, "ExecutedVersion": version})

    wait_for(lambda: statistic(kit, "AWS/Lambda", "Invocations", alias) == 40,
             message="40 invocations of the alias")
    assert per_version("Invocations", v1) == ran[v1]
    assert per_version("Invocations", v2) == ran[v2]
    assert per_version("Errors", v1) == 0
    assert per_version("Errors", v2) == ran[v2]  # only the canary fails
    assert statistic(kit, "AWS/Lambda", "Errors", alias) == ran[v2]
    assert statistic(kit, "AWS/Lambda", "Invocations",
                     {"FunctionName": name, "Resource": f"{name}:{v1}",
                      "ExecutedVersion": v1}) == 0
