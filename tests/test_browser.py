"""A real browser: JupyterLab on loopback, driven by Playwright through Debian's chromium.

Two things happen here:

- the walk: every lesson, every released lab (``assignments/``) and the practice quiz is
  opened in one JupyterLab server, run with Run All until the kernel is done, checked for
  error output (a released lab may stop only at a stub that says what to do), and checked
  with axe-core (the npm package, pinned in package.json, injected from node_modules) over
  the rendered notebook: a serious or critical violation fails the test, naming the rule,
  the element and the notebook. Each notebook is closed and its kernel shut down before
  the next one opens, so memory stays low;
- a learner's path: the start page and lesson 02, a knowledge check answered in its widget,
  and the start page's progress moving.

Screenshots of failures land in ``tests/artifacts/`` (git-ignored); with
``LAMBDAKIT_WALK_SCREENSHOTS=1`` the walk keeps a screenshot of every screen of every
notebook there, for a person to look at.

The browser is Debian's ``chromium`` (never a Playwright download). Without it, or without
axe-core (``npm ci``), the tests are skipped, unless ``LAMBDAKIT_REQUIRE_BROWSER=1`` (set by
CI) makes that a failure.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARTIFACTS = os.path.join(REPO, "tests", "artifacts")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = os.path.join(REPO, "node_modules", "axe-core", "axe.min.js")
REQUIRED = os.environ.get("LAMBDAKIT_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]

if not CHROMIUM:
    if REQUIRED:
        raise RuntimeError("LAMBDAKIT_REQUIRE_BROWSER=1 but chromium is not installed "
                           "(apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)
playwright_api = pytest.importorskip("playwright.sync_api")


_server_pid = None

#: what the course server serves in the tests
COPIED = ("lessons", "assignments", "quizzes")


def walked_notebooks():
    """Every lesson, every released lab and the practice quiz, as paths under the server root."""
    found = sorted(str(p.relative_to(REPO)) for p in Path(REPO, "lessons").glob("*.ipynb"))
    found += sorted(str(p.relative_to(REPO)) for p in Path(REPO, "assignments").glob("*/*.ipynb")
                    if ".ipynb_checkpoints" not in p.parts)
    return found + ["quizzes/practice.ipynb"]


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
    """JupyterLab serving a copy of lessons/, assignments/ and quizzes/ (so autosave never
    touches the repository)."""
    root = tmp_path_factory.mktemp("lab")
    for folder in COPIED:
        shutil.copytree(os.path.join(REPO, folder), root / folder,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
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
    global _server_pid
    _server_pid = proc.pid
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


def _artifact_name(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    report = getattr(request.node, "rep_call", None)  # set by conftest's makereport hook
    if report is None or report.failed:
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{_artifact_name(request.node.name)}.png")
        try:
            page.screenshot(path=path, full_page=True)
            print(f"screenshot: {path}")
        except playwright_api.Error as error:  # a crashed page: say so, keep the failure
            print(f"no screenshot: {error}")
    context.close()


def open_notebook(page, base, token, path, workspace=None):
    """Open ``path``: by URL the first time, then from the file browser, as a learner does.

    workspace: open it alone in a fresh JupyterLab workspace of that name (the walk does,
        so no tab of an earlier notebook comes back).
    """
    if workspace is not None:
        page.goto(f"{base}/lab/workspaces/{workspace}/tree/{path}?reset&token={token}")
    elif not page.url.startswith(base):
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


#: a traceback: JupyterLab renders an error as stderr text (``:has-text``, not ``:text``,
#: which matches only the smallest element holding the words)
ERROR_OUTPUTS = (".jp-Notebook:visible .jp-OutputArea-output[data-mime-type="
                 "'application/vnd.jupyter.stderr']:has-text('Traceback'), "
                 ".jp-Notebook:visible .jp-RenderedText[data-mime-type="
                 "'application/vnd.jupyter.error']")


def error_outputs(page):
    """The text of every error output (a traceback) in the open notebook."""
    return page.locator(ERROR_OUTPUTS).all_inner_texts()


def run_all_cells(page, timeout_s=240, check_errors=True):
    """Run All, and wait until the kernel is done: every code cell has run, or Run All
    stopped at an error (JupyterLab then leaves the cells after it unrun)."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    prompts = page.locator(".jp-Notebook:visible .jp-CodeCell .jp-InputArea-prompt")
    idle = page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']:visible")
    deadline = time.monotonic() + timeout_s
    settled = 0
    while time.monotonic() < deadline:
        texts = [p.strip() for p in prompts.all_inner_texts()]
        running = any(t == "[*]:" for t in texts)
        every_cell_ran = bool(texts) and all(re.fullmatch(r"\[\d+\]:", t) for t in texts)
        stopped = any(re.fullmatch(r"\[\d+\]:", t) for t in texts) and bool(error_outputs(page))
        if not running and idle.count() and (every_cell_ran or stopped):
            settled += 1
            if settled >= 3:  # still done a moment later: nothing was left in the queue
                break
        else:
            settled = 0
        page.wait_for_timeout(250)
    else:
        unrun = sum(1 for t in texts if not re.fullmatch(r"\[\d+\]:", t))
        raise AssertionError(f"cells did not finish running within {timeout_s} s "
                             f"({unrun} of {len(texts)} code cells not done)")
    if check_errors:
        errors = error_outputs(page)
        assert not errors, errors[0]


def _api(base, token, path, method="GET"):
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None


def shut_down_kernels(base, token):
    """Shut down every kernel the server runs (deleting its sessions), and wait until none is
    left, so the next notebook starts with the memory the last one used given back."""
    for session in _api(base, token, "/api/sessions"):
        _api(base, token, f"/api/sessions/{session['id']}", method="DELETE")
    deadline = time.monotonic() + 60
    while _api(base, token, "/api/kernels"):
        if time.monotonic() > deadline:
            raise AssertionError("kernels still running 60 s after their shutdown")
        time.sleep(0.2)


# -- accessibility: axe-core over the rendered notebook ---------------------------------------
#: axe's context: the notebook's cells, their rendered Markdown and their outputs, which the
#: course writes. Not JupyterLab's own chrome (menus, sidebars, toolbars), which the course
#: cannot change, and narrowly not these parts of JupyterLab inside the notebook:
#: - the cell list itself (.jp-WindowedPanel-viewport) has role="feed" without role="article"
#:   children (aria-required-children): including the cells, not the list, leaves it out;
#: - .jp-InputArea-editor: JupyterLab's code editor (CodeMirror), whose role="textbox" has no
#:   accessible name (aria-input-field-name) and whose syntax colours are the theme's;
#: - .jp-collapseHeadingButton: JupyterLab's icon button that folds a heading's section,
#:   which has no text (button-name).
AXE_CONTEXT = {
    "include": [[".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell"]],
    "exclude": [[".jp-InputArea-editor"], [".jp-collapseHeadingButton"]],
}
FAILING_IMPACTS = ("serious", "critical")


def axe_violations(page):
    """axe-core's violations in the open notebook, as dicts (rule, impact, help, nodes)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=AXE)
    return page.evaluate("""async (context) => {
        const result = await axe.run(context, {resultTypes: ['violations']});
        return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map(n => ({impact: n.impact, target: n.target.join(' '),
                                      html: n.html.slice(0, 300),
                                      summary: (n.failureSummary || '').slice(0, 400)}))}));
    }""", AXE_CONTEXT)


def serious(violations):
    """One line per element with a serious or critical violation."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            if (node["impact"] or violation["impact"]) in FAILING_IMPACTS:
                lines.append(f"{violation['id']} ({node['impact'] or violation['impact']}): "
                             f"{violation['help']}: {node['target']}: {node['html']}")
    return lines


def notebook_screens(page, stem):
    """Screenshots of every screen of the open notebook, top to bottom, into tests/artifacts/."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    scroller = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer"
    height = page.evaluate(f"() => document.querySelector('{scroller}').scrollHeight")
    step = page.evaluate(f"() => document.querySelector('{scroller}').clientHeight") - 60
    paths = []
    for n, top in enumerate(range(0, max(height, 1), max(step, 200))):
        page.evaluate(f"() => document.querySelector('{scroller}').scrollTo(0, {top})")
        page.wait_for_timeout(150)
        path = os.path.join(ARTIFACTS, f"walk_{stem}_{n:02d}.png")
        page.screenshot(path=path)
        paths.append(path)
    return paths


_walk_report: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def report_walk(request):
    """Print, once the walk is done, how long each notebook took and the server's memory."""
    yield
    if not _walk_report:
        return
    lines = ["browser walk (open, Run All, axe), per notebook:"]
    lines += [f"  {line}  {name}" for name, line in _walk_report.items()]
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "walk_times.txt"), "w") as out:
        out.write("\n".join(lines) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    for line in ["", *lines]:
        if reporter is not None:
            reporter.write_line(line)
        else:
            print(line)


def _server_memory_mb():
    """Resident memory of the JupyterLab server and everything it started (kernels, kits)."""
    import psutil

    if _server_pid is None:
        return 0.0
    root = psutil.Process(_server_pid)
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.parametrize("path", walked_notebooks())
def test_walk_runs_the_notebook_without_errors_and_axe_finds_nothing_serious(
        jupyterlab, page, path):
    if not os.path.exists(AXE):
        message = f"axe-core is not installed ({AXE} is missing): run `npm ci`"
        if REQUIRED:
            raise AssertionError(message)
        pytest.skip(message)
    base, token = jupyterlab
    stem = Path(path).stem
    began = time.monotonic()
    try:
        open_notebook(page, base, token, path, workspace=f"walk-{_artifact_name(stem)}")
        run_all_cells(page, timeout_s=480, check_errors=False)
        ran_s = time.monotonic() - began
        memory = _server_memory_mb()
        if os.environ.get("LAMBDAKIT_WALK_SCREENSHOTS") == "1":
            notebook_screens(page, _artifact_name(stem))
        errors = error_outputs(page)
        if path.startswith("assignments/"):
            # a released lab stops at its first stub, which must say what to do
            errors = [e for e in errors
                      if not re.search(r"NotImplementedError: *\S", e.strip().splitlines()[-1])]
        if errors:
            page.locator(ERROR_OUTPUTS).first.scroll_into_view_if_needed()
        assert not errors, f"{path}: error output:\n{errors[0]}"
        # charts: every image in an output says what it shows
        no_alt = page.locator(".jp-Notebook:visible .jp-OutputArea-output img:not([alt]), "
                              ".jp-Notebook:visible .jp-OutputArea-output img[alt='']")
        assert no_alt.count() == 0, f"{path}: {no_alt.count()} output image(s) without alt text"
        violations = axe_violations(page)
        found = serious(violations)
        if found:  # the screenshot of the failure shows the first element axe named
            target = next(n["target"] for v in violations for n in v["nodes"]
                          if (n["impact"] or v["impact"]) in FAILING_IMPACTS)
            try:
                page.locator(target).first.scroll_into_view_if_needed(timeout=5_000)
            except playwright_api.Error:
                pass
        assert not found, (f"{path}: axe-core found {len(found)} serious or critical "
                           "violation(s):\n" + "\n".join(found))
        _walk_report[path] = (f"{ran_s:6.1f} s run, {time.monotonic() - began:6.1f} s in all, "
                              f"server and kernels {memory:5.0f} MB")
    finally:
        shut_down_kernels(base, token)


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
    # the wrong choice is marked and a hint helps; the explanation (with the answer) waits
    assert "256 KB" in question.locator(".lk-quiz-marked-wrong").inner_text()
    assert wrong.locator(".lk-quiz-hint").count() == 1
    assert wrong.locator(".lk-quiz-explanation").count() == 0
    question.get_by_text("1 MB", exact=True).click()  # retry
    question.locator(".lk-quiz-check").click()
    right = question.locator(".lk-quiz-feedback.lk-quiz-correct")
    right.wait_for()
    assert "Correct" in right.inner_text() and "256 KB to 1 MB" in right.inner_text()

    # back to the start page's tab: its dashboard has moved by itself
    page.get_by_role("tab", name="00_start_here.ipynb").click()
    label = page.locator(".jp-Notebook:visible .lk-progress-section-02 .lk-progress-label")
    playwright_api.expect(label).to_have_text(f"1/{total} done", timeout=30_000)
