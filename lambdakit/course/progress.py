"""The learner's progress, recorded locally in SQLite.

Knowledge checks and lab self-checks call :func:`record`; the start page's
dashboard reads :meth:`ProgressStore.summary`. The database lives at
``LAMBDAKIT_PROGRESS_DB`` or ``~/.lambdakit/progress.sqlite3``; two kernels may
write to it at once.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import sqlite3
import time

from . import bank
from .sections import SECTIONS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    section TEXT NOT NULL, item TEXT NOT NULL, kind TEXT NOT NULL,
    correct INTEGER NOT NULL, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    section TEXT NOT NULL, item TEXT NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (section, item));
"""
KINDS = ("quiz", "lab")


def default_path() -> pathlib.Path:
    """Where progress is kept unless a path is given."""
    override = os.environ.get("LAMBDAKIT_PROGRESS_DB")
    return pathlib.Path(override) if override else pathlib.Path.home() / ".lambdakit" / "progress.sqlite3"


@dataclasses.dataclass(frozen=True)
class SectionProgress:
    """How far the learner is in one section."""

    section: str
    title: str
    done: int
    total: int
    attempts: int

    @property
    def available(self) -> bool:
        """False for sections whose lessons are still to come."""
        return self.total > 0


class ProgressStore:
    """Attempts and completed items, per section."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = pathlib.Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30)

    def record(self, section: str, item: str, correct: bool, kind: str = "quiz") -> None:
        """Record one attempt at a question or lab check."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        with self._connect() as db:
            db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, ?)",
                       (section, item, kind, int(bool(correct)), time.time()))
            if kind == "lab":
                db.execute("INSERT OR IGNORE INTO items VALUES (?, ?, ?)", (section, item, kind))

    def register_items(self, section: str, items: list[str], kind: str = "lab") -> None:
        """Declare checks that count towards a section's total (labs call this)."""
        with self._connect() as db:
            db.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?)",
                           [(section, item, kind) for item in items])

    def completed(self, section: str) -> set[str]:
        """Items of ``section`` answered correctly at least once."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT item FROM attempts WHERE section = ? AND correct = 1",
                              (section,)).fetchall()
        return {row[0] for row in rows}

    def summary(self) -> list[SectionProgress]:
        """Done, total and attempts for every section of the course, in order."""
        with self._connect() as db:
            registered = db.execute("SELECT section, item FROM items").fetchall()
            attempts = dict(db.execute("SELECT section, COUNT(*) FROM attempts GROUP BY section"))
        result = []
        for section in SECTIONS:
            items = {q.id for q in bank.load_section(section.id)}
            items |= {item for sec, item in registered if sec == section.id}
            done = len(self.completed(section.id) & items)
            result.append(SectionProgress(section.id, section.title, done, len(items),
                                          attempts.get(section.id, 0)))
        return result


def record(section: str, item: str, correct: bool, kind: str = "quiz") -> None:
    """Record an attempt in the default progress store."""
    ProgressStore().record(section, item, correct, kind)
