"""lambdakit.course.diagnose: each common failure, produced live, is named with evidence and fix."""
from __future__ import annotations

import json
import uuid

import pytest

import lambdakit
from lambdakit.course.diagnose import CAUSES, HINTS, Diagnosis, Evidence, capture, diagnose, diagnoser

OK = "def handler(event, context):\n    return {'ok': True}\n"


@pytest.fixture(scope="module")
def kit():
    return lambdakit.start()


@pytest.fixture
def deployed(kit):
    lam = kit.client("lambda")
    created = []

    def deploy(source, **config):
        name = f"diag-{uuid.uuid4().hex[:8]}"
        kit.deploy(name, source, **config)
        created.append(name)
        return name

    yield deploy
    for name in created:
        lam.delete_function(FunctionName=name)


def test_a_timeout_is_named_from_the_answer_and_the_log(deployed):
    name = deployed("import time\ndef handler(event, context):\n    time.sleep(3)\n", Timeout=1)
    evidence = capture(name)
    assert evidence.function_error == "Unhandled" and evidence.error_type == "Sandbox.Timedout"
    found = diagnose(evidence)
    assert found.cause == "timeout"
    assert any("Task timed out after 1.00 seconds" in line for line in found.evidence)
    assert any(line.startswith("REPORT Duration: 1000") for line in found.evidence)


def test_running_out_of_memory_shows_max_memory_used(deployed):
    name = deployed("def handler(event, context):\n    return len(bytearray(300 * 1024 * 1024))\n",
                    MemorySize=128)
    found = diagnose(capture(name))
    assert found.cause == "out of memory"
    assert any("Memory Size: 128" in line and "Max Memory Used" in line for line in found.evidence)
    assert "MemorySize" in found.fix


def test_an_unhandled_exception_points_at_its_line(deployed):
    name = deployed("def handler(event, context):\n    return event['order_id']\n")
    found = diagnose(capture(name, {"id": 7}))
    assert found.cause == "unhandled exception"
    assert found.evidence[0] == "KeyError: 'order_id'"
    assert "line 2, in handler" in found.evidence[1]


def test_an_init_error_is_told_apart_from_a_handler_error(deployed):
    name = deployed("import os\nTABLE = os.environ['TABLE_NAME']\n"
                    "def handler(event, context):\n    return TABLE\n")
    evidence = capture(name)
    lines = evidence.log_text(60).splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert lines.index(next(l for l in lines if l.startswith("[ERROR]"))) < lines.index(
        next(l for l in lines if l.startswith("START")))
    found = diagnose(evidence)
    assert found.cause == "init error"
    assert found.evidence[0] == "KeyError: 'TABLE_NAME'"
    assert "environment variable" in found.fix


@pytest.mark.parametrize("handler, cause", [
    ("lambda_function.main", "handler function not found"),
    ("app.handler", "handler file not found"),
])
def test_a_wrong_handler_setting_is_named(deployed, kit, handler, cause):
    name = f"diag-{uuid.uuid4().hex[:8]}"
    kit.deploy(name, OK, handler=handler)
    try:
        found = diagnose(capture(name))
    finally:
        kit.client("lambda").delete_function(FunctionName=name)
    assert found.cause == cause
    assert "<file>.<function>" in found.fix


def test_a_missing_dependency_is_not_blamed_on_the_handler_setting(deployed):
    name = deployed("import no_such_library\ndef handler(event, context):\n    return 1\n")
    found = diagnose(capture(name))
    assert found.cause == "missing dependency"
    assert "'no_such_library'" in found.fix


def test_a_throttle_is_kept_as_evidence_with_its_reason(deployed, kit):
    name = deployed(OK)
    kit.client("lambda").put_function_concurrency(FunctionName=name,
                                                  ReservedConcurrentExecutions=0)
    evidence = capture(name)
    assert (evidence.status_code, evidence.error_code) == (429, "TooManyRequestsException")
    assert evidence.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
    assert evidence.log == "" and evidence.payload is None
    found = diagnose(evidence)
    assert found.cause == "throttled" and "reserved concurrency" in found.fix


def test_a_caller_without_permission_is_denied(deployed, kit):
    name = deployed(OK)
    iam = kit.client("iam")
    user = f"nobody-{uuid.uuid4().hex[:6]}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    client = kit.session(key["AccessKeyId"], key["SecretAccessKey"]).client(
        "lambda", endpoint_url=kit.url)
    found = diagnose(capture(name, client=client))
    assert found.cause == "invoke denied"
    assert "lambda:InvokeFunction" in found.fix
    assert not kit.explain_last_denial().allowed


def test_a_role_without_permission_is_named_with_the_action(deployed):
    name = deployed("import boto3\ndef handler(event, context):\n"
                    "    return boto3.client('dynamodb').get_item(TableName='t', "
                    "Key={'id': {'S': '1'}})\n")
    found = diagnose(capture(name))
    assert found.cause == "execution role denied"
    assert "dynamodb:GetItem on arn:aws:dynamodb:us-east-1:123456789012:table/t" in found.fix


def test_a_missing_function_and_a_success(deployed):
    assert diagnose(capture(f"nothing-{uuid.uuid4().hex[:6]}")).cause == "function not found"
    evidence = capture(deployed(OK))
    assert evidence.payload == {"ok": True}
    found = diagnose(evidence)
    assert found.cause == "no error" and found.evidence[1].startswith("REPORT Duration:")


def test_rules_without_a_kit():
    exited = Evidence(200, "Unhandled", {"errorType": "Runtime.ExitError", "errorMessage": "x"})
    assert diagnose(exited).cause == "runtime exited"
    other = Evidence(400, error_code="InvalidRequestContentException", error_message="bad json")
    assert diagnose(other).cause == "API error"
    oom_by_report = Evidence(200, "Unhandled", {"errorType": "Runtime.ExitError"},
                             log="REPORT RequestId: 1\tDuration: 5.00 ms\tBilled Duration: 5 ms"
                                 "\tMemory Size: 128 MB\tMax Memory Used: 128 MB")
    assert diagnose(oom_by_report).cause == "out of memory"
    with pytest.raises(TypeError, match="needs an Evidence"):
        diagnose({"errorType": "KeyError"})
    assert {d for d in CAUSES} >= {"timeout", "throttled", "init error"}
    text = str(Diagnosis("timeout", ["a"], "b"))
    assert text == "cause: timeout\n  seen: a\n  fix:  b"
    assert "<b>Cause: timeout</b>" in Diagnosis("timeout", ["a"], "b")._repr_html_()


def test_the_widget_shows_the_evidence_and_grades_a_guess_like_a_knowledge_check():
    runs = {
        "slow": Evidence(200, "Unhandled", {"errorType": "Sandbox.Timedout",
                                            "errorMessage": "Task timed out after 1.00 seconds"}),
        "busy": Evidence(429, error_code="TooManyRequestsException", error_message="Rate Exceeded.",
                         reason="ReservedFunctionConcurrentInvocationLimitExceeded"),
    }
    box = diagnoser(runs)
    evidence = box.guess.spec["context_html"]
    assert "Sandbox.Timedout" in evidence and "(no log: the function never ran)" in evidence
    assert [key for key, _ in box.guess.spec["options"]] == list(CAUSES)
    box.guess.value = "timeout"
    result = box.guess.check()
    assert result["state"] == "correct" and "Cause: timeout" in result["explanation_html"]

    box.pick.value = "busy"  # a new run: a fresh question, nothing chosen, no feedback
    assert box.guess.value is None and box.guess.result == {}
    assert "429 TooManyRequestsException" in box.guess.spec["context_html"]
    box.guess.value = "timeout"
    result = box.guess.check()  # first wrong guess: marked, a hint, not the diagnosis
    assert result["state"] == "wrong" and result["marks"] == ["timeout"]
    assert result["hint"] == HINTS["throttled"] and "explanation_html" not in result
    box.guess.value = "API error"
    result = box.guess.check()  # second wrong guess: the diagnosis
    assert result["marks"] == ["API error"] and "Cause: throttled" in result["explanation_html"]
    box.pick.value = "slow"
    assert "Cause: timeout" in box.guess.show_answer()["explanation_html"]
    assert all(cause.lower() not in HINTS[cause].lower() for cause in CAUSES)  # hints never tell
    with pytest.raises(ValueError, match="at least one run"):
        diagnoser({})


def test_capture_passes_the_event_through(deployed):
    name = deployed("def handler(event, context):\n    return event\n")
    assert capture(name, {"n": 1}).payload == {"n": 1}
    assert json.loads(json.dumps(capture(name).payload)) == {}
