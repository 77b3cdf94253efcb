"""The README's two set-up commands stay true, and CI runs the test one."""
from __future__ import annotations

import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_commands():
    text = open(os.path.join(REPO, "README.md")).read()
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", setup)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2
    course, tests = commands
    assert "requirements.txt" in course and "jupyter lab lessons/00_start_here.ipynb" in course
    assert "requirements-dev.txt" in tests and "pytest" in tests
    assert os.path.exists(os.path.join(REPO, "lessons", "00_start_here.ipynb"))


def test_ci_runs_the_readme_test_command():
    ci = open(os.path.join(REPO, ".ci", "run")).read()
    assert readme_commands()[1] in ci.splitlines()
