"""The endpoint as a program: `lambdakit serve`, loopback only, never real AWS."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap

import boto3
import psutil
import pytest
from conftest import wait_for

import lambdakit
from lambdakit import safety

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REAL_LOOKING = {"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AWS_PROFILE": "production", "AWS_ENDPOINT_URL": "https://lambda.us-east-1.amazonaws.com"}

# Installed in every process of the tree (the endpoint and its workers) through
# PYTHONPATH: records each outgoing connection that is not to loopback.
NETWORK_AUDIT = textwrap.dedent("""
    import ipaddress, os, sys
    _log = os.environ.get("LK_AUDIT_LOG")
    def _audit(event, args):
        if event != "socket.connect" or not _log:
            return
        address = args[1]
        if isinstance(address, tuple):
            try:
                if ipaddress.ip_address(address[0]).is_loopback:
                    return
            except ValueError:
                pass
        elif isinstance(address, (str, bytes)):
            return  # a Unix socket
        with open(_log, "a") as f:
            f.write(f"{os.getpid()} {sys.argv[:2]} {address!r}\\n")
    sys.addaudithook(_audit)
""")


def serve(tmp_path, *args, env=None):
    audit_dir = tmp_path / "audit"
    audit_dir.mkdir(exist_ok=True)
    (audit_dir / "sitecustomize.py").write_text(NETWORK_AUDIT)
    full_env = {**os.environ, **REAL_LOOKING, **(env or {}),
                "PYTHONPATH": os.pathsep.join([str(audit_dir), REPO]),
                "LK_AUDIT_LOG": str(tmp_path / "connections.log")}
    return subprocess.Popen([sys.executable, "-m", "lambdakit", "serve", *args],
                            env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=str(tmp_path))


def ready_url(proc):
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
    assert match, f"no ready line: {line!r} {proc.stderr.read() if proc.poll() is not None else ''}"
    return match.group(1)


def local_client(url, service):
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


PROBE = """
import os, urllib.request
import boto3
def handler(event, context):
    try:
        urllib.request.urlopen("https://lambda.us-east-1.amazonaws.com/", timeout=5)
        reached = "reached real AWS"
    except PermissionError as exc:
        reached = str(exc)
    except Exception as exc:
        reached = f"other error: {exc!r}"
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="probe-bucket")
    return {"real_aws": reached, "key": os.environ.get("AWS_ACCESS_KEY_ID"),
            "profile": os.environ.get("AWS_PROFILE"), "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
            "pid": os.getpid()}
"""


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_real_code_stays_local_and_stops_its_workers(tmp_path, stop_signal):
    proc = serve(tmp_path, "--port", "0")
    try:
        url = ready_url(proc)
        lam = local_client(url, "lambda")
        iam = local_client(url, "iam")
        role = iam.create_role(RoleName="probe", AssumeRolePolicyDocument=json.dumps(
            lambdakit.kit.LAMBDA_TRUST_POLICY))["Role"]["Arn"]
        iam.put_role_policy(RoleName="probe", PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "*"}]}))
        lam.create_function(FunctionName="probe", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler",
                            Code={"ZipFile": lambdakit.zip_code(PROBE)}, Timeout=30)
        lam.get_waiter("function_active_v2").wait(FunctionName="probe",
                                                  WaiterConfig={"Delay": 0.05, "MaxAttempts": 200})
        body = json.loads(lam.invoke(FunctionName="probe")["Payload"].read())
        assert "tried to reach real AWS (lambda.us-east-1.amazonaws.com)" in body["real_aws"]
        assert body["key"] not in (None, REAL_LOOKING["AWS_ACCESS_KEY_ID"])
        assert body["profile"] is None
        assert body["endpoint"] == url
        assert "probe-bucket" in [b["Name"] for b in local_client(url, "s3").list_buckets()["Buckets"]]
        worker = body["pid"]
        assert psutil.pid_exists(worker)
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=30) == 0
        assert not psutil.pid_exists(worker)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    log = tmp_path / "connections.log"
    assert not log.exists(), f"non-loopback connections: {log.read_text()}"


def test_serve_refuses_a_non_loopback_host(tmp_path):
    proc = serve(tmp_path, "--host", "0.0.0.0", "--port", "0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "refusing to listen on '0.0.0.0'" in err and "--force-host" in err


def test_serve_reports_a_busy_port(tmp_path):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        proc = serve(tmp_path, "--port", str(busy.getsockname()[1]))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "cannot listen on 127.0.0.1" in err


def test_in_process_kit_ignores_real_credentials(tmp_path):
    script = textwrap.dedent("""
        import os, boto3, lambdakit
        kit = lambdakit.start()
        again = lambdakit.start()
        assert again is kit
        print(os.environ["AWS_ACCESS_KEY_ID"], os.environ.get("AWS_PROFILE"), os.environ["AWS_ENDPOINT_URL"] == kit.url)
        print(boto3.client("sts").get_caller_identity()["Account"])
    """)
    audit_dir = tmp_path / "audit"
    audit_dir.mkdir()
    (audit_dir / "sitecustomize.py").write_text(NETWORK_AUDIT)
    env = {**os.environ, **REAL_LOOKING, "PYTHONPATH": os.pathsep.join([str(audit_dir), REPO]),
           "LK_AUDIT_LOG": str(tmp_path / "connections.log")}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["testing", "None", "True", "123456789012"]
    assert not (tmp_path / "connections.log").exists()


def test_loopback_rules():
    assert safety.check_bind_host("127.0.0.1") == "127.0.0.1"
    assert safety.check_bind_host("::1") == "::1"
    assert safety.check_bind_host("localhost") == "localhost"
    with pytest.raises(ValueError, match="loopback only"):
        safety.check_bind_host("0.0.0.0")
    with pytest.raises(ValueError):
        safety.check_bind_host("192.168.1.10")
    assert safety.check_bind_host("0.0.0.0", force=True) == "0.0.0.0"
    assert safety.is_aws_host("s3.amazonaws.com") and safety.is_aws_host("LAMBDA.us-east-1.AMAZONAWS.COM.")
    assert not safety.is_aws_host("example.com")


def test_local_environ_strips_real_credentials():
    env = safety.local_aws_environ("http://127.0.0.1:1", base={**REAL_LOOKING, "HOME": "/home/x",
                                                              "AWS_SESSION_TOKEN": "real"})
    assert env["AWS_ACCESS_KEY_ID"] == "testing" and "AWS_PROFILE" not in env
    assert "AWS_SESSION_TOKEN" not in env and env["HOME"] == "/home/x"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:1"
    assert env["AWS_DISABLE_HOST_PREFIX_INJECTION"] == "true"  # e.g. Live Tail's streaming- host
    assert env["AWS_SHARED_CREDENTIALS_FILE"] == env["AWS_CONFIG_FILE"] == os.devnull
