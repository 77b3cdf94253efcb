"""A custom runtime (provided.*): the package's own bootstrap speaks the Runtime API."""
from __future__ import annotations

import sys

import lambdakit

BOOTSTRAP = f"""#!{sys.executable}
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as response:
        request_id = response.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(response.read())
    if event.get("fail"):
        body, path = {{"errorMessage": "asked to fail", "errorType": "Custom.Failure"}}, "/error"
    else:
        body, path = {{"echo": event, "handler": os.environ["_HANDLER"]}}, "/response"
    request = urllib.request.Request(api + request_id + path, data=json.dumps(body).encode(),
                                     method="POST")
    urllib.request.urlopen(request).read()
"""


def test_bootstrap_serves_invocations(deploy):
    name = deploy.create({"ZipFile": lambdakit.zip_code({"bootstrap": BOOTSTRAP})},
                         handler="function.handler", Runtime="provided.al2023")
    response = deploy.invoke(name, {"x": 1})
    assert response["Body"] == {"echo": {"x": 1}, "handler": "function.handler"}
    failed = deploy.invoke(name, {"fail": True})
    assert failed["FunctionError"] == "Unhandled"
    assert failed["Body"]["errorType"] == "Custom.Failure"
