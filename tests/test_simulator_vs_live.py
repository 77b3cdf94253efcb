"""The simulator checked against the live engine: the same small scenarios, run both ways.

Each scenario is written once, as data (functions and their settings, waves of requests with
their arrival times, how long the handler runs, the account limit, the idle lifetime). Two small
adapters run it:

- :func:`simulated` turns it into :class:`lambdakit.simulator.Workload` s for
  :func:`lambdakit.simulator.simulate` (the virtual clock);
- :func:`live` starts its own :class:`~lambdakit.server.Endpoint` with the scenario's
  :class:`~lambdakit.settings.Settings`, deploys the functions, configures reserved and
  provisioned concurrency through boto3, and replays the waves with real ``Invoke`` calls
  (the wall clock), SDK retries off so that every 429 is seen.

The counts must agree exactly: invocations, throttles (and why), cold starts, invocations
on provisioned environments. Timings differ (a live Init is a real process start); they are
shown side by side in the assertion message, for information only.

How the live run stays deterministic:

- A *held* request (``duration=HELD``) runs until the scenario ends: its handler marks its
  start with a file and waits for a release file the runner creates after the last wave.
  In the simulator it lasts longer than the whole scenario.
- Before firing a wave, the runner waits (polling, with a deadline) until every earlier
  request has *settled* (a held one is running or throttled, a short one has returned or been
  throttled) and until the wall clock reaches the wave's arrival time. So requests reach the
  engine in the scenario's order, as they reach the model in the simulator.
- Short requests finish well before the next wave (checked when a scenario is made), and
  gaps are far from the idle lifetime, so reuse or expiry does not depend on scheduling.
"""
from __future__ import annotations

import dataclasses
import json
import threading
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

import lambdakit.kit
from conftest import wait_for
from lambdakit.server import Endpoint
from lambdakit.settings import Settings
from lambdakit.simulator import PROVISIONED_QUALIFIER, ArrivalTimes, Workload, simulate
from test_concurrency_live import NO_RETRIES

HELD = None  # a request's duration: "until the scenario ends"

# Marks its start, then either waits for the release file or sleeps the scenario's duration;
# returns how its environment was initialised (on-demand or provisioned-concurrency).
HANDLER = """
import os, time

KIND = os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"]

def handler(event, context):
    open(event["started"], "w").close()
    if event.get("release"):
        while not os.path.exists(event["release"]):
            time.sleep(0.005)
    else:
        time.sleep(event["sleep_ms"] / 1000)
    return KIND
"""

# Throttle reasons on the wire -> the model's causes (the simulator's throttles_by_cause)
CAUSES = {"ReservedFunctionConcurrentInvocationLimitExceeded": "reserved-limit",
          "ConcurrentInvocationLimitExceeded": "account-limit"}
# what each side reports, per function; the values must be equal
COUNTS = ("requests", "invocations", "throttles", "throttles_by_cause", "cold_starts",
          "provisioned_invocations")


@dataclasses.dataclass(frozen=True)
class Function:
    """One function of a scenario. provisioned: on the alias the requests invoke."""

    name: str
    reserved: int | None = None
    provisioned: int = 0


@dataclasses.dataclass(frozen=True)
class Wave:
    """``requests`` (function name -> how many) arriving together at ``at`` seconds."""

    at: float
    requests: dict[str, int]


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A small workload with exact answers, runnable by the simulator and the live engine.

    duration_ms: how long each handler runs, or HELD (until the scenario ends).
    init_ms: the Init the simulator assumes for a cold start (live, it is whatever it takes).
    """

    name: str
    functions: tuple[Function, ...]
    waves: tuple[Wave, ...]
    duration_ms: float | None = HELD
    init_ms: float = 100.0
    account_limit: int = 1000
    idle_lifetime_s: float = 300.0
    expected: dict[str, dict] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        times = [w.at for w in self.waves]
        assert times == sorted(times), "waves must be in arrival order"
        if self.duration_ms is not HELD:  # each wave finishes, even cold, before the next
            gaps = [b - a for a, b in zip(times, times[1:])]
            assert all(gap * 1000 > 2 * (self.init_ms + self.duration_ms) for gap in gaps)

    def arrivals(self, function: str) -> list[float]:
        return [w.at for w in self.waves for _ in range(w.requests.get(function, 0))]


# -- the simulator's adapter ---------------------------------------------------------------
def simulated(scenario: Scenario) -> dict[str, dict]:
    """Counts per function (and the simulated latency) from :func:`simulate`."""
    # a held request outlasts the scenario: it ends a minute after the last arrival
    duration = (scenario.duration_ms if scenario.duration_ms is not HELD
                else (scenario.waves[-1].at + 60) * 1000)
    workloads = [Workload(f.name, ArrivalTimes(scenario.arrivals(f.name)), duration,
                          init_ms=scenario.init_ms, reserved=f.reserved, provisioned=f.provisioned)
                 for f in scenario.functions]
    result = simulate(workloads, account_limit=scenario.account_limit,
                      idle_lifetime_s=scenario.idle_lifetime_s)
    out = {}
    for f in scenario.functions:
        r = result.functions[f.name]
        out[f.name] = {key: getattr(r, key) for key in COUNTS}
        out[f.name]["timing"] = (
            f"simulated: Init {scenario.init_ms:.0f} ms assumed, " +
            ("requests held to the end" if scenario.duration_ms is HELD else
             f"latency max {r.latency_ms['max']:.0f} ms, last end {result.end_time:.3f} s"))
    return out


# -- the live engine's adapter -----------------------------------------------------------
@dataclasses.dataclass
class Request:
    function: str
    started: Path  # the handler creates it when it runs
    done: bool = False
    status: int | None = None
    throttle_reason: str | None = None
    kind: str | None = None  # the environment's AWS_LAMBDA_INITIALIZATION_TYPE
    seconds: float | None = None  # client-side latency

    @property
    def settled(self) -> bool:
        """Its fate is known: throttled, returned, or running in a handler."""
        return self.done or self.started.exists()


def live(scenario: Scenario, workdir: Path) -> dict[str, dict]:
    """Counts per function from real invocations through a private endpoint."""
    settings = Settings(account_concurrency=scenario.account_limit,
                        idle_timeout=scenario.idle_lifetime_s)
    endpoint = Endpoint(settings=settings).start()
    try:
        kit = lambdakit.kit.Kit(endpoint)
        admin = kit.client("lambda")
        lam = kit.client("lambda", config=NO_RETRIES)  # a 429 must not be retried away
        suffix = uuid.uuid4().hex[:8]
        names, qualifiers = {}, {}
        for f in scenario.functions:
            name = names[f.name] = f"{scenario.name}-{f.name}-{suffix}"
            kit.deploy(name, HANDLER, Timeout=120)
            if f.reserved is not None:
                admin.put_function_concurrency(FunctionName=name,
                                               ReservedConcurrentExecutions=f.reserved)
            if f.provisioned:
                version = admin.publish_version(FunctionName=name)["Version"]
                admin.create_alias(FunctionName=name, Name=PROVISIONED_QUALIFIER,
                                   FunctionVersion=version)
                admin.put_provisioned_concurrency_config(
                    FunctionName=name, Qualifier=PROVISIONED_QUALIFIER,
                    ProvisionedConcurrentExecutions=f.provisioned)
                wait_for(lambda: admin.get_provisioned_concurrency_config(
                    FunctionName=name, Qualifier=PROVISIONED_QUALIFIER)["Status"] == "READY",
                    timeout=60, message=f"{name}:{PROVISIONED_QUALIFIER} READY")
                qualifiers[f.name] = PROVISIONED_QUALIFIER

        release = workdir / "release"
        requests: list[Request] = []
        threads: list[threading.Thread] = []

        def call(request: Request) -> None:
            payload = {"started": str(request.started)}
            if scenario.duration_ms is HELD:
                payload["release"] = str(release)
            else:
                payload["sleep_ms"] = scenario.duration_ms
            extra = {"Qualifier": qualifiers[request.function]} if request.function in qualifiers else {}
            began = time.monotonic()
            try:
                response = lam.invoke(FunctionName=names[request.function],
                                      Payload=json.dumps(payload), **extra)
                request.status = response["StatusCode"]
                request.kind = json.load(response["Payload"])
            except ClientError as error:
                request.status = error.response["ResponseMetadata"]["HTTPStatusCode"]
                request.throttle_reason = error.response.get("Reason")
            request.seconds = time.monotonic() - began
            request.done = True

        start = time.monotonic()
        for wave in scenario.waves:
            wait_for(lambda: all(r.settled for r in requests), timeout=60,
                     message=f"the requests before t={wave.at} to settle")
            wait_for(lambda: time.monotonic() - start >= wave.at, timeout=wave.at + 60,
                     message=f"t={wave.at}")
            for function, count in wave.requests.items():
                for _ in range(count):
                    request = Request(function, workdir / f"started-{len(requests)}")
                    requests.append(request)
                    threads.append(threading.Thread(target=call, args=(request,)))
                    threads[-1].start()
        wait_for(lambda: all(r.settled for r in requests), timeout=60,
                 message="the last wave to settle")
        release.touch()
        for thread in threads:
            thread.join(timeout=60)
        assert all(r.done for r in requests), "an invocation did not return"
        elapsed = time.monotonic() - start

        records = kit.records
        out = {}
        for f in scenario.functions:
            mine = [r for r in requests if r.function == f.name]
            ran = [r for r in records if r.function_name == names[f.name]]
            throttled = [r for r in mine if r.status == 429]
            causes: dict[str, int] = {}
            for r in throttled:
                cause = CAUSES.get(r.throttle_reason, r.throttle_reason)
                causes[cause] = causes.get(cause, 0) + 1
            assert sorted(r.status for r in mine) == sorted(
                [200] * (len(mine) - len(throttled)) + [429] * len(throttled)), mine
            inits = [r.init_ms for r in ran if r.cold]
            out[f.name] = {
                "requests": len(mine), "invocations": len(ran), "throttles": len(throttled),
                "throttles_by_cause": dict(sorted(causes.items())),
                "cold_starts": sum(r.cold for r in ran),
                "provisioned_invocations": sum(r.kind == "provisioned-concurrency" for r in mine),
                "timing": (f"live: Init {', '.join(f'{ms:.0f}' for ms in inits) or '-'} ms measured, "
                           f"latency max {max((r.seconds for r in mine), default=0) * 1000:.0f} ms"
                           f"{' (held)' if scenario.duration_ms is HELD else ''}, "
                           f"last end {elapsed:.3f} s"),
            }
        for name in names.values():
            admin.delete_function(FunctionName=name)
        return out
    finally:
        endpoint.stop()


# -- the scenarios ---------------------------------------------------------------------------
SCENARIOS = [
    Scenario(
        "reserved",  # R=2, five long requests at once: two run (cold), three are throttled
        functions=(Function("orders", reserved=2),),
        waves=(Wave(0.0, {"orders": 5}),),
        expected={"orders": {"invocations": 2, "throttles": 3, "cold_starts": 2,
                             "throttles_by_cause": {"reserved-limit": 3}}}),
    Scenario(
        "account",  # an account limit of 3 shared: "a" takes 2, so "b" gets 1 of its 3
        functions=(Function("a"), Function("b")),
        waves=(Wave(0.0, {"a": 2}), Wave(0.2, {"b": 3})),
        account_limit=3,
        expected={"a": {"invocations": 2, "throttles": 0, "cold_starts": 2},
                  "b": {"invocations": 1, "throttles": 2, "cold_starts": 1,
                        "throttles_by_cause": {"account-limit": 2}}}),
    Scenario(
        "provisioned",  # P=2 on the alias, three at once: one spills over to a cold start
        functions=(Function("api", provisioned=2),),
        waves=(Wave(0.0, {"api": 3}),),
        expected={"api": {"invocations": 3, "throttles": 0, "cold_starts": 1,
                          "provisioned_invocations": 2}}),
    Scenario(
        "reserved-and-provisioned",  # R=3 includes P=1: one provisioned, two on demand, two 429s
        functions=(Function("api", reserved=3, provisioned=1),),
        waves=(Wave(0.0, {"api": 5}),),
        expected={"api": {"invocations": 3, "throttles": 2, "cold_starts": 2,
                          "provisioned_invocations": 1,
                          "throttles_by_cause": {"reserved-limit": 2}}}),
    Scenario(
        "warm",  # one at a time, gaps well inside the idle lifetime: one environment throughout
        functions=(Function("tick"),),
        waves=tuple(Wave(0.5 * k, {"tick": 1}) for k in range(4)),
        duration_ms=20, idle_lifetime_s=3.0,
        expected={"tick": {"invocations": 4, "throttles": 0, "cold_starts": 1}}),
    Scenario(
        "expired",  # the same, but a gap twice the idle lifetime: the environment is gone
        functions=(Function("tick"),),
        waves=(Wave(0.0, {"tick": 1}), Wave(0.5, {"tick": 1}), Wave(3.0, {"tick": 1})),
        duration_ms=20, idle_lifetime_s=1.0,
        expected={"tick": {"invocations": 3, "throttles": 0, "cold_starts": 2}}),
]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_same_scenario_same_answer(scenario, tmp_path):
    sim = simulated(scenario)
    real = live(scenario, tmp_path)
    timings = "\n".join(f"  {name}: {sim[name]['timing']} | {real[name]['timing']}" for name in sim)
    for name in sim:
        sim_counts = {key: sim[name][key] for key in COUNTS}
        live_counts = {key: real[name][key] for key in COUNTS}
        assert sim_counts == live_counts, (
            f"{scenario.name}/{name}: simulator {sim_counts} != live {live_counts}\n"
            f"timings (information only):\n{timings}")
        wanted = scenario.expected.get(name, {})
        assert {key: sim_counts[key] for key in wanted} == wanted, (
            f"{scenario.name}/{name}: both sides agree on {sim_counts}, but the expected "
            f"answer is {wanted}\ntimings (information only):\n{timings}")
    print(f"\n{scenario.name}: {sim}\n{timings}")


def test_the_simulator_side_alone_is_instant():
    """The simulator's half of every scenario runs in a blink (the live half is the slow one)."""
    began = time.perf_counter()
    for scenario in SCENARIOS:
        simulated(scenario)
    assert time.perf_counter() - began < 1.0
