"""The start page's progress dashboard: one bar per section.

>>> from lambdakit.course.dashboard import show_progress   # doctest: +SKIP
>>> show_progress()

:func:`show_outline` lists the sections, linking the lessons that exist.
"""
from __future__ import annotations

from typing import Any

from .progress import ProgressStore, SectionProgress
from .sections import SECTIONS, lesson


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


def progress_text(store: ProgressStore | None = None) -> str:
    """The dashboard as plain text, one line per section."""
    lines = []
    for row in (store or ProgressStore()).summary():
        status = f"{row.done}/{row.total}" if row.available else "coming later"
        lines.append(f"{row.section} {row.title:<40} {status}")
    return "\n".join(lines)


def _row(row: SectionProgress) -> Any:
    import ipywidgets as widgets

    bar = widgets.FloatProgress(value=row.done, min=0, max=max(row.total, 1),
                                layout={"width": "40%"},
                                bar_style="success" if row.available and row.done == row.total else "")
    bar.add_class("lk-progress-bar")
    label = widgets.HTML(f"{row.done}/{row.total} done" if row.available else "<i>coming later</i>")
    label.add_class("lk-progress-label")
    box = widgets.HBox([widgets.HTML(f"<b>{row.section}</b> {row.title}", layout={"width": "40%"}),
                        bar, label])
    box.add_class(f"lk-progress-section-{row.section}")
    return box


def progress_widget(store: ProgressStore | None = None) -> Any:
    """A box of progress bars with a Refresh button."""
    import ipywidgets as widgets

    rows = widgets.VBox()
    refresh = widgets.Button(description="Refresh", icon="refresh")
    refresh.add_class("lk-progress-refresh")

    def update(_button: Any = None) -> None:
        rows.children = [_row(row) for row in (store or ProgressStore()).summary()]

    refresh.on_click(update)
    update()
    box = widgets.VBox([rows, refresh])
    box.add_class("lk-progress")
    box.rows, box.refresh_button = rows, refresh
    return box


def show_progress(store: ProgressStore | None = None) -> None:
    """Display the dashboard in the notebook."""
    from IPython.display import display

    display(progress_widget(store))
