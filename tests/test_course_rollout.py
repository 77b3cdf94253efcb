"""lambdakit.course.rollout: CodeDeploy-style gradual deployments of a real alias on the kit.

Every deployment here runs on a ManualClock, so the schedule's minutes pass without any real
waiting; the traffic, the alias's weights and the Errors metric are real (kit invocations,
UpdateAlias, the kit's CloudWatch).
"""
from __future__ import annotations

import json

import matplotlib
import pytest

from kit_helpers import function, role, running_kit, unique
from lambdakit.course import rollout
from lambdakit.course.rollout import (CompressedClock, ErrorsAlarm, ManualClock, Step,
                                      alias_traffic, deploy_gradually, schedule)

matplotlib.use("Agg")

CODE = '''
def handler(event, context):
    if FAIL:
        raise RuntimeError("version {} is broken".format(context.function_version))
    return {"version": context.function_version}
'''


@pytest.fixture(scope="module")
def kit():
    with running_kit() as kit:
        yield kit


@pytest.fixture(scope="module")
def role_arn(kit):
    return role(kit, {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": "*"})[1]


def versions(kit, role_arn, *failing):
    """A function with versions 1.. (``failing`` says which raise) and alias live -> 1."""
    lam = kit.client("lambda")
    name = function(kit, CODE.replace("FAIL", "False"), role_arn, prefix="rollout")
    published = [lam.publish_version(FunctionName=name)["Version"]]
    for fails in failing:
        lam.update_function_code(FunctionName=name, ZipFile=_zip(CODE.replace("FAIL", str(fails))))
        lam.get_waiter("function_updated_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
        published.append(lam.publish_version(FunctionName=name)["Version"])
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=published[0])
    return name, published


def _zip(source):
    import lambdakit
    return lambdakit.zip_code(source)


# schedules ----------------------------------------------------------------------------------

def test_canary_linear_and_all_at_once_schedules():
    assert schedule("Canary10Percent30Minutes") == [Step(0, 0.1), Step(1800, 1.0)]
    linear = schedule("Linear10PercentEvery3Minutes")
    assert [s.weight for s in linear] == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    assert [s.at_s for s in linear] == [i * 180 for i in range(10)]
    assert schedule("AllAtOnce") == [Step(0, 1.0)]
    assert schedule("CodeDeployDefault.LambdaCanary10Percent5Minutes") == schedule(
        "Canary10Percent5Minutes")
    # a share that does not divide 100 still ends at 100%
    assert [s.weight for s in schedule("Linear30PercentEvery1Minute")] == [0.3, 0.6, 0.9, 1.0]
    for preference in rollout.PREFERENCE_TYPES:
        assert schedule(preference)[-1].weight == 1.0


@pytest.mark.parametrize("bad", ["Canary10Percent", "BlueGreen", "Canary0Percent5Minutes",
                                 "Linear100PercentEvery1Minute"])
def test_unknown_or_impossible_preferences_are_refused(bad):
    with pytest.raises(ValueError, match=bad):
        schedule(bad)


def test_clocks():
    clock = ManualClock()
    clock.sleep(90)
    clock.sleep(0)
    assert clock.now() == 90
    with pytest.raises(ValueError, match="negative sleep"):
        clock.sleep(-1)
    fast = CompressedClock(scale=0.001)
    fast.sleep(5)                               # 5 AWS seconds = 5 ms
    assert fast.now() >= 5
    with pytest.raises(ValueError, match="scale"):
        CompressedClock(scale=0)


# deployments against the kit ----------------------------------------------------------------

def test_a_good_version_is_promoted_step_by_step(kit, role_arn):
    lam, cw = kit.client("lambda"), kit.client("cloudwatch")
    name, (v1, v2) = versions(kit, role_arn, False)
    result = deploy_gradually(name, "live", v2, "Linear10PercentEvery1Minute", clock=ManualClock(),
                              traffic=alias_traffic(lam, name, "live", requests=10),
                              lam=lam, cloudwatch=cw)
    assert result.status == "Succeeded", result.log()
    assert [w for _, w in result.weights] == [0.0] + [i / 10 for i in range(1, 11)]
    assert [t for t, _ in result.weights][1:] == [i * 60 for i in range(10)]
    alias = lam.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == v2
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    # the answers really came from both versions, the new one more and more, and none failed
    served = result.served()
    assert set(served) == {v1, v2} and sum(served.values()) == 10 * len(result.bursts)
    assert all(bad == 0 for *_, bad in result.bursts)
    last = result.bursts[-1]
    assert last[1] == 1.0 and last[2] == {v2: 10}
    assert lam.invoke(FunctionName=name, Qualifier="live")["ExecutedVersion"] == v2
    assert "succeeded" in result.log()


def test_a_failing_version_is_rolled_back_by_the_errors_alarm(kit, role_arn):
    lam, cw = kit.client("lambda"), kit.client("cloudwatch")
    name, (v1, v2) = versions(kit, role_arn, True)
    result = deploy_gradually(name, "live", v2, "Canary10Percent5Minutes", clock=ManualClock(),
                              traffic=alias_traffic(lam, name, "live", requests=40),
                              lam=lam, cloudwatch=cw)
    assert result.status == "RolledBack", result.log()
    assert "alarm" in result.reason and f"{name}:live" in result.reason
    # rolled back during the canary: 100% was never reached
    assert 1.0 not in [w for _, w in result.weights]
    assert result.weights[-1][1] == 0.0
    alias = lam.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == v1
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    # every failure the bursts saw came from the new version, and the alarm counted them
    failed = sum(bad for *_, bad in result.bursts)
    assert failed >= 1 and result.served()[v2] >= failed
    answers = alias_traffic(lam, name, "live", requests=5)()
    assert answers == [(v1, False)] * 5


def test_threshold_tolerates_errors_up_to_it(kit, role_arn):
    lam, cw = kit.client("lambda"), kit.client("cloudwatch")
    name, (_, v2) = versions(kit, role_arn, True)
    # an AllAtOnce deployment with a lenient alarm: the one burst fails 3 times, allowed
    alarm = ErrorsAlarm(cw, name, "live", threshold=3)
    result = deploy_gradually(name, "live", v2, "AllAtOnce", clock=ManualClock(),
                              traffic=alias_traffic(lam, name, "live", requests=3),
                              alarm=alarm, lam=lam, cloudwatch=cw, tick_s=60)
    assert result.status == "Succeeded", result.log()
    assert alarm.errors() == 3 and not alarm.in_alarm()
    with pytest.raises(ValueError, match="threshold"):
        ErrorsAlarm(cw, name, "live", threshold=-1)
    with pytest.raises(RuntimeError, match="arm"):
        ErrorsAlarm(cw, name, "live").errors()


def test_the_default_alarm_watches_the_new_version_only(kit, role_arn):
    # the alias's current version fails on every request; the new one never does: the default
    # alarm (ExecutedVersion = the new version) sees none of the old version's errors
    lam, cw = kit.client("lambda"), kit.client("cloudwatch")
    name, (v1, v2, v3) = versions(kit, role_arn, False, True)
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v3)
    result = deploy_gradually(name, "live", v2, "Linear10PercentEvery1Minute",
                              clock=ManualClock(), lam=lam, cloudwatch=cw,
                              traffic=alias_traffic(lam, name, "live", requests=10))
    assert result.status == "Succeeded", result.log()
    assert sum(bad for *_, bad in result.bursts) >= 1  # the old version failed meanwhile
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == v2
    alarm = ErrorsAlarm(cw, name, "live", version=v2)
    assert alarm.describe() == f"{name}:live (version {v2})"
    assert {"Name": "ExecutedVersion", "Value": v2} in alarm.dimensions()
    everything = ErrorsAlarm(cw, name, "live")  # the alias as a whole would have fired
    everything.arm()
    alias_traffic(lam, name, "live", requests=3)()  # all on v2 now: no new errors
    assert everything.errors() == 0 and len(everything.dimensions()) == 2


def test_hooks_run_before_and_after_and_a_failing_hook_rolls_back(kit, role_arn):
    lam, cw = kit.client("lambda"), kit.client("cloudwatch")
    name, (v1, v2) = versions(kit, role_arn, False)
    hook = function(kit, '''
import json, boto3
def handler(event, context):
    info = event["lambdakit"]
    answer = boto3.client("lambda").invoke(FunctionName=info["function"],
                                           Qualifier=info["version"], Payload=b"{}")
    print(info["phase"], event["DeploymentId"], answer["ExecutedVersion"])
    if "FunctionError" in answer:
        raise RuntimeError("version " + info["version"] + " failed its check")
    return "ok"
''', role_arn, prefix="hook", Timeout=10)
    good = deploy_gradually(name, "live", v2, "AllAtOnce", clock=ManualClock(),
                            pre_traffic=hook, post_traffic=hook, lam=lam, cloudwatch=cw)
    assert good.status == "Succeeded", good.log()
    assert "BeforeAllowTraffic hook" in good.log() and "AfterAllowTraffic hook" in good.log()
    assert good.bursts == []                      # no traffic callable: nothing sent

    # a broken version 3: the pre-traffic hook's own invocation of it fails, no traffic moves
    lam.update_function_code(FunctionName=name, ZipFile=_zip(CODE.replace("FAIL", "True")))
    lam.get_waiter("function_updated_v2").wait(FunctionName=name,
                                               WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    v3 = lam.publish_version(FunctionName=name)["Version"]
    bad = deploy_gradually(name, "live", v3, "Canary10Percent5Minutes", clock=ManualClock(),
                           pre_traffic=hook, lam=lam, cloudwatch=cw)
    assert bad.status == "RolledBack"
    assert "BeforeAllowTraffic hook" in bad.reason and f"version {v3} failed its check" in bad.reason
    assert [w for _, w in bad.weights] == [0.0, 0.0]
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == v2


def test_impossible_deployments_are_refused(kit, role_arn):
    lam, cw = kit.client("lambda"), kit.client("cloudwatch")
    name, (v1, v2) = versions(kit, role_arn, False)
    clock = ManualClock()
    with pytest.raises(ValueError, match="already points at version"):
        deploy_gradually(name, "live", v1, clock=clock, lam=lam, cloudwatch=cw)
    with pytest.raises(ValueError, match=r"\$LATEST"):
        deploy_gradually(name, "live", "$LATEST", clock=clock, lam=lam, cloudwatch=cw)
    with pytest.raises(ValueError, match="tick_s"):
        deploy_gradually(name, "live", v2, clock=clock, tick_s=0, lam=lam, cloudwatch=cw)
    lam.update_alias(FunctionName=name, Name="live",
                     RoutingConfig={"AdditionalVersionWeights": {v2: 0.5}})
    with pytest.raises(ValueError, match="already splits its traffic"):
        deploy_gradually(name, "live", v2, clock=clock, lam=lam, cloudwatch=cw)
    assert clock.now() == 0                       # refused before anything moved


def test_plot_and_explorer_draw():
    result = rollout.Deployment("f", "live", "1", "2", "Canary10Percent5Minutes",
                                status="RolledBack", weights=[(0, 0.0), (0, 0.1), (60, 0.0)])
    from collections import Counter
    result.bursts.append((0, 0.1, Counter({"1": 9, "2": 1}), 1))
    fig = rollout.plot_rollout(result, result)
    assert len(fig.axes) == 2 and "RolledBack" in fig.axes[0].get_title()
    with pytest.raises(ValueError, match="at least one"):
        rollout.plot_rollout()
    box = rollout.schedule_explorer("Linear10PercentEvery2Minutes")
    dropdown = box.children[0]
    assert dropdown.options == rollout.PREFERENCE_TYPES
    dropdown.value = "AllAtOnce"                  # redraws without error
    assert json.dumps(dropdown.value) == '"AllAtOnce"'


def test_docstring_examples():
    import doctest
    assert doctest.testmod(rollout).failed == 0
