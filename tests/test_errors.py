"""Errors as AWS shapes them: handler errors, runtime faults, bad requests."""
from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

import lambdakit

ECHO = "def handler(event, context):\n    return event\n"


def error_of(call):
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    return error["ResponseMetadata"]["HTTPStatusCode"], error["Error"]["Code"], error["Error"]["Message"]


def test_handler_exception_is_unhandled_function_error(deploy):
    name = deploy.create("""
def handler(event, context):
    raise ValueError("order 42 has no items")
""")
    response = deploy.invoke(name)
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    body = response["Body"]
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "order 42 has no items"
    assert isinstance(body["stackTrace"], list) and "raise ValueError" in "".join(body["stackTrace"])
    # the environment survives a handler exception: the next call is warm
    again = deploy.invoke(name, LogType="Tail")
    assert again["FunctionError"] == "Unhandled"
    assert "Init Duration" not in __import__("base64").b64decode(again["LogResult"]).decode()


@pytest.mark.parametrize("files, handler, error_type, message_part", [
    ({"lambda_function.py": ECHO}, "lambda_function.missing", "Runtime.HandlerNotFound",
     "Handler 'missing' missing on module 'lambda_function'"),
    ({"lambda_function.py": ECHO}, "nomodule.handler", "Runtime.ImportModuleError",
     "Unable to import module 'nomodule'"),
    ({"lambda_function.py": "import not_installed_pkg\n" + ECHO}, "lambda_function.handler",
     "Runtime.ImportModuleError", "No module named 'not_installed_pkg'"),
    ({"lambda_function.py": "def handler(event, context)\n    return 1\n"},
     "lambda_function.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module"),
    ({"lambda_function.py": "raise RuntimeError('config missing')\n" + ECHO},
     "lambda_function.handler", "RuntimeError", "config missing"),
])
def test_init_failures(deploy, files, handler, error_type, message_part):
    name = deploy.create({"ZipFile": lambdakit.zip_code(files)}, handler=handler)
    response = deploy.invoke(name)
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == error_type
    assert message_part in response["Body"]["errorMessage"]


def test_unserialisable_result_is_marshal_error(deploy):
    name = deploy.create("def handler(event, context):\n    return {1, 2}\n")
    body = deploy.invoke(name)["Body"]
    assert body["errorType"] == "Runtime.MarshalError"
    assert "Unable to marshal response" in body["errorMessage"]


def test_timeout_kills_the_environment(deploy, endpoint):
    name = deploy.create("""
import os, time
def handler(event, context):
    if event.get("sleep"):
        time.sleep(event["sleep"])
    return os.getpid()
""", Timeout=1)
    pid = deploy.invoke(name)["Body"]
    response = deploy.invoke(name, {"sleep": 30})
    assert response["FunctionError"] == "Unhandled"
    body = response["Body"]
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"] == (f"RequestId: {response['ResponseMetadata']['RequestId']} "
                                    "Error: Task timed out after 1.00 seconds")
    after = deploy.invoke(name)
    assert after["Body"] != pid  # a new environment (new worker) served it
    record = endpoint.engine.records[-1]
    assert record.cold and record.status == "success"


def test_memory_above_memory_size_kills_the_environment(deploy):
    name = deploy.create("""
def handler(event, context):
    hog = bytearray(event["mb"] * 1024 * 1024)
    for i in range(0, len(hog), 4096):
        hog[i] = 1
    return len(hog)
""", MemorySize=128)
    assert deploy.invoke(name, {"mb": 8})["Body"] == 8 * 1024 * 1024
    response = deploy.invoke(name, {"mb": 200})
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Runtime.OutOfMemory"
    assert "Runtime exited with error: signal: killed" in response["Body"]["errorMessage"]


@pytest.mark.parametrize("code, reason", [
    ("os._exit(3)", "exit status 3"),
    ("os.kill(os.getpid(), signal.SIGKILL)", "signal: killed"),
])
def test_worker_crash_is_runtime_exit_error_and_environment_is_replaced(deploy, code, reason):
    name = deploy.create(f"""
import os, signal
def handler(event, context):
    if event.get("crash"):
        {code}
    return os.getpid()
""")
    pid = deploy.invoke(name)["Body"]
    response = deploy.invoke(name, {"crash": True})
    assert response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Runtime.ExitError"
    assert response["Body"]["errorMessage"].endswith(f"Error: Runtime exited with error: {reason}")
    assert deploy.invoke(name)["Body"] != pid


def test_malformed_json_payload(deploy):
    name = deploy.create(ECHO)
    status, code, message = error_of(lambda: deploy.lam.invoke(FunctionName=name, Payload=b"{nope"))
    assert (status, code) == (400, "InvalidRequestContentException")
    assert message.startswith("Could not parse request body into json")
    status, code, _ = error_of(lambda: deploy.lam.invoke(FunctionName=name, Payload=b"NaN"))
    assert (status, code) == (400, "InvalidRequestContentException")


def test_request_over_6_mb(deploy):
    name = deploy.create(ECHO)
    big = json.dumps({"blob": "x" * (6 * 1024 * 1024)})
    status, code, message = error_of(lambda: deploy.lam.invoke(FunctionName=name, Payload=big))
    # botocore models RequestTooLargeException; Lambda itself sends this code
    assert (status, code) == (413, "RequestEntityTooLargeException")
    assert message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    # asynchronous invocations allow 1 MB
    event = json.dumps({"blob": "x" * (1024 * 1024)})
    status, code, message = error_of(lambda: deploy.lam.invoke(FunctionName=name, Payload=event,
                                                               InvocationType="Event"))
    assert (status, code) == (413, "RequestEntityTooLargeException")
    assert message == (f"{len(event)} byte payload is too large for the Event invocation type "
                       "(limit 1048576 bytes)")
    # the connection is still usable afterwards
    assert deploy.invoke(name, {"ok": 1})["Body"] == {"ok": 1}


def test_response_over_6_mb(deploy):
    name = deploy.create("def handler(event, context):\n    return 'x' * (7 * 1024 * 1024)\n")
    response = deploy.invoke(name)
    assert response["StatusCode"] == 200 and response["FunctionError"] == "Unhandled"
    assert response["Body"]["errorType"] == "Function.ResponseSizeTooLarge"


def test_unknown_function_and_version(deploy):
    status, code, message = error_of(lambda: deploy.lam.invoke(FunctionName="ghost"))
    assert (status, code) == (404, "ResourceNotFoundException")
    assert message == "Function not found: arn:aws:lambda:us-east-1:123456789012:function:ghost"
    name = deploy.create(ECHO)
    status, code, message = error_of(lambda: deploy.lam.invoke(FunctionName=name, Qualifier="9"))
    assert (status, code) == (404, "ResourceNotFoundException")
    assert message.endswith(f"function:{name}:9")
    status, code, _ = error_of(lambda: deploy.lam.invoke(FunctionName=name, Qualifier="nosuchalias"))
    assert (status, code) == (404, "ResourceNotFoundException")


def test_bad_client_context(deploy):
    name = deploy.create(ECHO)
    status, code, _ = error_of(lambda: deploy.lam.invoke(FunctionName=name, ClientContext="%%%"))
    assert (status, code) == (400, "InvalidRequestContentException")


def test_unsupported_runtime_and_bad_zip_are_rejected_at_create(deploy):
    status, code, message = error_of(lambda: deploy.create(ECHO, Runtime="nodejs20.x"))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert "python3.x" in message
    status, code, message = error_of(lambda: deploy.create({"ZipFile": b"not a zip"}))
    assert (status, code) == (400, "InvalidParameterValueException")
    assert message.startswith("Could not unzip uploaded file")
    with pytest.raises(deploy.lam.exceptions.ResourceNotFoundException):
        deploy.lam.get_function(FunctionName="never-created")
