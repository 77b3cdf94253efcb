"""Execution environments: cold and warm starts, concurrency, idle shutdown, updates, logs."""
from __future__ import annotations

import base64
import concurrent.futures
import json
import time

import psutil
import pytest
from conftest import Deployer, wait_for

import lambdakit
import lambdakit.kit
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

COUNTER = """
import os, time
INITS = 0
INITS += 1          # module scope: runs once per execution environment (Init)
print("init ran")
def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    print("handling", event.get("n"))
    return {"pid": os.getpid(), "inits": INITS, "version": "v1"}
"""


def test_init_runs_once_and_warm_invocations_reuse_the_environment(deploy, endpoint):
    name = deploy.create(COUNTER)
    bodies = [deploy.invoke(name, {"n": i})["Body"] for i in range(3)]
    assert len({b["pid"] for b in bodies}) == 1
    assert [b["inits"] for b in bodies] == [1, 1, 1]
    records = [r for r in endpoint.engine.records if r.function_name == name]
    assert [r.cold for r in records] == [True, False, False]
    assert records[0].init_ms > 0 and records[1].init_ms is None
    assert len({r.environment_id for r in records}) == 1


def test_concurrent_invocations_get_their_own_environments(deploy, endpoint):
    name = deploy.create(COUNTER)
    deploy.invoke(name)  # one warm environment
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        bodies = list(pool.map(lambda _: deploy.invoke(name, {"sleep": 0.5})["Body"], range(3)))
    assert len({b["pid"] for b in bodies}) == 3  # all three ran at once
    records = [r for r in endpoint.engine.records if r.function_name == name]
    assert sum(r.cold for r in records) == 3  # the warm one was reused, two new were started
    live = [e for e in endpoint.engine.environments() if e["pid"] in {b["pid"] for b in bodies}]
    assert len(live) == 3 and all(e["state"] == "idle" for e in live)


def test_idle_environments_shut_down():
    with Endpoint(settings=Settings(idle_timeout=0.3)) as ep:
        deploy = Deployer(ep)
        name = deploy.create(COUNTER)
        pid = deploy.invoke(name)["Body"]["pid"]
        assert psutil.pid_exists(pid)
        wait_for(lambda: not ep.engine.environments(), message="the idle environment to shut down")
        wait_for(lambda: not psutil.pid_exists(pid), message="the worker to exit")
        assert deploy.invoke(name)["Body"]["pid"] != pid
        assert ep.engine.records[-1].cold


def test_code_update_goes_through_in_progress_and_retires_old_environments(deploy, endpoint):
    name = deploy.create(COUNTER)
    old = deploy.invoke(name)["Body"]
    response = deploy.lam.update_function_code(
        FunctionName=name, ZipFile=lambdakit.zip_code(COUNTER.replace('"v1"', '"v2"')))
    assert response["LastUpdateStatus"] == "InProgress"
    deploy.lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    assert deploy.lam.get_function(FunctionName=name)["Configuration"]["LastUpdateStatus"] == "Successful"
    new = deploy.invoke(name)["Body"]
    assert new["version"] == "v2" and new["pid"] != old["pid"]
    wait_for(lambda: not psutil.pid_exists(old["pid"]), message="the old worker to stop")


def test_configuration_update_retires_environments(deploy):
    name = deploy.create(COUNTER)
    old = deploy.invoke(name)["Body"]
    response = deploy.lam.update_function_configuration(FunctionName=name, MemorySize=256)
    assert response["LastUpdateStatus"] == "InProgress"
    deploy.lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    assert deploy.invoke(name)["Body"]["pid"] != old["pid"]


def test_create_goes_pending_then_active(deploy):
    name = deploy.create(COUNTER, wait=False)
    deploy.lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    config = deploy.lam.get_function_configuration(FunctionName=name)
    assert config["State"] == "Active" and config["LastUpdateStatus"] == "Successful"


def test_create_response_says_pending(deploy):
    name = f"pending-{time.monotonic_ns()}"
    response = deploy.lam.create_function(
        FunctionName=name, Role=deploy.role, Runtime="python3.12", Handler="lambda_function.handler",
        Code={"ZipFile": lambdakit.zip_code(COUNTER)})
    assert response["State"] == "Pending" and response["StateReasonCode"] == "Creating"


def test_code_from_the_local_s3(deploy):
    s3 = deploy.client("s3")
    bucket = f"code-{time.monotonic_ns()}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="fn.zip", Body=lambdakit.zip_code(COUNTER))
    name = f"s3fn-{time.monotonic_ns()}"
    deploy.lam.create_function(FunctionName=name, Role=deploy.role, Runtime="python3.12",
                               Handler="lambda_function.handler",
                               Code={"S3Bucket": bucket, "S3Key": "fn.zip"})
    deploy.lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
    assert deploy.invoke(name)["Body"]["version"] == "v1"


def test_delete_function_stops_its_environments(deploy):
    name = deploy.create(COUNTER)
    pid = deploy.invoke(name)["Body"]["pid"]
    deploy.lam.delete_function(FunctionName=name)
    wait_for(lambda: not psutil.pid_exists(pid), message="the worker to stop")
    with pytest.raises(deploy.lam.exceptions.ResourceNotFoundException):
        deploy.lam.invoke(FunctionName=name)


def test_logs_are_framed_by_start_end_report(deploy):
    name = deploy.create(COUNTER, MemorySize=160)
    first = deploy.invoke(name, {"n": 1}, LogType="Tail")
    second = deploy.invoke(name, {"n": 2}, LogType="Tail")
    tail1 = base64.b64decode(first["LogResult"]).decode()
    tail2 = base64.b64decode(second["LogResult"]).decode()
    rid1 = first["ResponseMetadata"]["RequestId"]
    assert f"START RequestId: {rid1} Version: $LATEST" in tail1
    assert f"END RequestId: {rid1}" in tail1
    report = next(line for line in tail1.splitlines() if line.startswith("REPORT"))
    for part in ("Duration: ", "Billed Duration: ", "Memory Size: 160 MB", "Max Memory Used: ",
                 "Init Duration: "):
        assert part in report
    assert "init ran" in tail1 and "handling 1" in tail1
    assert "Init Duration" not in tail2 and "handling 2" in tail2
    assert "LogResult" not in deploy.invoke(name)  # only with LogType=Tail
    # the same lines are in CloudWatch Logs, one stream per environment
    logs = deploy.client("logs")
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    assert len(streams) == 1
    events = logs.get_log_events(logGroupName=f"/aws/lambda/{name}",
                                 logStreamName=streams[0]["logStreamName"])["events"]
    messages = [e["message"] for e in events]
    assert sum(m.startswith("START RequestId") for m in messages) == 3
    assert sum(m.startswith("REPORT RequestId") for m in messages) == 3
    timestamps = [e["timestamp"] for e in events]
    assert timestamps == sorted(timestamps)


def test_log_tail_is_the_last_4_kb(deploy):
    name = deploy.create("""
def handler(event, context):
    for i in range(500):
        print(f"line {i:04d} " + "x" * 40)
    return "done"
""")
    tail = base64.b64decode(deploy.invoke(name, LogType="Tail")["LogResult"])
    assert len(tail) == 4096
    assert tail.decode().rstrip().splitlines()[-1].startswith("REPORT RequestId")


def test_billed_duration_rounds_up_to_1_ms(deploy, endpoint):
    name = deploy.create(COUNTER)
    deploy.invoke(name, {"sleep": 0.0123})  # a cold start: its Init is billed too
    cold = endpoint.engine.records[-1]
    assert cold.cold and cold.billed_ms == int(cold.duration_ms + cold.init_ms) + 1
    deploy.invoke(name, {"sleep": 0.0123})
    warm = endpoint.engine.records[-1]
    assert not warm.cold and warm.billed_ms == int(warm.duration_ms) + 1
    assert warm.duration_ms >= 12.3


def test_no_worker_processes_survive_stop():
    ep = Endpoint().start()
    deploy = Deployer(ep)
    names = [deploy.create(COUNTER) for _ in range(2)]
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        bodies = list(pool.map(lambda i: deploy.invoke(names[i % 2], {"sleep": 0.2})["Body"],
                               range(4)))
    pids = {b["pid"] for b in bodies}
    assert len(pids) == 4 and all(psutil.pid_exists(p) for p in pids)
    ep.stop()
    for pid in pids:
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert ep.engine.environments() == []


def test_kit_deploy_creates_then_updates(endpoint):
    kit = lambdakit.kit.Kit(endpoint)
    name = f"deployed-{time.monotonic_ns()}"
    config = kit.deploy(name, "def handler(event, context):\n    return 1\n", Timeout=5)
    assert config["State"] == "Active" and config["Timeout"] == 5
    config = kit.deploy(name, "def handler(event, context):\n    return 2\n", Timeout=9)
    assert config["LastUpdateStatus"] == "Successful" and config["Timeout"] == 9
    assert json.load(kit.client("lambda").invoke(FunctionName=name)["Payload"]) == 2


INIT_PRINTS = """
import time
print("init: first")
time.sleep(0.3)     # Init takes a while; its last line is written just before it ends
print("init: last")
def handler(event, context):
    print("handler: ran")
    return "ok"
"""


def test_lines_written_during_init_come_before_start_in_the_log_stream(deploy):
    """As on AWS: INIT_START, Init's own lines, START, the handler's lines, END, REPORT."""
    name = deploy.create(INIT_PRINTS)
    deploy.invoke(name)
    deploy.invoke(name)  # warm: no Init lines
    logs = deploy.client("logs")
    group = f"/aws/lambda/{name}"
    [stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]
    lines = [e["message"].split(" ")[0].rstrip(":") if e["message"][:1].isupper()
             else e["message"].strip() for e in logs.get_log_events(
                 logGroupName=group, logStreamName=stream["logStreamName"],
                 startFromHead=True)["events"]]
    assert lines == ["INIT_START", "init: first", "init: last", "START", "handler: ran", "END",
                     "REPORT", "START", "handler: ran", "END", "REPORT"]
