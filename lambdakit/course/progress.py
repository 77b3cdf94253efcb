"""The learner's progress, recorded locally in SQLite.

Knowledge checks and lab self-checks call :func:`record`; the start page's
dashboard reads :meth:`ProgressStore.summary` (the lessons' knowledge checks, per
section) and :meth:`ProgressStore.lab_summary` (each lab's self-checks). Totals
come from the question bank and the table of labs in :mod:`.sections`, never
from what happens to have been opened. The database lives at
``LAMBDAKIT_PROGRESS_DB`` or ``~/.lambdakit/progress.sqlite3``; several kernels
may write to it at once, and :meth:`ProgressStore.last_change` lets a dashboard in
any of them notice.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import pathlib
import sqlite3
import threading
import time
from typing import Callable, Iterator

from . import bank
from .sections import LABS, SECTIONS, Lab

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


@dataclasses.dataclass(frozen=True)
class LabProgress:
    """How many of one lab's self-checks have passed."""

    lab: Lab
    done: int
    total: int
    attempts: int


_listeners: list[Callable[[pathlib.Path], None]] = []
_listeners_lock = threading.Lock()


def on_record(callback: Callable[[pathlib.Path], None]) -> Callable[[], None]:
    """Call ``callback(database_path)`` after every attempt this process records.

    Returns a function that stops the calls. A dashboard uses it to update at once
    in its own kernel; attempts from other kernels reach it through
    :meth:`ProgressStore.last_change`.
    """
    with _listeners_lock:
        _listeners.append(callback)

    def stop() -> None:
        with _listeners_lock:
            if callback in _listeners:
                _listeners.remove(callback)
    return stop


def _notify(path: pathlib.Path) -> None:
    with _listeners_lock:
        callbacks = list(_listeners)
    for callback in callbacks:
        try:
            callback(path)
        except Exception:  # a broken listener must never lose the learner's answer
            pass


class ProgressStore:
    """Attempts and completed items, per section."""

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = pathlib.Path(path) if path else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits (or rolls back) and is closed at the end of the block."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def record(self, section: str, item: str, correct: bool, kind: str = "quiz") -> None:
        """Record one attempt at a question or lab check."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        with self._connect() as db:
            db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, ?)",
                       (section, item, kind, int(bool(correct)), time.time()))
            if kind == "lab":
                db.execute("INSERT OR IGNORE INTO items VALUES (?, ?, ?)", (section, item, kind))
        _notify(self.path)

    def register_items(self, section: str, items: list[str], kind: str = "lab") -> None:
        """Note checks a notebook declares (lab self-checks do).

        Kept for the notebooks that call it; the dashboard's totals come from the
        bank and :data:`~lambdakit.course.sections.LABS`, so this changes no total.
        """
        with self._connect() as db:
            db.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?)",
                           [(section, item, kind) for item in items])

    def completed(self, section: str) -> set[str]:
        """Items of ``section`` answered correctly at least once."""
        with self._connect() as db:
            rows = db.execute("SELECT DISTINCT item FROM attempts WHERE section = ? AND correct = 1",
                              (section,)).fetchall()
        return {row[0] for row in rows}

    def last_change(self) -> int:
        """A number that grows whenever any process records an attempt (0 for none yet).

        Cheap enough to poll every second: it reads one index entry.
        """
        with self._connect() as db:
            (latest,) = db.execute("SELECT MAX(rowid) FROM attempts").fetchone()
        return latest or 0

    def _correct_and_attempts(self, kind: str) -> tuple[set[tuple[str, str]], dict[str, int]]:
        with self._connect() as db:
            correct = set(db.execute("SELECT DISTINCT section, item FROM attempts "
                                     "WHERE kind = ? AND correct = 1", (kind,)))
            attempts = {(section, item): count for section, item, count in db.execute(
                "SELECT section, item, COUNT(*) FROM attempts WHERE kind = ? "
                "GROUP BY section, item", (kind,))}
        return correct, attempts

    def summary(self) -> list[SectionProgress]:
        """The lessons' knowledge checks: done, total and attempts per section, in order.

        The total is the section's questions in the bank; lab self-checks are not
        counted here (see :meth:`lab_summary`).
        """
        correct, attempts = self._correct_and_attempts("quiz")
        result = []
        for section in SECTIONS:
            items = {q.id for q in bank.load_section(section.id)}
            done = sum((section.id, item) in correct for item in items)
            tries = sum(n for (sec, _item), n in attempts.items() if sec == section.id)
            result.append(SectionProgress(section.id, section.title, done, len(items), tries))
        return result

    def lab_summary(self) -> list[LabProgress]:
        """Every lab's self-checks: passed, total and attempts, in the course's order."""
        correct, attempts = self._correct_and_attempts("lab")
        result = []
        for lab in LABS:
            keys = [(lab.section, item) for item in lab.items()]
            result.append(LabProgress(lab, sum(key in correct for key in keys), len(keys),
                                      sum(attempts.get(key, 0) for key in keys)))
        return result


def record(section: str, item: str, correct: bool, kind: str = "quiz") -> None:
    """Record an attempt in the default progress store."""
    ProgressStore().record(section, item, correct, kind)
