"""The start page's progress dashboard: lessons and labs, each row linked to its notebook.

>>> from lambdakit.course.dashboard import show_progress   # doctest: +SKIP
>>> show_progress()

One table lists each section's knowledge checks (the lesson), another each lab's
self-checks. Totals come from the question bank and the table of labs, so they never
jump when a lab is opened. The dashboard keeps up by itself: an answer in this kernel
updates it at once, and a background check of the progress database (every
``poll_seconds``) picks up answers given in other notebooks, whose kernels are other
processes. Closing the widget stops that check.

:func:`show_outline` lists the sections, linking the lessons that exist;
:func:`progress_text` gives the same progress as plain text.
"""
from __future__ import annotations

import html
import os
import pathlib
import threading
import weakref
import ipywidgets as widgets

from .progress import LabProgress, ProgressStore, SectionProgress, on_record
from .sections import ROOT, SECTIONS, lesson

POLL_SECONDS = 1.5  # how often a dashboard looks for answers given in other kernels

# Colours checked for WCAG AA: the bar's fill on its white track is 6.9:1 and the track's
# border on white 7:1 (non-text contrast needs 3:1); text uses JupyterLab's theme colours.
# Selectors start at the tables' box so they outweigh JupyterLab's own table styles.
_STYLE = """
<style>
.lk-progress-tables .lk-progress-table {
  border-collapse: collapse; margin: 0.25em 0 1em 0; min-width: 60%; }
.lk-progress-tables .lk-progress-table caption {
  text-align: left; font-weight: bold; padding: 0.25em 0; color: var(--jp-content-font-color1, #1a1a1a); }
.lk-progress-tables .lk-progress-table th, .lk-progress-tables .lk-progress-table td {
  text-align: left; padding: 0.3em 0.8em 0.3em 0; color: var(--jp-content-font-color1, #1a1a1a); vertical-align: middle; }
.lk-progress-tables .lk-progress-table thead th { border-bottom: 1px solid var(--jp-border-color1, #757575); }
.lk-progress-tables .lk-progress-table tbody th { font-weight: normal; }
.lk-progress-tables .lk-progress-table a {
  color: var(--jp-content-link-color, #0b57d0); text-decoration: underline; }
.lk-progress-tables .lk-progress-bar {
  width: 12em; height: 0.9em; background: #ffffff; border: 1px solid #595959;
  border-radius: 3px; overflow: hidden; }
.lk-progress-tables .lk-progress-fill { height: 100%; background: #1b6b3a; }
</style>
"""


def _links_from() -> pathlib.Path:
    """The folder links start from: the kernel's folder inside the course, else lessons/."""
    here = pathlib.Path.cwd().resolve()
    return here if here.is_relative_to(ROOT) else ROOT / "lessons"


def _link(target: pathlib.Path, start: pathlib.Path) -> str:
    return pathlib.PurePath(os.path.relpath(target, start)).as_posix()


def outline_markdown() -> str:
    """The course's sections as a Markdown table, linking each lesson that exists."""
    lines = ["| # | Section | What it is about | Lesson |", "|---|---|---|---|"]
    for section in SECTIONS:
        path = lesson(section.id)
        link = f"[{path.name}]({path.name})" if path else "coming soon"
        lines.append(f"| {section.id} | {section.title} | {section.about} | {link} |")
    return "\n".join(lines)


def show_outline() -> None:
    """Display the course outline (the start page's table of sections)."""
    from IPython.display import Markdown, display

    display(Markdown(outline_markdown()))


def _lab_name(row: LabProgress) -> str:
    return f"Lab {row.lab.short.removeprefix('lab')} · {row.lab.title}"


def progress_text(store: ProgressStore | None = None) -> str:
    """The dashboard as plain text: one line per section's lesson, then one per lab.

    >>> print(progress_text())   # doctest: +SKIP
    Lessons (knowledge checks answered correctly)
    01 Introduction to serverless                 2/9
    ...
    """
    store = store or ProgressStore()
    lines = ["Lessons (knowledge checks answered correctly)"]
    for row in store.summary():
        status = f"{row.done}/{row.total}" if row.available else "coming later"
        lines.append(f"{row.section} {row.title:<40} {status}")
    lines.append("Labs (self-checks passed)")
    for lab in store.lab_summary():
        lines.append(f"{_lab_name(lab):<55} after section {lab.lab.section}  {lab.done}/{lab.total}")
    return "\n".join(lines)


def _bar(done: int, total: int, name: str, unit: str) -> str:
    percent = round(100 * done / total) if total else 0
    return (f'<div class="lk-progress-bar" role="progressbar" aria-label="{html.escape(name)}" '
            f'aria-valuemin="0" aria-valuemax="{total}" aria-valuenow="{done}" '
            f'aria-valuetext="{done} of {total} {unit}">'
            f'<div class="lk-progress-fill" style="width: {percent}%"></div></div>')


def _lesson_row(row: SectionProgress, start: pathlib.Path) -> str:
    name = f"{row.section} {row.title}"
    path = lesson(row.section)
    title = (f'<a href="{html.escape(_link(path, start))}">{html.escape(name)}</a>' if path
             else html.escape(name))
    if row.available:
        bar = _bar(row.done, row.total, f"{name}: knowledge checks", "answered correctly")
        label = f"{row.done}/{row.total} done"
    else:
        bar, label = "", "coming later"
    return (f'<tr class="lk-progress-section-{row.section}"><th scope="row">{title}</th>'
            f'<td>{bar}</td><td class="lk-progress-label">{label}</td></tr>')


def _lab_row(row: LabProgress, start: pathlib.Path) -> str:
    name = _lab_name(row)
    link = _link(ROOT / row.lab.notebook, start)
    return (f'<tr class="lk-progress-lab-{row.lab.short}"><th scope="row">'
            f'<a href="{html.escape(link)}">{html.escape(name)}</a></th>'
            f'<td>{row.lab.section}</td>'
            f'<td>{_bar(row.done, row.total, f"{name}: self-checks", "passed")}</td>'
            f'<td class="lk-progress-label">{row.done}/{row.total} done</td></tr>')


def progress_html(lessons: list[SectionProgress], labs: list[LabProgress],
                  start: pathlib.Path | None = None) -> str:
    """The dashboard's two tables as HTML, links relative to the folder ``start``."""
    start = start or _links_from()
    lesson_table = _table("lessons", "Lessons: knowledge checks answered correctly",
                          ("Section", "Progress", "Done"),
                          [_lesson_row(row, start) for row in lessons])
    lab_table = _table("labs", "Labs: self-checks passed",
                       ("Lab", "After section", "Progress", "Done"),
                       [_lab_row(row, start) for row in labs])
    return _STYLE + '<div class="lk-progress-tables">' + lesson_table + lab_table + "</div>"


def _table(kind: str, caption: str, headers: tuple[str, ...], rows: list[str]) -> str:
    """One of the dashboard's tables: a caption, column headers and its rows."""
    head = "".join(f'<th scope="col">{header}</th>' for header in headers)
    return (f'<table class="lk-progress-table lk-progress-{kind}"><caption>{caption}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


class ProgressBoard(widgets.VBox):
    """The dashboard widget. It updates itself until :meth:`close` is called.

    ``lessons`` and ``labs`` are the rows it shows; ``poll_seconds`` is how often it
    looks for answers recorded by other kernels.
    """

    def __init__(self, store: ProgressStore | None = None, poll_seconds: float = POLL_SECONDS):
        self.store = store or ProgressStore()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._seen = -1
        self.lessons: list[SectionProgress] = []
        self.labs: list[LabProgress] = []
        self.html = ""
        self.view = widgets.Output()
        self.view.add_class("lk-progress-view")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh",
                                             tooltip="Read the progress database again now")
        self.refresh_button.add_class("lk-progress-refresh")
        self.refresh_button.on_click(lambda _button: self.refresh())
        super().__init__([self.view, self.refresh_button])
        self.add_class("lk-progress")
        self.refresh()
        path = self.store.path.resolve()
        self._unsubscribe = on_record(lambda recorded: recorded.resolve() == path and self.refresh())
        self._poller = threading.Thread(target=self._poll, args=(poll_seconds,), daemon=True,
                                        name="lambdakit-progress-poll")
        self._poller.start()

    def refresh(self) -> None:
        """Read the progress database and show what changed."""
        with self._lock:
            if self._stop.is_set():
                return
            store = self.store
            self._seen = store.last_change()
            self.lessons, self.labs = store.summary(), store.lab_summary()
            text = progress_text(store)
            page = progress_html(self.lessons, self.labs)
            if page != self.html:
                self.html = page
                self.view.outputs = ({"output_type": "display_data", "metadata": {},
                                      "data": {"text/html": page, "text/plain": text}},)

    def _poll(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                if self.store.last_change() != self._seen:
                    self.refresh()
            except Exception:  # a locked or missing database: try again next time
                continue

    @property
    def polling(self) -> bool:
        """True while the background check for other kernels' answers runs."""
        return self._poller.is_alive()

    def close(self) -> None:
        """Stop updating and close the widget."""
        self._stop.set()
        self._unsubscribe()
        if self._poller is not threading.current_thread():
            self._poller.join(timeout=10)
        for child in (self.view, self.refresh_button):
            child.close()
        super().close()


def progress_widget(store: ProgressStore | None = None,
                    poll_seconds: float = POLL_SECONDS) -> ProgressBoard:
    """The dashboard as a widget that updates by itself (close it to stop).

    >>> board = progress_widget()   # doctest: +SKIP
    >>> [row.done for row in board.lessons]   # doctest: +SKIP
    [2, 0, 0, 0, 0, 0, 0, 0]
    >>> board.close()   # doctest: +SKIP
    """
    return ProgressBoard(store, poll_seconds)


_shown: weakref.WeakSet = weakref.WeakSet()


def show_progress(store: ProgressStore | None = None) -> None:
    """Display the dashboard in the notebook; it updates by itself as you answer checks.

    Showing it again (running the cell again) closes the one shown before, so a
    kernel never keeps more than one dashboard checking for updates.
    """
    from IPython.display import display

    for board in list(_shown):
        board.close()
    board = progress_widget(store)
    _shown.add(board)
    display(board)
