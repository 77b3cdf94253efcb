"""The learner's progress and the start page's dashboard.

Lessons (their knowledge checks) and labs (their self-checks) are separate rows
whose totals come from the bank and the table of labs; each row links to its
notebook; the dashboard follows answers given in its own kernel at once and in
other kernels (other processes) through the database.
"""
from __future__ import annotations

import ast
import os
import pathlib
import re
import subprocess
import sys
import threading
import time

import nbformat
import pytest

from lambdakit.course import bank, dashboard
from lambdakit.course.labs import SelfChecks
from lambdakit.course.progress import ProgressStore
from lambdakit.course.sections import LABS, ROOT, SECTIONS, labs_after

LESSONS = ROOT / "lessons"
POLLER = "lambdakit-progress-poll"


@pytest.fixture
def store(tmp_path):
    return ProgressStore(tmp_path / "progress.sqlite3")


@pytest.fixture(autouse=True)
def no_poller_left_running():
    """Every dashboard a test opens is closed, and its background check ends with it."""
    yield
    deadline = time.monotonic() + 15
    while any(t.name == POLLER for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [t for t in threading.enumerate() if t.name == POLLER]


@pytest.fixture
def board(store, monkeypatch):
    monkeypatch.chdir(LESSONS)  # as the start page's kernel: links start from lessons/
    widget = dashboard.progress_widget(store, poll_seconds=0.2)
    yield widget
    widget.close()


def _lesson(rows, section):
    return next(row for row in rows if row.section == section)


def _lab(rows, short):
    return next(row for row in rows if row.lab.short == short)


def _label(html_text: str, row_class: str) -> str:
    match = re.search(rf'<tr class="{row_class}">.*?class="lk-progress-label">([^<]*)<', html_text)
    assert match, f"no row {row_class} in the dashboard"
    return match.group(1)


def wait_for(condition, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.05)


# --- the store ------------------------------------------------------------------------------

def test_lessons_and_labs_have_separate_stable_totals(store):
    lessons = store.summary()
    assert [row.section for row in lessons] == [s.id for s in SECTIONS]
    assert all(row.total == len(bank.load_section(row.section)) for row in lessons)
    labs = store.lab_summary()
    assert [row.lab for row in labs] == list(LABS)
    assert all(row.done == 0 and row.total == len(row.lab.checks) for row in labs)

    # a lab's self-checks move the lab's row only: section 02's lesson total stays the bank's
    lab01 = _lab(labs, "lab01")
    for item in lab01.lab.items()[:3]:
        store.record("02", item, True, kind="lab")
    store.record("02", lab01.lab.items()[3], False, kind="lab")
    store.register_items("02", ["lab01-something-else"])  # older notebooks still call it
    assert store.summary() == lessons
    after = _lab(store.lab_summary(), "lab01")
    assert (after.done, after.total, after.attempts) == (3, 5, 4)

    question = bank.load_section("02")[0]
    store.record("02", question.id, False)
    store.record("02", question.id, True)
    row = _lesson(store.summary(), "02")
    assert (row.done, row.total, row.attempts) == (1, len(bank.load_section("02")), 2)
    assert _lab(store.lab_summary(), "lab01").done == 3


def test_an_item_outside_the_bank_or_the_table_counts_nowhere(store):
    store.record("02", "not-a-question", True)
    store.record("02", "lab01-not-a-check", True, kind="lab")
    assert all(row.done == 0 for row in store.summary())
    assert all(row.done == 0 for row in store.lab_summary())


def test_record_refuses_an_unknown_kind(store):
    with pytest.raises(ValueError, match="kind must be one of"):
        store.record("02", "x", True, kind="exam")
    assert store.last_change() == 0


def test_two_stores_share_one_database_and_its_changes(tmp_path):
    first, second = ProgressStore(tmp_path / "p.db"), ProgressStore(tmp_path / "p.db")
    assert second.last_change() == 0
    first.record("01", "01-handler", True)
    assert second.completed("01") == {"01-handler"}
    seen = second.last_change()
    first.record("01", "01-handler", False)
    assert second.last_change() > seen > 0


def test_lab_self_checks_count_without_registering_first(store):
    checks = SelfChecks("03", "lab03", list(labs_after("03")[0].checks), store=store)
    checks.passed("role-policy")
    row = _lab(ProgressStore(store.path).lab_summary(), "lab03")
    assert (row.done, row.total) == (1, 4)


# --- the table of labs agrees with the labs ---------------------------------------------

def _self_checks_call(path: pathlib.Path) -> tuple[str, str, list[str]]:
    """The literal arguments of the one ``SelfChecks(...)`` call in a lab notebook."""
    calls = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or "SelfChecks(" not in cell.source:
            continue
        source = "\n".join(line for line in cell.source.splitlines()
                           if not line.lstrip().startswith(("%", "!")))
        for node in ast.walk(ast.parse(source)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "SelfChecks"):
                calls.append(tuple(ast.literal_eval(arg) for arg in node.args[:3]))
    assert len(calls) == 1, f"{path.relative_to(ROOT)}: expected one SelfChecks(...) call, found {len(calls)}"
    return calls[0]


def test_every_lab_folder_has_a_row_in_the_table():
    folders = {p.name for p in (ROOT / "labs").iterdir() if p.is_dir() and p.name.startswith("lab")}
    folders |= {p.name for p in (ROOT / "assignments").iterdir()
                if p.is_dir() and p.name.startswith("lab")}
    listed = {lab.id for lab in LABS}
    assert not folders - listed, f"add {sorted(folders - listed)} to sections.LABS"
    assert not listed - folders, f"sections.LABS lists {sorted(listed - folders)}: no such lab"
    assert len({lab.short for lab in LABS}) == len(LABS)
    assert all(lab.section in {s.id for s in SECTIONS} for lab in LABS)


@pytest.mark.parametrize("lab", LABS, ids=[lab.id for lab in LABS])
def test_the_table_matches_the_labs_self_checks(lab):
    released = ROOT / lab.notebook
    assert released.is_file(), f"{lab.notebook} does not exist"
    source = ROOT / "labs" / lab.id / released.name
    for path in (source, released):
        section, short, checks = _self_checks_call(path)
        where = path.relative_to(ROOT)
        assert (section, short) == (lab.section, lab.short), (
            f"{where} records under section {section!r} as {short!r}; sections.LABS says "
            f"{lab.section!r} and {lab.short!r}")
        assert tuple(checks) == lab.checks, (
            f"{where} has self-checks {checks}; sections.LABS lists {list(lab.checks)}: "
            "change both together")


# --- the dashboard --------------------------------------------------------------------------

def test_rows_link_to_their_notebooks_from_the_start_page(board):
    page = board.html
    links = re.findall(r'<a href="([^"]+)">', page)
    assert len(links) == len([s for s in SECTIONS if dashboard.lesson(s.id)]) + len(LABS)
    for link in links:
        assert not link.startswith("/"), link
        assert (LESSONS / link).resolve().is_file(), f"{link} does not open from lessons/"
    assert 'href="02_how_lambda_runs_your_code.ipynb"' in page
    assert 'href="../assignments/lab01_first_function/lab01_first_function.ipynb"' in page
    # lessons and labs are two tables, each row named by its class
    assert page.count("<table") == 2
    for section in SECTIONS:
        assert f'<tr class="lk-progress-section-{section.id}">' in page
    for lab in LABS:
        assert f'<tr class="lk-progress-lab-{lab.short}">' in page


def test_progress_bars_have_text_equivalents(board):
    bars = re.findall(r'<div class="lk-progress-bar" ([^>]*)>', board.html)
    assert len(bars) == len(SECTIONS) + len(LABS)  # every section has questions
    for attributes in bars:
        assert 'role="progressbar"' in attributes
        assert re.search(r'aria-label="[^"]{5,}"', attributes)
        now, said = re.search(r'aria-valuenow="(\d+)".*?aria-valuetext="(\d+) of', attributes).groups()
        assert now == said  # the text equivalent says what the bar shows
    section_02 = len(bank.load_section("02"))
    assert _label(board.html, "lk-progress-section-02") == f"0/{section_02} done"
    assert _label(board.html, "lk-progress-lab-lab01") == "0/5 done"
    # the view also carries plain text for screen readers and text-only front ends
    (output,) = board.view.outputs
    assert output["data"]["text/plain"] == dashboard.progress_text(board.store)


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_bar_colours_meet_aa_non_text_contrast():
    style = dashboard._STYLE
    track = re.search(r"\.lk-progress-bar \{[^}]*background: (#[0-9a-f]{6})", style).group(1)
    border = re.search(r"\.lk-progress-bar \{[^}]*border: 1px solid (#[0-9a-f]{6})", style).group(1)
    fill = re.search(r"\.lk-progress-fill \{[^}]*background: (#[0-9a-f]{6})", style).group(1)
    assert _contrast(fill, track) >= 4.5   # the filled part against the empty part
    for page in ("#ffffff", "#111111"):  # JupyterLab's light and dark themes
        # the bar stands out from the page by its border or by its track
        assert max(_contrast(border, page), _contrast(track, page)) >= 3, page


def test_an_answer_in_this_kernel_shows_at_once(board, store):
    question = bank.load_section("01")[0]
    ProgressStore(store.path).record("01", question.id, True)   # as a knowledge check does
    # no waiting: the store tells the dashboard of its own process straight away
    assert _lesson(board.lessons, "01").done == 1
    assert _label(board.html, "lk-progress-section-01") == f"1/{len(bank.load_section('01'))} done"
    SelfChecks("02", "lab01", list(LABS[0].checks), store=store).passed("quote")
    assert _label(board.html, "lk-progress-lab-lab01") == "1/5 done"


def test_an_answer_in_another_kernel_shows_by_itself(board, store):
    question = bank.load_section("05")[0]
    _record_elsewhere(store.path, ("05", question.id, True), ("05", "lab05-overload", True, "lab"))
    total = len(bank.load_section("05"))
    wait_for(lambda: _label(board.html, "lk-progress-section-05") == f"1/{total} done",
             "the other process's answer to reach the dashboard")
    wait_for(lambda: _label(board.html, "lk-progress-lab-lab05") == "1/5 done",
             "the other process's lab check to reach the dashboard")
    (output,) = board.view.outputs
    assert output["data"]["text/html"] == board.html


def test_closing_the_dashboard_stops_its_updates(store, monkeypatch):
    monkeypatch.chdir(LESSONS)
    board = dashboard.progress_widget(store, poll_seconds=0.2)
    assert board.polling
    board.close()
    assert not board.polling
    before = board.html
    store.record("01", bank.load_section("01")[0].id, True)
    assert board.html == before  # a closed widget is left alone


def test_showing_the_dashboard_again_closes_the_previous_one(store, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", shown.append)
    dashboard.show_progress(store)
    dashboard.show_progress(store)
    first, second = shown
    assert not first.polling and second.polling
    second.close()


def _record_elsewhere(path: pathlib.Path, *records: tuple) -> None:
    """Record attempts from another process, as a second notebook's kernel would."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    script = (f"from lambdakit.course.progress import ProgressStore\n"
              f"store = ProgressStore({str(path)!r})\n"
              + "".join(f"store.record(*{args!r})\n" for args in records))
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)


def test_the_refresh_button_reads_the_database_again(store, monkeypatch):
    monkeypatch.chdir(LESSONS)
    board = dashboard.progress_widget(store, poll_seconds=3600)  # no background help
    try:
        _record_elsewhere(store.path, ("03", bank.load_section("03")[0].id, True))
        assert _lesson(board.lessons, "03").done == 0
        board.refresh_button.click()
        assert _lesson(board.lessons, "03").done == 1
    finally:
        board.close()


def test_a_section_without_questions_yet_is_coming_later(store, tmp_path, monkeypatch):
    (tmp_path / "bank").mkdir()
    (tmp_path / "bank" / "01_serverless.yaml").write_text(
        (bank.bank_dir() / "01_serverless.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("LAMBDAKIT_QUIZ_BANK", str(tmp_path / "bank"))
    monkeypatch.chdir(LESSONS)
    board = dashboard.progress_widget(store, poll_seconds=3600)
    try:
        assert _label(board.html, "lk-progress-section-08") == "coming later"
        assert board.html.count('role="progressbar"') == 1 + len(LABS)
        assert "08 Monitoring and troubleshooting" in dashboard.progress_text(store)
        assert dashboard.progress_text(store).splitlines()[8].endswith("coming later")
    finally:
        board.close()


def test_progress_text_lists_lessons_then_labs(store):
    store.record("02", "lab01-quote", True, kind="lab")
    text = dashboard.progress_text(store)
    lines = text.splitlines()
    assert lines[0].startswith("Lessons")
    assert lines.index("Labs (self-checks passed)") == 1 + len(SECTIONS)
    assert "02 How Lambda runs your code" in text
    assert re.search(r"Lab 01 · Your first function.*after section 02\s+1/5$", text, re.M)


def test_the_outline_links_the_lessons_that_exist_and_no_others(tmp_path, monkeypatch):
    from lambdakit.course import sections
    from lambdakit.course.dashboard import outline_markdown
    from lambdakit.course.sections import lesson

    table = outline_markdown()
    assert lesson("02").name == "02_how_lambda_runs_your_code.ipynb"
    assert "[02_how_lambda_runs_your_code.ipynb](02_how_lambda_runs_your_code.ipynb)" in table
    assert len(table.splitlines()) == 2 + len(SECTIONS)
    (tmp_path / "02_how_lambda_runs_your_code.ipynb").write_text("{}")
    monkeypatch.setattr(sections, "LESSONS", tmp_path)
    assert lesson("02") == tmp_path / "02_how_lambda_runs_your_code.ipynb"
    assert lesson("08") is None
    rows = outline_markdown().splitlines()[2:]
    assert [row.endswith("| coming soon |") for row in rows] == [s.id != "02" for s in SECTIONS]
