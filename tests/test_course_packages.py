"""lambdakit.course.packages: vendoring, the package inspector and its widget."""
from __future__ import annotations

import doctest
import io
import os
import zipfile

import pytest

import lambdakit
from lambdakit.course import packages
from lambdakit.course.packages import MB, inspect_package, module_from_source, vendor

HANDLER = "def handler(event, context):\n    return 'ok'\n"


def zip_of(entries):
    """A .zip of {name: (content, mode)}, stored uncompressed so sizes are exact."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, (content, mode) in entries.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def test_vendor_lays_files_out_as_pip_target_does():
    files = vendor("six")
    assert "six.py" in files and files["six.py"].startswith(b'# Copyright')
    assert any(name.startswith("six-") and name.endswith(".dist-info/METADATA") for name in files)
    assert not any("__pycache__" in name or name.startswith("..") for name in files)


def test_vendor_follows_requirements_unless_told_not_to():
    alone = {name.split("/")[0] for name in vendor("requests", with_dependencies=False)}
    assert "requests" in alone and "urllib3" not in alone
    together = {name.split("/")[0] for name in vendor("requests")}
    assert {"requests", "urllib3", "idna", "certifi"} <= together


def test_vendor_refuses_what_is_not_installed():
    with pytest.raises(ValueError, match="'no-such-distribution-xyz' is not installed"):
        vendor("no-such-distribution-xyz")


def test_a_lean_package_fits_every_limit():
    report = inspect_package(lambdakit.zip_code(HANDLER))
    assert [check.limit.key for check in report.checks] == ["zipped", "unzipped", "editor"]
    assert all(check.ok for check in report.checks) and report.problems == []
    assert report.unzipped == len(HANDLER) and report.zipped == len(lambdakit.zip_code(HANDLER))
    assert "1 files" in str(report) and "No packaging problems found." in report.to_html()


def test_sizes_are_checked_against_the_documented_limits():
    big = zip_of({"lambda_function.py": (HANDLER, 0o644), "data.bin": (os.urandom(3 * MB), 0o644)})
    report = inspect_package(big, layers_unzipped=248 * MB, layers=6)
    checks = {check.limit.key: check for check in report.checks}
    assert checks["zipped"].ok and checks["zipped"].value == len(big)
    assert not checks["editor"].ok and checks["editor"].share > 1
    assert not checks["unzipped"].ok and checks["unzipped"].value == 251 * MB + len(HANDLER)
    assert "6 layers: a function may use at most 5." in report.problems
    assert "OVER" in str(report) and "#d33" in report.to_html()
    assert [limit.bytes for limit in packages.LIMITS] == [50 * MB, 250 * MB, 3 * MB]


def test_the_handler_file_must_sit_at_the_root():
    nested = lambdakit.zip_code({"my_function/lambda_function.py": HANDLER})
    [problem] = inspect_package(nested).problems
    assert "needs lambda_function.py at the root" in problem
    assert "It is at my_function/lambda_function.py: zip the folder's contents" in problem
    dotted = lambdakit.zip_code({"app/main.py": HANDLER})
    assert inspect_package(dotted, handler="app.main.handler").problems == []
    assert "should be MODULE.FUNCTION" in inspect_package(dotted, handler="handler").problems[0]


def test_bundled_sdk_foreign_extensions_and_dead_weight_are_pointed_out():
    package = lambdakit.zip_code({
        "lambda_function.py": HANDLER, "boto3/__init__.py": "",
        "fast.cpython-311-x86_64-linux-gnu.so": b"\0",
        "lib/tests/test_lib.py": "", "lib/__pycache__/x.cpython-311.pyc": b"\0"})
    problems = inspect_package(package, runtime="python3.12").problems
    assert any(problem.startswith("boto3/botocore are bundled") for problem in problems)
    assert any("compiled for CPython 3.11, but the runtime is python3.12" in p for p in problems)
    assert any(problem.startswith("2 files of tests or compiled caches") for problem in problems)
    same = inspect_package(package, runtime="python3.11").problems
    assert not any("compiled for CPython" in problem for problem in same)


@pytest.mark.parametrize("extension, runtime, architecture, expected", [
    ("fast.cpython-312-x86_64-linux-gnu.so", "python3.12", "x86_64", None),
    ("fast.cpython-312-aarch64-linux-gnu.so", "python3.12", "arm64", None),
    ("fast.abi3.so", "python3.12", "arm64", None),  # no version or platform in the name
    ("fast.cpython-312-x86_64-linux-gnu.so", "python3.12", "arm64",
     "is built for Linux x86_64, but the function runs on Linux arm64"),
    ("fast.cpython-312-darwin.so", "python3.12", "x86_64",
     "is built for darwin, but the function runs on Linux x86_64"),
    ("fast.cp312-win_amd64.pyd", "python3.12", "x86_64",
     "is built for win_amd64, but the function runs on Linux x86_64"),
    ("fast.cpython-311-darwin.so", "python3.12", "arm64",
     "is compiled for CPython 3.11, but the runtime is python3.12, and is built for darwin, "
     "but the function runs on Linux arm64"),
])
def test_extensions_must_match_the_runtime_linux_and_the_architecture(extension, runtime,
                                                                       architecture, expected):
    package = lambdakit.zip_code({"lambda_function.py": HANDLER, extension: b"\0"})
    problems = inspect_package(package, runtime=runtime, architecture=architecture).problems
    if expected is None:
        assert problems == []
    else:
        [problem] = problems
        assert problem.startswith(f"{extension} {expected}: build dependencies"), problem


def test_an_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="Lambda has x86_64 and arm64"):
        inspect_package(lambdakit.zip_code(HANDLER), architecture="amd64")


def test_custom_runtimes_need_an_executable_bootstrap():
    assert inspect_package(lambdakit.zip_code({"bootstrap": "#!/bin/sh\n"}),
                           runtime="provided.al2023").problems == []
    plain = zip_of({"bootstrap": ("#!/bin/sh\n", 0o644)})
    [problem] = inspect_package(plain, runtime="provided.al2023").problems
    assert "bootstrap is not executable" in problem
    missing = inspect_package(lambdakit.zip_code(HANDLER), runtime="provided.al2023").problems
    assert "needs an executable file named bootstrap" in missing[0]


def test_what_is_not_a_package_is_refused():
    with pytest.raises(ValueError, match="not a .zip archive"):
        inspect_package(b"def handler(event, context): pass")
    with pytest.raises(ValueError, match="cannot be negative"):
        inspect_package(lambdakit.zip_code(HANDLER), layers_unzipped=-1)


def test_module_from_source_runs_code_for_unit_tests():
    pricing = module_from_source("pricing", "RATE = 2\ndef total(n):\n    return n * RATE\n")
    assert pricing.total(21) == 42 and pricing.__name__ == "pricing"
    with pytest.raises(ValueError, match="not a valid module name"):
        module_from_source("my-module", "x = 1")


def test_widget_rebuilds_the_package_from_its_controls():
    inspector = packages.package_inspector(choices=("requests", "no-such-distribution-xyz"))
    assert inspector.dependencies.options == ("requests",)
    assert [entry.name for entry in inspector.report.entries] == ["lambda_function.py"]
    inspector.dependencies.value = ("requests",)
    report = inspector.build()
    assert any(entry.name == "urllib3/__init__.py" for entry in report.entries)
    inspector.with_dependencies.value = False
    inspector.layers_mb.value = 250
    report = inspector.build()
    assert not any(entry.name.startswith("urllib3/") for entry in report.entries)
    assert not report.checks[1].ok and report.layers_unzipped == 250 * MB
    assert "Handler plus <b>requests</b>" in inspector.output.value
    assert "application/vnd.jupyter.widget-view+json" in inspector._repr_mimebundle_()


def test_widget_needs_something_to_offer():
    with pytest.raises(ValueError, match="is installed here"):
        packages.package_inspector(choices=("no-such-distribution-xyz",))


def test_a_vendored_dependency_is_imported_from_the_package(deploy):
    source = ("import os, six\n\ndef handler(event, context):\n"
              "    return six.__file__.startswith(os.environ['LAMBDA_TASK_ROOT'])\n")
    package = lambdakit.zip_code({**vendor("six"), "lambda_function.py": source})
    name = deploy.create({"ZipFile": package})
    assert deploy.invoke(name)["Body"] is True


def test_docstring_examples():
    assert doctest.testmod(packages).failed == 0
