"""Lab helpers: fresh imports of the files a learner writes, and self-checks counted as progress."""
from __future__ import annotations

import sys

import pytest

from lambdakit.course.labs import SelfChecks, expect_type, load
from lambdakit.course.progress import ProgressStore
from lambdakit.course.sections import LABS


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.sqlite3")


def _row(store, lab):
    """The dashboard's row for ``lab`` (a row of sections.LABS)."""
    return next(row for row in store.lab_summary() if row.lab.id == lab.id)


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


def test_passed_self_checks_count_on_the_labs_row(store, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    lab = LABS[0]
    checks = SelfChecks(lab.section, lab.short, list(lab.checks), store=store)
    assert _row(store, lab).done == 0
    checks.passed(lab.checks[0])
    checks.passed(lab.checks[0])
    row = _row(store, lab)
    assert (row.done, row.total, row.attempts) == (1, len(lab.checks), 2)
    assert f"{lab.short}-{lab.checks[0]}" in store.completed(lab.section)


def test_an_unknown_check_is_a_clear_error(store):
    checks = SelfChecks("02", "labX", ["one"], store=store)
    with pytest.raises(ValueError, match="unknown self-check 'three'; this lab has one"):
        checks.passed("three")


def test_nothing_is_recorded_while_nbgrader_grades(store, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    lab = LABS[0]
    before = _row(store, lab)
    SelfChecks(lab.section, lab.short, list(lab.checks), store=store).passed(lab.checks[0])
    assert _row(store, lab) == before and before.attempts == 0


def test_a_progress_store_that_cannot_be_written_never_fails_a_check(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    broken = ProgressStore(tmp_path / "progress.sqlite3")
    broken.path = tmp_path / "missing-folder" / "progress.sqlite3"  # sqlite cannot open it
    SelfChecks("02", "labX", ["one"], store=broken).passed("one")
    assert "progress not saved" in capsys.readouterr().out


def test_a_passing_check_says_so_and_the_summary_lists_what_is_left(store, capsys, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    checks = SelfChecks("02", "labX", {"one": "the first step works", "two": "the second step works",
                                       "three": "the last step works"}, store=store)
    checks.passed("two")
    assert capsys.readouterr().out == "✔ Self-check 2 of 3 passed: the second step works\n"
    assert checks.left() == ["one", "three"]
    checks.summary()
    out = capsys.readouterr().out
    assert out.startswith("1 of 3 self-checks passed (1/3). Still to do:\n")
    assert "✘ Self-check 1: the first step works" in out and "✘ Self-check 3: the last step works" in out
    assert "second" not in out
    checks.passed("one")
    checks.passed("three")
    capsys.readouterr()
    checks.summary()
    assert capsys.readouterr().out.startswith("All 3 self-checks passed (3/3).")


def test_names_alone_still_work_and_a_new_setup_counts_from_zero(store, capsys):
    checks = SelfChecks("02", "labX", ["one", "two"], store=store)
    checks.passed("one")
    assert "✔ Self-check 1 of 2 passed: one" in capsys.readouterr().out
    again = SelfChecks("02", "labX", ["one", "two"], store=store)  # the setup cell run again
    assert again.left() == ["one", "two"]


def test_checks_speak_while_nbgrader_grades(store, capsys, monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    checks = SelfChecks("02", "labX", {"one": "it works"}, store=store)
    checks.passed("one")
    checks.summary()
    captured = capsys.readouterr()
    assert "✔ Self-check 1 of 1 passed: it works" in captured.out and captured.err == ""


@pytest.mark.parametrize("value, expected, message", [
    (True, int, "the quantity should be a whole number (int), not bool: True"),
    (2.0, int, "the quantity should be a whole number (int), not float: 2.0"),
    ("2", int, "the quantity should be a whole number (int), not str: '2'"),
    (None, (dict, list), "the quantity should be a dictionary (dict) or a list, not NoneType: None"),
])
def test_expect_type_names_what_was_expected(value, expected, message):
    with pytest.raises(AssertionError) as error:
        expect_type(value, expected, "the quantity")
    assert str(error.value) == message


@pytest.mark.parametrize("value, expected", [(3, int), (False, bool), ("x", str), ({}, (dict, list))])
def test_expect_type_accepts_the_right_types(value, expected):
    expect_type(value, expected, "the value")
