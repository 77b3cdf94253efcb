"""Helpers for lab notebooks: re-import the files a learner writes, count passing self-checks.

>>> from lambdakit.course.labs import SelfChecks, load      # doctest: +SKIP
>>> checks = SelfChecks("02", "lab01", ["quote", "handler"])  # doctest: +SKIP
>>> pricing = load("pricing")       # the learner's pricing.py, freshly read  # doctest: +SKIP
>>> checks.passed("quote")          # one more step done on the dashboard      # doctest: +SKIP

While nbgrader grades a lab (it sets ``NBGRADER_EXECUTION``), nothing is
recorded: grading must not write to the instructor's progress, and a progress
store that cannot be written must never cost a student points.
"""
from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from .progress import ProgressStore


def grading() -> bool:
    """True while nbgrader runs the notebook (autograde, validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def load(name: str) -> ModuleType:
    """Import module ``name`` from ``name.py`` in the working folder, re-reading the file.

    A lab cell that rewrites ``pricing.py`` (``%%writefile pricing.py``) is seen by the
    next ``load("pricing")``, never a stale copy.
    """
    sys.dont_write_bytecode = True  # a rewritten file must not be shadowed by its cached bytecode
    importlib.invalidate_caches()
    if name in sys.modules:
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)


class SelfChecks:
    """The self-checks of one lab, counted in the section's progress.

    ``section`` is the course section the lab belongs to ("02"), ``lab`` a short
    name ("lab01"), ``checks`` the names of its self-checks. Creating the object
    registers the checks, so the dashboard knows the section's total.
    """

    def __init__(self, section: str, lab: str, checks: list[str],
                 store: ProgressStore | None = None):
        self.section, self.lab, self.checks = section, lab, list(checks)
        self._store = store
        if not grading():
            self._safely(lambda s: s.register_items(section, self.items(), kind="lab"))

    def items(self) -> list[str]:
        """The progress item ids of the checks ("lab01-quote", ...)."""
        return [f"{self.lab}-{check}" for check in self.checks]

    def passed(self, check: str) -> None:
        """Record that self-check ``check`` passed (a no-op while nbgrader grades)."""
        if check not in self.checks:
            raise ValueError(f"unknown self-check {check!r}; this lab has {', '.join(self.checks)}")
        if not grading():
            self._safely(lambda s: s.record(self.section, f"{self.lab}-{check}", True, kind="lab"))

    def _safely(self, action) -> None:
        try:
            action(self._store or ProgressStore())
        except Exception as error:  # progress is a convenience: never fail the learner's check
            print(f"(progress not saved: {error})")
