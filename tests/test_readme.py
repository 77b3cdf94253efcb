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
    assert "requirements.txt" in course and course.endswith("python -m lambdakit course")
    assert "requirements-dev.txt" in tests and "pytest" in tests
    assert os.path.exists(os.path.join(REPO, "lessons", "00_start_here.ipynb"))


def test_ci_runs_the_readme_test_command():
    ci = open(os.path.join(REPO, ".ci", "run")).read()
    assert readme_commands()[1] in ci.splitlines()


def test_lambdakit_course_opens_jupyterlab_on_the_start_page_on_loopback(monkeypatch):
    from lambdakit import cli

    command = cli.course_command(["--port", "9999"])
    assert command[1:5] == ["-m", "jupyter", "lab", "lessons/00_start_here.ipynb"]
    assert "--ServerApp.ip=127.0.0.1" in command
    assert f"--ServerApp.root_dir={cli.COURSE_ROOT}" in command  # lessons, labs and quizzes
    assert command[-2:] == ["--port", "9999"]  # the learner's options come last, so they win
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    assert os.path.exists(os.path.join(cli.COURSE_ROOT, cli.START_PAGE))
    # an option the learner gives replaces the default (Jupyter refuses a value given twice)
    assert "--ServerApp.ip=127.0.0.1" not in cli.course_command(["--ip=::1"])
    assert not any("root_dir" in o for o in cli.course_command(["--notebook-dir=/tmp"])[:-1])


def test_lambdakit_course_says_so_when_the_course_is_missing(monkeypatch, tmp_path, capsys):
    from lambdakit import cli

    monkeypatch.setattr(cli, "COURSE_ROOT", tmp_path)
    assert cli.main(["course"]) == 2
    assert "the course is not here" in capsys.readouterr().err


def test_readme_lists_every_lesson():
    readme = open(os.path.join(REPO, "README.md")).read()
    lessons = sorted(name[:-len(".ipynb")] for name in os.listdir(os.path.join(REPO, "lessons"))
                     if name.endswith(".ipynb"))
    assert len(lessons) >= 9
    missing = [name for name in lessons if f"`{name}`" not in readme]
    assert not missing, f"README's course table lacks {missing}"
