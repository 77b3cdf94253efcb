"""Small rules with no endpoint: public surface, settings, packages, log formats."""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile

import pytest

import lambdakit
from lambdakit.engine import InvocationRecord
from lambdakit.settings import Settings
from lambdakit.telemetry import report_line


def test_public_surface():
    assert sorted(lambdakit.__all__) == sorted(
        ["start", "stop", "Kit", "Endpoint", "Settings", "zip_code", "zip_directory"])
    for name in lambdakit.__all__:
        assert getattr(lambdakit, name).__doc__, f"{name} needs a docstring"
    with pytest.raises(AttributeError):
        lambdakit.not_a_thing


def test_importing_the_package_is_cheap():
    code = "import sys, lambdakit; print('moto' in sys.modules, 'boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_settings_from_environment(monkeypatch):
    monkeypatch.setenv("LAMBDAKIT_IDLE_TIMEOUT", "12.5")
    monkeypatch.setenv("LAMBDAKIT_WORKER", "python")
    monkeypatch.setenv("LAMBDAKIT_MAX_ENVIRONMENTS", "7")
    settings = Settings()
    assert (settings.idle_timeout, settings.worker, settings.max_environments) == (12.5, "python", 7)
    monkeypatch.setenv("LAMBDAKIT_IDLE_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="LAMBDAKIT_IDLE_TIMEOUT must be a number"):
        Settings()
    with pytest.raises(ValueError, match="worker must be one of"):
        Settings(idle_timeout=1, worker="docker")
    with pytest.raises(ValueError, match="max_environments must be at least 1"):
        Settings(idle_timeout=1, max_environments=0)


def test_zip_code_packages_files_with_modes():
    data = lambdakit.zip_code({"app.py": "    x = 1\n", "bootstrap": "#!/bin/sh\n"})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("app.py") == b"x = 1\n"  # dedented
        assert (archive.getinfo("bootstrap").external_attr >> 16) & 0o111
    assert lambdakit.zip_code("x = 1") == lambdakit.zip_code("x = 1")  # reproducible


def _record(**changes):
    base = dict(request_id="r-1", function_name="f", version="$LATEST", invocation_type="RequestResponse",
                environment_id="e", cold=True, init_ms=41.234, duration_ms=1.5, billed_ms=2,
                memory_size=128, max_memory_mb=30, status="success", error_type=None,
                start_time=0.0, end_time=0.1)
    base.update(changes)
    return InvocationRecord(**base)


def test_report_line_format():
    assert report_line(_record()) == ("REPORT RequestId: r-1\tDuration: 1.50 ms\tBilled Duration: 2 ms\t"
                                      "Memory Size: 128 MB\tMax Memory Used: 30 MB\tInit Duration: 41.23 ms")
    warm = report_line(_record(cold=False, init_ms=None))
    assert "Init Duration" not in warm
    assert report_line(_record(status="timeout")).endswith("Status: timeout")


def test_max_environments_follow_the_container_memory_limit(tmp_path, monkeypatch):
    from lambdakit import settings as settings_module
    limit = tmp_path / "memory.max"
    limit.write_text(str(2 * 1024 ** 3) + "\n")  # a Binder pod: 2 GB
    monkeypatch.setattr(settings_module, "_CGROUP_LIMITS", (str(limit),))
    monkeypatch.delenv("LAMBDAKIT_MAX_ENVIRONMENTS", raising=False)
    assert settings_module.memory_limit_bytes() == 2 * 1024 ** 3
    assert Settings(idle_timeout=1).max_environments == 16
    limit.write_text("max\n")  # no limit set: the machine's RAM decides
    assert settings_module.memory_limit_bytes() > 0
