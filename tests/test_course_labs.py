"""Lab helpers: fresh imports of the files a learner writes, and self-checks counted as progress."""
from __future__ import annotations

import sys

import pytest

from lambdakit.course.labs import SelfChecks, load
from lambdakit.course.progress import ProgressStore


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.sqlite3")


def _section(store, section):
    return next(row for row in store.summary() if row.section == section)


def test_load_reads_the_latest_version_of_a_rewritten_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "lk_answer.py").write_text("ANSWER = 1\n")
    try:
        assert load("lk_answer").ANSWER == 1
        (tmp_path / "lk_answer.py").write_text("ANSWER = 22\n")  # same size class, same second
        assert load("lk_answer").ANSWER == 22
    finally:
        sys.modules.pop("lk_answer", None)


def test_self_checks_count_towards_the_section(store, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    before = _section(store, "02").total
    checks = SelfChecks("02", "labX", ["one", "two"], store=store)
    assert _section(store, "02").total == before + 2
    checks.passed("one")
    checks.passed("one")
    assert store.completed("02") >= {"labX-one"} and "labX-two" not in store.completed("02")
    assert _section(store, "02").done == 1


def test_an_unknown_check_is_a_clear_error(store):
    checks = SelfChecks("02", "labX", ["one"], store=store)
    with pytest.raises(ValueError, match="unknown self-check 'three'; this lab has one"):
        checks.passed("three")


def test_nothing_is_recorded_while_nbgrader_grades(store, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    before = _section(store, "02")
    SelfChecks("02", "labX", ["one"], store=store).passed("one")
    assert _section(store, "02") == before


def test_a_progress_store_that_cannot_be_written_never_fails_a_check(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    broken = ProgressStore(tmp_path / "progress.sqlite3")
    broken.path = tmp_path / "missing-folder" / "progress.sqlite3"  # sqlite cannot open it
    SelfChecks("02", "labX", ["one"], store=broken).passed("one")
    assert "progress not saved" in capsys.readouterr().out
