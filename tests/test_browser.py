"""A real browser: JupyterLab on loopback, driven by Playwright through Debian's chromium.

Opens the start page and lesson 02, runs every cell, answers a knowledge check
in its widget, sees the feedback, and sees the start page's progress bar move.
Screenshots of failures land in ``tests/artifacts/``.

The browser is Debian's ``chromium`` (never a Playwright download). Without it
the test is skipped, unless ``LAMBDAKIT_REQUIRE_BROWSER=1`` (set by CI) makes
that a failure.
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.path.join(REPO, "tests", "artifacts")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

if not CHROMIUM:
    if os.environ.get("LAMBDAKIT_REQUIRE_BROWSER") == "1":
        raise RuntimeError("LAMBDAKIT_REQUIRE_BROWSER=1 but chromium is not installed "
                           "(apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url, deadline_s=120):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"JupyterLab did not answer at {url}")


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab serving a copy of lessons/ (so autosave never touches the repository)."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(os.path.join(REPO, "lessons"), root / "lessons")
    settings = root / "lab-settings" / "@jupyterlab"
    (settings / "notebook-extension").mkdir(parents=True)
    (settings / "notebook-extension" / "tracker.jupyterlab-settings").write_text(
        '{"windowingMode": "none"}')  # render every cell, so every prompt can be checked
    (settings / "apputils-extension").mkdir()
    (settings / "apputils-extension" / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false"}')
    token, port = secrets.token_hex(16), _free_port()
    env = {**os.environ, "LAMBDAKIT_PROGRESS_DB": str(root / "progress.sqlite3"),
           "JUPYTER_CONFIG_DIR": str(root / "jupyter-config"),
           "JUPYTER_DATA_DIR": str(root / "jupyter-data"), "JUPYTER_RUNTIME_DIR": str(root / "rt")}
    log = open(root / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        # the README's way in: `lambdakit course` (JupyterLab on the start page, on loopback),
        # here serving a copy of the lessons on a free port
        [sys.executable, "-m", "lambdakit", "course", "--no-browser", f"--ServerApp.port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         f"--LabApp.user_settings_dir={root / 'lab-settings'}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=str(root))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_http(f"{base}/api/status?token={token}")
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    report = getattr(request.node, "rep_call", None)  # set by conftest's makereport hook
    if report is None or report.failed:
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{request.node.name}.png")
        page.screenshot(path=path, full_page=True)
        print(f"screenshot: {path}")
    context.close()


def open_notebook(page, base, token, path):
    """Open ``path``: by URL the first time, then from the file browser, as a learner does."""
    if not page.url.startswith(base):
        page.goto(f"{base}/lab/tree/{path}?token={token}")
    else:
        name = path.rsplit("/", 1)[-1]
        page.locator(".jp-DirListing-item", has_text=name).first.dblclick()
        page.get_by_role("tab", name=name).wait_for()
    page.locator(".jp-Notebook:visible").first.wait_for()
    select_kernel = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:  # a notebook without a kernelspec asks which kernel to start
        select_kernel.click(timeout=3_000)
    except playwright_api.TimeoutError:
        pass
    # the kernel is connected and idle: only then does "Run All Cells" execute anything
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']:visible").first.wait_for(
        timeout=120_000)
    no_news = page.get_by_role("button", name="No", exact=True)
    if no_news.count():
        no_news.first.click()


def run_all_cells(page, timeout_s=240):
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    cells = page.locator(".jp-Notebook:visible .jp-CodeCell")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:  # done when every code cell shows an execution count
        prompts = cells.locator(".jp-InputArea-prompt").all_inner_texts()
        if prompts and all(p.strip() not in ("[ ]:", "[*]:", "") for p in prompts):
            break
        page.wait_for_timeout(250)
    else:
        raise AssertionError("cells did not finish running")
    errors = page.locator(".jp-Notebook:visible .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'] "
                          ":text('Traceback'), .jp-RenderedText[data-mime-type="
                          "'application/vnd.jupyter.error']")
    assert errors.count() == 0, errors.first.inner_text()


def _quiz_question(page, prompt_start):
    return page.locator(".lk-quiz-question").filter(has_text=prompt_start).first


def test_learner_runs_lessons_answers_a_check_and_sees_progress(jupyterlab, page):
    from lambdakit.course import bank

    base, token = jupyterlab
    total = len(bank.load_section("02"))

    open_notebook(page, base, token, "lessons/00_start_here.ipynb")
    run_all_cells(page)
    section_02 = page.locator(".jp-Notebook:visible .lk-progress-section-02")
    section_02.wait_for()
    assert section_02.locator(".lk-progress-label").inner_text().strip() == f"0/{total} done"

    open_notebook(page, base, token, "lessons/02_how_lambda_runs_your_code.ipynb")
    run_all_cells(page)
    question = _quiz_question(page, "What is the largest event you can send")
    question.scroll_into_view_if_needed()
    question.get_by_text("256 KB", exact=True).click()
    question.locator(".lk-quiz-check").click()
    wrong = question.locator(".lk-quiz-feedback.lk-quiz-wrong")
    wrong.wait_for()
    assert "Not quite" in wrong.inner_text()
    question.get_by_text("1 MB", exact=True).click()  # retry
    question.locator(".lk-quiz-check").click()
    right = question.locator(".lk-quiz-feedback.lk-quiz-correct")
    right.wait_for()
    assert "Correct" in right.inner_text() and "256 KB to 1 MB" in right.inner_text()

    # back to the start page's tab: its dashboard reads the progress store on Refresh
    page.get_by_role("tab", name="00_start_here.ipynb").click()
    page.locator(".jp-Notebook:visible .lk-progress-refresh").click()
    label = page.locator(".jp-Notebook:visible .lk-progress-section-02 .lk-progress-label")
    playwright_api.expect(label).to_have_text(f"1/{total} done", timeout=30_000)
