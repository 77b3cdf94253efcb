"""Shared fixtures: a local endpoint per worker kind, and clients bound to it."""
from __future__ import annotations

import json
import time
import uuid

import pytest

import lambdakit
import lambdakit.kit
from lambdakit.server import Endpoint
from lambdakit.settings import Settings

WORKER_KINDS = ["awslambdaric", "python"]


def wait_for(predicate, timeout=60.0, message="condition"):
    """Poll ``predicate`` until it returns a truthy value or ``timeout`` passes.

    The default deadline is generous on purpose: it costs nothing when things work, and a
    2-core CI machine under load took 6-12 s for waits that take 1 s on a quiet one.
    """
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


@pytest.fixture(scope="session", params=WORKER_KINDS)
def endpoint(request):
    """An in-process endpoint whose workers use one runtime client kind."""
    ep = Endpoint(settings=Settings(worker=request.param)).start()
    yield ep
    ep.stop()


class Deployer:
    """Creates functions with unique names against one endpoint."""

    def __init__(self, endpoint):
        self.endpoint = endpoint
        self.session = lambdakit.kit.Kit(endpoint)
        self.lam = self.session.client("lambda")
        self.role = self.session.execution_role()

    def client(self, service):
        return self.session.client(service)

    def create(self, source, name=None, handler="lambda_function.handler", wait=True, **config):
        name = name or f"fn-{uuid.uuid4().hex[:10]}"
        code = source if isinstance(source, dict) and "ZipFile" in source else {
            "ZipFile": lambdakit.zip_code(source)}
        config.setdefault("Runtime", "python3.12")
        self.lam.create_function(FunctionName=name, Role=self.role, Handler=handler,
                                 Code=code, **config)
        if wait:
            self.lam.get_waiter("function_active_v2").wait(
                FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
        return name

    def invoke(self, name, event=None, **kwargs):
        payload = kwargs.pop("Payload", json.dumps(event if event is not None else {}))
        response = self.lam.invoke(FunctionName=name, Payload=payload, **kwargs)
        body = response["Payload"].read()
        response["Body"] = json.loads(body) if body else None
        return response


@pytest.fixture(scope="session")
def deploy(endpoint):
    return Deployer(endpoint)


@pytest.fixture
def lam(deploy):
    return deploy.lam


def pytest_sessionfinish(session, exitstatus):
    """Fail the run if any worker process outlived the endpoints that started it."""
    import psutil

    import lambdakit.kit
    lambdakit.kit.stop()
    leftovers = [p for p in psutil.Process().children(recursive=True)
                 if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                 and "lk_bootstrap.py" in " ".join(p.cmdline())]
    if leftovers:
        print(f"\nworker processes left behind: {[p.pid for p in leftovers]}")
        session.exitstatus = 1


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item (the browser test screenshots failures)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
