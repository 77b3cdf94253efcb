"""Gradual deployments of a Lambda alias, run the way AWS CodeDeploy runs them.

The kit has no CodeDeploy, so :func:`deploy_gradually` plays its part with the real Lambda
and CloudWatch APIs of the kit: it runs a pre-traffic hook, shifts the alias's weights step
by step on the schedule of a SAM ``DeploymentPreference`` type, watches the ``Errors`` metric
like a CloudWatch alarm, and either promotes the new version or rolls the alias back.

- :func:`schedule` the steps of a preference type (``Canary10Percent5Minutes``, ...);
- :class:`CompressedClock` AWS time running faster (a lesson), :class:`ManualClock` time that
  moves only when slept on (tests: no real waiting at all);
- :class:`ErrorsAlarm` the alias's ``Errors`` (of one version behind it, or all) since the
  deployment began, against a threshold;
- :func:`alias_traffic` a burst of real invocations through the alias;
- :func:`plot_rollout` the traffic share over time; :func:`schedule_explorer` a widget.

>>> schedule("Canary10Percent5Minutes")
[Step(at_s=0, weight=0.1), Step(at_s=300, weight=1.0)]
>>> [step.weight for step in schedule("Linear10PercentEvery1Minute")][:3]
[0.1, 0.2, 0.3]
>>> schedule("AllAtOnce")
[Step(at_s=0, weight=1.0)]
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import time
import uuid
from collections import Counter
from typing import Any, Callable

__all__ = ["PREFERENCE_TYPES", "Step", "schedule", "CompressedClock", "ManualClock",
           "ErrorsAlarm", "alias_traffic", "Deployment", "deploy_gradually", "plot_rollout",
           "plot_schedule", "schedule_explorer"]

#: the ``DeploymentPreference`` types SAM accepts (CodeDeploy's predefined Lambda configurations)
PREFERENCE_TYPES = (
    "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes",
    "Canary10Percent30Minutes", "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes",
    "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes", "AllAtOnce")

_CANARY = re.compile(r"^Canary(\d+)Percent(\d+)Minutes?$")
_LINEAR = re.compile(r"^Linear(\d+)PercentEvery(\d+)Minutes?$")
_PREFIX = "CodeDeployDefault.Lambda"


@dataclasses.dataclass(frozen=True)
class Step:
    """At ``at_s`` AWS seconds after the start, the new version gets ``weight`` of the traffic."""

    at_s: float
    weight: float


def schedule(preference: str) -> list[Step]:
    """The traffic steps of a deployment preference type, as CodeDeploy applies them.

    ``CanaryNPercentMMinutes``: N% at once, the rest M minutes later.
    ``LinearNPercentEveryMMinutes``: N% more every M minutes until 100%.
    ``AllAtOnce``: everything at once. CodeDeploy's own names
    (``CodeDeployDefault.LambdaCanary10Percent5Minutes``) are accepted too.

    >>> schedule("CodeDeployDefault.LambdaLinear10PercentEvery2Minutes")[-1]
    Step(at_s=1080, weight=1.0)
    """
    name = preference[len(_PREFIX):] if preference.startswith(_PREFIX) else preference
    if name == "AllAtOnce":
        return [Step(0, 1.0)]
    canary, linear = _CANARY.match(name), _LINEAR.match(name)
    if canary:
        percent, minutes = int(canary[1]), int(canary[2])
        _check_percent(preference, percent)
        return [Step(0, percent / 100), Step(minutes * 60, 1.0)]
    if linear:
        percent, minutes = int(linear[1]), int(linear[2])
        _check_percent(preference, percent)
        steps, share, at = [], 0, 0
        while share < 100:
            share = min(share + percent, 100)
            steps.append(Step(at, share / 100))
            at += minutes * 60
        return steps
    raise ValueError(f"unknown deployment preference {preference!r}; SAM's types are "
                     f"{', '.join(PREFERENCE_TYPES)}")


def _check_percent(preference: str, percent: int) -> None:
    if not 0 < percent < 100:
        raise ValueError(f"{preference!r}: the first share must be 1 to 99 percent, not {percent}")


class CompressedClock:
    """AWS time that runs ``1 / scale`` times faster than real time.

    ``now()`` is AWS seconds since the clock was made; ``sleep(s)`` waits ``s`` AWS seconds,
    that is ``s * scale`` real seconds. At ``scale=0.005`` five AWS minutes last 1.5 s.
    """

    def __init__(self, scale: float):
        if not 0 < scale <= 1:
            raise ValueError(f"scale must be above 0 and at most 1, not {scale}")
        self.scale = scale
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) / self.scale

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds * self.scale)


class ManualClock:
    """AWS time that moves only when slept on: ``sleep(s)`` returns at once, ``s`` later.

    >>> clock = ManualClock()
    >>> clock.sleep(300)
    >>> clock.now()
    300.0
    """

    def __init__(self) -> None:
        self._now = 0.0

    def now(self) -> float:
        return self._now

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"negative sleep {seconds}")
        self._now += seconds


class ErrorsAlarm:
    """The ``Errors`` of ``function:alias`` in the kit's CloudWatch since :meth:`arm`, against a
    threshold: in alarm when more than ``threshold`` errors were counted (CloudWatch's
    ``GreaterThanThreshold``). With ``version``, only the errors of invocations the alias
    routed to that version count (the ``ExecutedVersion`` dimension), as an alarm on the new
    version of a deployment does.

    CloudWatch keeps Lambda's metrics per minute, so the alarm reads every minute since the
    deployment began and subtracts what was already counted when it was armed.
    """

    def __init__(self, cloudwatch: Any, function: str, alias: str, threshold: float = 0,
                 version: str | None = None):
        if threshold < 0:
            raise ValueError(f"threshold must be 0 or more, not {threshold}")
        self.cloudwatch, self.function, self.alias = cloudwatch, function, alias
        self.threshold, self.version = threshold, version
        self._since: dt.datetime | None = None
        self._baseline = 0.0

    def _total(self) -> float:
        now = dt.datetime.now(dt.timezone.utc)
        points = self.cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName="Errors", Statistics=["Sum"],
            Dimensions=self.dimensions(),
            StartTime=self._since, EndTime=now + dt.timedelta(minutes=2), Period=60)["Datapoints"]
        return sum(point["Sum"] for point in points)

    def dimensions(self) -> list[dict[str, str]]:
        """The CloudWatch dimensions the alarm watches."""
        dims = [{"Name": "FunctionName", "Value": self.function},
                {"Name": "Resource", "Value": f"{self.function}:{self.alias}"}]
        if self.version is not None:
            dims.append({"Name": "ExecutedVersion", "Value": str(self.version)})
        return dims

    def describe(self) -> str:
        """What is watched, for messages: ``name:alias`` (``version N``)."""
        watched = f"{self.function}:{self.alias}"
        return watched if self.version is None else f"{watched} (version {self.version})"

    def arm(self) -> None:
        """Start counting from now."""
        now = dt.datetime.now(dt.timezone.utc)
        self._since = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=1)
        self._baseline = self._total()

    def errors(self) -> float:
        """Errors counted since :meth:`arm`."""
        if self._since is None:
            raise RuntimeError("arm() the alarm before reading it")
        return self._total() - self._baseline

    def in_alarm(self) -> bool:
        return self.errors() > self.threshold


def alias_traffic(lam: Any, function: str, alias: str, requests: int = 20,
                  payload: Any = None) -> Callable[[], list[tuple[str, bool]]]:
    """A burst of ``requests`` real invocations through ``function:alias``.

    Returns a callable; each call sends the burst and answers ``[(ExecutedVersion, failed)]``,
    read from Lambda's answers.
    """
    body = json.dumps(payload if payload is not None else {})

    def burst() -> list[tuple[str, bool]]:
        answers = []
        for _ in range(requests):
            response = lam.invoke(FunctionName=function, Qualifier=alias, Payload=body)
            response["Payload"].read()
            answers.append((response["ExecutedVersion"], "FunctionError" in response))
        return answers

    return burst


@dataclasses.dataclass
class Deployment:
    """What one gradual deployment did.

    ``status`` is ``Succeeded`` or ``RolledBack``; ``events`` are (AWS seconds, message);
    ``bursts`` are (AWS seconds when it was sent, configured weight of the new version,
    Counter of executed versions, failed invocations) for every burst of traffic;
    ``weights`` are (AWS seconds, weight of the new version) each time the alias changed.
    """

    function: str
    alias: str
    old_version: str
    new_version: str
    preference: str
    status: str = "InProgress"
    reason: str = ""
    events: list[tuple[float, str]] = dataclasses.field(default_factory=list)
    bursts: list[tuple[float, float, Counter, int]] = dataclasses.field(default_factory=list)
    weights: list[tuple[float, float]] = dataclasses.field(default_factory=list)

    def served(self) -> Counter:
        """Invocations per executed version, over the whole deployment."""
        total: Counter = Counter()
        for _, _, counts, _ in self.bursts:
            total.update(counts)
        return total

    def log(self) -> str:
        """The events, one a line, on AWS's clock."""
        return "\n".join(f"{at / 60:5.1f} min  {message}" for at, message in self.events)


def _hook(lam: Any, hook: str, phase: str, deployment: Deployment) -> str | None:
    """Invoke a lifecycle hook function; None if it succeeded, else why it failed."""
    event = {"DeploymentId": f"d-{uuid.uuid4().hex[:9].upper()}",
             "LifecycleEventHookExecutionId": uuid.uuid4().hex,
             "lambdakit": {"phase": phase, "function": deployment.function,
                           "alias": deployment.alias, "version": deployment.new_version}}
    response = lam.invoke(FunctionName=hook, Payload=json.dumps(event))
    answer = response["Payload"].read().decode() or "null"
    if "FunctionError" in response:
        return f"{phase} hook {hook} failed: {json.loads(answer).get('errorMessage', answer)}"
    return None


def deploy_gradually(function: str, alias: str, new_version: str,
                     preference: str = "Canary10Percent5Minutes", *, clock: Any,
                     traffic: Callable[[], list[tuple[str, bool]]] | None = None,
                     alarm: ErrorsAlarm | None = None, pre_traffic: str | None = None,
                     post_traffic: str | None = None, tick_s: float = 60,
                     lam: Any = None, cloudwatch: Any = None) -> Deployment:
    """Shift ``function:alias`` to ``new_version`` as CodeDeploy would, and return what happened.

    function, alias: the alias callers use; it must point at one published version now.
    new_version: the published version to deploy.
    preference: a SAM ``DeploymentPreference`` type (see :func:`schedule`).
    clock: :class:`CompressedClock` or :class:`ManualClock`; the schedule is in AWS seconds.
    traffic: called every ``tick_s`` AWS seconds while traffic shifts (for example
      :func:`alias_traffic`); its answers are recorded in ``Deployment.bursts``.
    alarm: an :class:`ErrorsAlarm`; default: any error of the new version behind the alias
      (threshold 0, ``ExecutedVersion`` = ``new_version``).
    pre_traffic, post_traffic: names of hook functions, invoked before the first shift and
      after the last; a function error fails the deployment. (CodeDeploy sends only the two
      ids; the kit adds ``event["lambdakit"]["version"]``, which on AWS a hook reads from an
      environment variable set by the template.)
    lam, cloudwatch: clients (default: ``boto3.client(...)``, the kit's once it has started).

    Rollback (alarm or hook): the alias points at the old version alone again.

    >>> result = deploy_gradually("orders", "live", "2", "Canary10Percent5Minutes",
    ...                           clock=CompressedClock(0.005), traffic=alias_traffic(lam, "orders", "live"))  # doctest: +SKIP
    >>> result.status  # doctest: +SKIP
    'Succeeded'
    """
    if tick_s <= 0:
        raise ValueError(f"tick_s must be positive, not {tick_s}")
    steps = schedule(preference)
    if lam is None or cloudwatch is None:
        import boto3
        lam = lam or boto3.client("lambda")
        cloudwatch = cloudwatch or boto3.client("cloudwatch")
    current = lam.get_alias(FunctionName=function, Name=alias)
    if (current.get("RoutingConfig") or {}).get("AdditionalVersionWeights"):
        raise ValueError(f"{function}:{alias} already splits its traffic "
                         f"({current['RoutingConfig']['AdditionalVersionWeights']}); "
                         "finish or roll back that deployment first")
    old = current["FunctionVersion"]
    if old == "$LATEST" or new_version == "$LATEST":
        raise ValueError("an alias can shift traffic only between published versions, not $LATEST")
    if str(new_version) == old:
        raise ValueError(f"{function}:{alias} already points at version {old}")
    result = Deployment(function, alias, old, str(new_version), preference)
    alarm = alarm or ErrorsAlarm(cloudwatch, function, alias, version=str(new_version))
    start = clock.now()

    def at() -> float:
        return clock.now() - start

    def note(message: str) -> None:
        result.events.append((at(), message))

    def set_weight(weight: float) -> None:
        if weight >= 1:
            lam.update_alias(FunctionName=function, Name=alias, FunctionVersion=result.new_version,
                             RoutingConfig={"AdditionalVersionWeights": {}})
        else:
            lam.update_alias(FunctionName=function, Name=alias, FunctionVersion=old,
                             RoutingConfig={"AdditionalVersionWeights": {result.new_version: weight}})
        result.weights.append((at(), weight))

    def roll_back(reason: str) -> Deployment:
        lam.update_alias(FunctionName=function, Name=alias, FunctionVersion=old,
                         RoutingConfig={"AdditionalVersionWeights": {}})
        result.weights.append((at(), 0.0))
        result.status, result.reason = "RolledBack", reason
        note(f"rolled back: {alias} -> version {old} only ({reason})")
        return result

    note(f"deployment of version {result.new_version} to {alias} ({preference}); "
         f"{alias} serves version {old}")
    result.weights.append((0.0, 0.0))
    if pre_traffic:
        failure = _hook(lam, pre_traffic, "BeforeAllowTraffic", result)
        if failure:
            return roll_back(failure)
        note(f"BeforeAllowTraffic hook {pre_traffic} succeeded")
    alarm.arm()
    for index, step in enumerate(steps):
        clock.sleep(max(0.0, step.at_s - at()))
        set_weight(step.weight)
        note(f"{step.weight:.0%} of {alias} to version {result.new_version}")
        # bake: a burst of traffic and an alarm check every tick, until the next step (or
        # for one tick after the last one)
        until = steps[index + 1].at_s if index + 1 < len(steps) else step.at_s + tick_s
        while True:
            if traffic is not None:
                sent_at = at()
                answers = traffic()
                counts = Counter(version for version, _ in answers)
                failed = sum(1 for _, bad in answers if bad)
                result.bursts.append((sent_at, step.weight, counts, failed))
            if alarm.in_alarm():
                return roll_back(f"alarm: {alarm.errors():.0f} Errors on {alarm.describe()}, "
                                 f"threshold {alarm.threshold:g}")
            remaining = until - at()
            if remaining <= 0:
                break
            clock.sleep(min(tick_s, remaining))
            if at() >= until:
                break
    if post_traffic:
        failure = _hook(lam, post_traffic, "AfterAllowTraffic", result)
        if failure:
            return roll_back(failure)
        note(f"AfterAllowTraffic hook {post_traffic} succeeded")
    result.status = "Succeeded"
    note(f"succeeded: {alias} -> version {result.new_version}")
    return result


def plot_rollout(*deployments: Deployment, ax: Any = None) -> Any:
    """Traffic share of the new version over AWS time: the configured weight (a black step
    line) and the share measured in each burst of real answers (a green dot, or a vermillion
    cross when the burst had errors). One panel per deployment, in the course's colours.
    Returns a :class:`~lambdakit.course.charts.Chart`; ``str(chart)`` says what it shows.

    >>> plot_rollout(bad, good)      # doctest: +SKIP
    """
    from . import charts

    if not deployments:
        raise ValueError("give at least one Deployment")
    if ax is None:
        fig = charts.new_figure(4.6 * len(deployments) + 0.6, 3.6)
        axes = list(fig.subplots(1, len(deployments), squeeze=False, sharey=True)[0])
    else:
        fig, axes = ax.figure, [ax]
    for axis, result in zip(axes, deployments):
        times = [t / 60 for t, _ in result.weights]
        axis.step(times, [w * 100 for _, w in result.weights], where="post",
                  color=charts.color("reference"))
        shares = [(t / 60, 100 * counts[result.new_version] / max(1, sum(counts.values())), bad)
                  for t, _, counts, bad in result.bursts]
        for failed, meaning, marker in ((False, "success", "o"), (True, "error", "X")):
            points = [s for s in shares if bool(s[2]) == failed]
            if points:
                axis.scatter([s[0] for s in points], [s[1] for s in points], s=28, zorder=3,
                             color=charts.color(meaning), marker=marker)
        charts.label(axis, f"version {result.new_version}: {result.status} ({result.preference})",
                     x="AWS time since the deployment began (min)")
        axis.set_ylim(-5, 105)
        axis.grid(alpha=0.3)
    charts.label(axes[0], None, y="% of traffic to the new version")
    charts.legend_outside(fig, [
        charts.handle("reference", "configured weight", kind="line"),
        charts.handle("success", "measured share, burst without errors", kind="marker"),
        charts.handle("error", "measured share, burst with errors", kind="marker", marker="X")],
        below=True, ncols=3)
    return charts.Chart(fig, "Line chart of the share of traffic sent to the new version "
                             "against AWS minutes since the deployment began: "
                             + " | ".join(_describe_rollout(r) for r in deployments))


def _describe_rollout(result: Deployment) -> str:
    steps = " then ".join(f"{w:.0%} at minute {t / 60:g}" for t, w in result.weights)
    failed = sum(1 for *_, bad in result.bursts if bad)
    return (f"version {result.new_version}, {result.preference}, {result.status}: configured "
            f"weight {steps or 'never set'}; {len(result.bursts)} bursts measured, {failed} "
            f"with errors.")


def plot_schedule(preference: str) -> Any:
    """The schedule of a deployment preference type as a step chart: the share of traffic
    the new version gets, minute by minute. Returns a :class:`~lambdakit.course.charts.Chart`.

    >>> print(plot_schedule("Canary10Percent5Minutes"))
    Step chart of the Canary10Percent5Minutes schedule: 10% at minute 0, then 100% at minute 5 of the traffic goes to the new version.
    """
    from . import charts

    steps = schedule(preference)
    end = steps[-1].at_s + 60
    fig = charts.new_figure(7.5, 2.8)
    axis = fig.add_subplot()
    axis.step([s.at_s / 60 for s in steps] + [end / 60],
              [s.weight * 100 for s in steps] + [100], where="post",
              color=charts.color("reference"))
    axis.set_ylim(-5, 105)
    axis.grid(alpha=0.3)
    charts.label(axis, f"{preference}: {len(steps)} step(s), "
                       f"all traffic shifted after {steps[-1].at_s / 60:g} min",
                 x="time after the deployment starts (min)", y="% to the new version")
    said = ", then ".join(f"{s.weight:.0%} at minute {s.at_s / 60:g}" for s in steps)
    return charts.Chart(fig, f"Step chart of the {preference} schedule: {said} of "
                             f"the traffic goes to the new version.")


def schedule_explorer(preference: str = "Canary10Percent5Minutes") -> Any:
    """A dropdown of SAM's deployment preference types and the schedule each one follows."""
    import ipywidgets as widgets
    from IPython.display import display

    choice = widgets.Dropdown(options=PREFERENCE_TYPES, value=preference,
                              description="Deployment preference type",
                              style={"description_width": "200px"},
                              layout=widgets.Layout(width="520px"))
    out = widgets.Output()

    def draw(*_: Any) -> None:
        chart = plot_schedule(choice.value)
        with out:
            out.clear_output(wait=True)
            display(chart)
            print("  ".join(f"{s.at_s / 60:g} min: {s.weight:.0%}" for s in schedule(choice.value)))

    choice.observe(draw, names="value")
    draw()
    return widgets.VBox([choice, out])
