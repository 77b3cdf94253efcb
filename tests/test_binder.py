"""Binder builds the course: binder/ as repo2docker reads it, checked without Docker.

repo2docker is run with ``--no-build`` on a clean copy of the repository (the files
git would commit), which makes it print the Dockerfile it would build and nothing
else. The checks: the Python buildpack with Python 3.11 is picked, the binder/
files are what installs things, the kit itself gets installed, nothing only the
developers need (test runner, browser driver, grading) goes into the image, and
the README's Binder badge opens a notebook that exists.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import urllib.parse

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINDER = os.path.join(REPO, "binder")
#: Never on Binder, whatever requirements-dev.txt says today.
ALWAYS_DEV_ONLY = {"pytest", "playwright", "nbgrader"}
BADGE = re.compile(r"\[!\[Binder\]\(https://mybinder\.org/badge_logo\.svg\)\]\((https://mybinder\.org/[^)\s]+)\)")

needs_repo2docker = pytest.mark.skipif(importlib.util.find_spec("repo2docker") is None,
                                       reason="jupyter-repo2docker is not installed "
                                              "(it is in requirements-dev.txt)")


def _name(line: str) -> str | None:
    """The normalised project name a requirements line asks for, or None."""
    line = line.split("#", 1)[0].strip()
    if not line or line.startswith("-"):
        return None
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
    return re.sub(r"[-_.]+", "-", match.group(0)).lower() if match else None


def requirement_lines(path: str) -> list[str]:
    """Every line pip reads for ``-r path``, following nested ``-r`` as pip does (relative to the file)."""
    lines = []
    with open(path) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            nested = re.match(r"(?:-r|--requirement)[ =]?\s*(\S+)$", line)
            if nested:
                lines += requirement_lines(os.path.join(os.path.dirname(path), nested.group(1)))
            elif line:
                lines.append(line)
    return lines


def dev_only_packages() -> set[str]:
    """What requirements-dev.txt adds to the course's requirements.txt, plus ALWAYS_DEV_ONLY."""
    course = {_name(line) for line in requirement_lines(os.path.join(REPO, "requirements.txt"))}
    dev = {_name(line) for line in requirement_lines(os.path.join(REPO, "requirements-dev.txt"))}
    return (dev - course - {None}) | ALWAYS_DEV_ONLY


def clean_copy(dest: str) -> str:
    """Copy what git would commit (tracked and new, unignored files) to ``dest``."""
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=REPO, capture_output=True, check=True).stdout.decode()
        files = [f for f in listed.split("\0") if f]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout: the working tree
        files = [os.path.relpath(os.path.join(root, name), REPO)
                 for root, dirs, names in os.walk(REPO)
                 if not {".git", "__pycache__", ".pytest_cache"}.intersection(
                     os.path.relpath(root, REPO).split(os.sep))
                 for name in names]
    for rel in files:
        source = os.path.join(REPO, rel)
        if os.path.isfile(source):  # skip files deleted but not yet committed
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(source, os.path.join(dest, rel))
    return dest


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory):
    return clean_copy(str(tmp_path_factory.mktemp("binder-repo") / "repo"))


@pytest.fixture(scope="module")
def dockerfile(repo_copy):
    """The Dockerfile repo2docker would build for the copy (no Docker needed)."""
    command = [sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug",
               "--user-id", "1000", "--user-name", "jovyan", repo_copy]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"repo2docker failed:\n{done.stdout}\n{done.stderr}"
    assert "FROM " in done.stdout, done.stdout + done.stderr
    return done.stdout


@needs_repo2docker
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # repo2docker's own imports
def test_python_buildpack_with_python_3_11(repo_copy, monkeypatch):
    from repo2docker.app import Repo2Docker

    app = Repo2Docker()
    monkeypatch.chdir(repo_copy)  # buildpacks detect relative to the repository, as in app.build()
    picked = next(bp for bp in (BP(base_image=app.base_image) for BP in app.buildpacks) if bp.detect())
    assert type(picked).__name__ == "PythonBuildPack"
    assert picked.binder_dir == "binder", "repo2docker must read binder/, not the root files"
    assert picked.python_version == "3.11"


@needs_repo2docker
def test_dockerfile_installs_the_course_from_binder_requirements(dockerfile):
    # the conda environment's lock file for Python 3.11 (its name is escaped in the COPY line)
    assert re.search(r"environment(\.|-2e)py(-|-2d)3(\.|-2e)11(-|-2d)", dockerfile), "not Python 3.11"
    install = 'pip install --no-cache-dir -r "binder/requirements.txt"'
    assert install in dockerfile
    # binder/requirements.txt points at the repository (-r ../requirements.txt, -e .), so
    # repo2docker must run pip after copying the repository, from the repository root.
    lines = dockerfile.splitlines()
    pip_at = next(i for i, line in enumerate(lines) if install in line)
    copy_at = next(i for i, line in enumerate(lines) if re.match(r"COPY .*src/ \$\{REPO_DIR\}/$", line))
    assert copy_at < pip_at, "pip runs before the repository is in the image"
    workdirs = [line for line in lines[:pip_at] if line.startswith("WORKDIR ")]
    assert workdirs and workdirs[-1] == "WORKDIR ${REPO_DIR}"
    assert "requirements-dev" not in dockerfile


def test_binder_installs_the_course_requirements_and_the_kit():
    lines = requirement_lines(os.path.join(BINDER, "requirements.txt"))
    names = {_name(line) for line in lines} - {None}
    course = {_name(line) for line in requirement_lines(os.path.join(REPO, "requirements.txt"))} - {None}
    assert course <= names, f"missing on Binder: {sorted(course - names)}"
    post_build = os.path.join(BINDER, "postBuild")
    post = open(post_build).read() if os.path.exists(post_build) else ""
    # pip runs from the repository root (see the Dockerfile test), so `.` is the kit.
    assert any(re.fullmatch(r"(?:(?:-e|--editable)[ =]?\s*)?\.", line) for line in lines) or re.search(
        r"pip install (-e )?\.(\s|$)", post), "the kit (lambdakit) is not installed on Binder"
    assert os.path.exists(os.path.join(REPO, "pyproject.toml"))


def test_no_developer_only_packages_on_binder():
    dev_only = dev_only_packages()
    assert ALWAYS_DEV_ONLY <= dev_only
    installed = {_name(line) for line in requirement_lines(os.path.join(BINDER, "requirements.txt"))}
    assert not installed & dev_only, f"dev-only packages on Binder: {sorted(installed & dev_only)}"
    for script in ("postBuild", "start"):
        path = os.path.join(BINDER, script)
        if os.path.exists(path):
            text = open(path).read().lower()
            assert "requirements-dev" not in text
            found = {name for name in dev_only if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)}
            assert not found, f"binder/{script} mentions dev-only packages: {sorted(found)}"


def test_binder_scripts_are_executable_and_start_hands_over():
    for script in ("postBuild", "start"):
        path = os.path.join(BINDER, script)
        if os.path.exists(path):
            assert os.access(path, os.X_OK), f"binder/{script} must be executable"
    start = os.path.join(BINDER, "start")
    if os.path.exists(start):
        assert re.search(r'^exec "\$@"\s*$', open(start).read(), re.M), \
            'binder/start must end by running the notebook server: exec "$@"'


def test_readme_badge_opens_an_existing_notebook():
    readme = open(os.path.join(REPO, "README.md")).read()
    match = BADGE.search(readme)
    assert match, "README.md has no Binder badge"
    assert match.start() < readme.index("## Set up"), "the Binder badge belongs near the top"
    url = urllib.parse.urlparse(match.group(1))
    parts = url.path.strip("/").split("/")
    assert parts[:2] == ["v2", "gh"] and len(parts) == 5, f"expected /v2/gh/OWNER/REPO/REF: {url.path}"
    urlpath = urllib.parse.parse_qs(url.query)["urlpath"][0]
    assert urlpath.startswith("lab/tree/"), urlpath
    notebook = urllib.parse.unquote(urlpath[len("lab/tree/"):])
    assert notebook.endswith(".ipynb") and os.path.isfile(os.path.join(REPO, notebook)), notebook
    assert notebook == "lessons/00_start_here.ipynb"
