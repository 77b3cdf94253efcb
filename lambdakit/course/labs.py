"""Helpers for lab notebooks: re-import the files a learner writes, and self-checks that say how far
the learner has got.

>>> from lambdakit.course.labs import SelfChecks, expect_type, load      # doctest: +SKIP
>>> checks = SelfChecks("02", "lab01", {"quote": "quote_order prices an order",
...                                     "handler": "the handler answers 200"})  # doctest: +SKIP
>>> pricing = load("pricing")       # the learner's pricing.py, freshly read   # doctest: +SKIP
>>> expect_type(pricing.quote_order(order)["total_cents"], int, "total_cents")  # doctest: +SKIP
>>> checks.passed("quote")          # prints "✔ Self-check 1 of 2 passed: quote_order ..."  # doctest: +SKIP
>>> checks.summary()                # the lab's last cell: "1 of 2 self-checks passed" + what is left  # doctest: +SKIP

The stubs a learner replaces come from nbgrader (``nbgrader_config.py`` sets the stub): a line
``raise NotImplementedError("...")`` whose message says what to do.

While nbgrader grades a lab (it sets ``NBGRADER_EXECUTION``), nothing is
recorded: grading must not write to the instructor's progress, and a progress
store that cannot be written must never cost a student points.
"""
from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterable, Mapping
from types import ModuleType

from .progress import ProgressStore


def grading() -> bool:
    """True while nbgrader runs the notebook (autograde, validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def load(name: str) -> ModuleType:
    """Import module ``name`` from ``name.py`` in the working folder, re-reading the file.

    A lab cell that rewrites ``pricing.py`` (``%%writefile pricing.py``) is seen by the
    next ``load("pricing")``, never a stale copy.

    >>> pricing = load("pricing")     # doctest: +SKIP
    """
    sys.dont_write_bytecode = True  # a rewritten file must not be shadowed by its cached bytecode
    importlib.invalidate_caches()
    if name in sys.modules:
        return importlib.reload(sys.modules[name])
    return importlib.import_module(name)


def _type_names(expected: type | tuple[type, ...]) -> str:
    names = {int: "a whole number (int)", float: "a number (float)", str: "a string (str)",
             dict: "a dictionary (dict)", list: "a list", bool: "True or False (bool)",
             type(None): "None"}
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def expect_type(value, expected: type | tuple[type, ...], what: str) -> None:
    """Fail a self-check with a clear message unless ``value`` is of type ``expected``.

    ``what`` names the value for the learner ("the quote's total_cents"). ``True`` and ``False``
    are not accepted as an ``int`` (in Python, ``bool`` is a kind of ``int``), unless ``bool`` is
    asked for.

    >>> expect_type(3, int, "the quantity")
    >>> expect_type(True, int, "the quantity")
    Traceback (most recent call last):
    ...
    AssertionError: the quantity should be a whole number (int), not bool: True
    """
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in kinds:
        matches = False
    else:
        matches = isinstance(value, kinds)
    if not matches:
        raise AssertionError(f"{what} should be {_type_names(expected)}, "
                             f"not {type(value).__name__}: {value!r}")


class SelfChecks:
    """The self-checks of one lab: each says when it passes, counts on the progress dashboard,
    and ``summary()`` (the lab's last cell) says how many passed and which are left.

    ``section`` is the course section the lab belongs to ("02"), ``lab`` a short name ("lab01"),
    ``checks`` the names of its self-checks, in order: a list of names, or a dict from each name
    to what the check shows ("quote_order prices an order"), which the messages use. The names
    must be the ones ``sections.LABS`` lists for the lab (the dashboard's totals come from there; a
    test compares them). Creating the object starts a fresh count for ``summary()``: running the
    lab again from the top counts again from zero (the dashboard keeps every pass ever recorded).

    >>> checks = SelfChecks("02", "lab01", {"quote": "quote_order prices an order"})  # doctest: +SKIP
    >>> checks.passed("quote")                                                        # doctest: +SKIP
    ✔ Self-check 1 of 1 passed: quote_order prices an order
    """

    def __init__(self, section: str, lab: str, checks: Iterable[str] | Mapping[str, str],
                 store: ProgressStore | None = None):
        self.section, self.lab = section, lab
        self.descriptions = dict(checks) if isinstance(checks, Mapping) else {
            name: name for name in checks}
        self.checks = list(self.descriptions)
        self.done: set[str] = set()
        self._store = store
        if not grading():
            self._safely(lambda s: s.register_items(section, self.items(), kind="lab"))

    def items(self) -> list[str]:
        """The progress item ids of the checks ("lab01-quote", ...)."""
        return [f"{self.lab}-{check}" for check in self.checks]

    def passed(self, check: str) -> None:
        """Say that self-check ``check`` passed, and record it (not while nbgrader grades)."""
        if check not in self.descriptions:
            raise ValueError(f"unknown self-check {check!r}; this lab has {', '.join(self.checks)}")
        self.done.add(check)
        number = self.checks.index(check) + 1
        print(f"✔ Self-check {number} of {len(self.checks)} passed: {self.descriptions[check]}")
        if not grading():
            self._safely(lambda s: s.record(self.section, f"{self.lab}-{check}", True, kind="lab"))

    def left(self) -> list[str]:
        """The checks that have not passed since the lab's setup cell ran, in order."""
        return [check for check in self.checks if check not in self.done]

    def summary(self) -> None:
        """Print how many self-checks passed since the setup cell ran, and which are left."""
        left = self.left()
        total = len(self.checks)
        if not left:
            print(f"All {total} self-checks passed ({total}/{total}). When the lab is graded, "
                  "hidden tests try more cases: read each specification once more before you hand "
                  "it in.")
            return
        print(f"{total - len(left)} of {total} self-checks passed ({total - len(left)}/{total}). "
              "Still to do:")
        for check in left:
            number = self.checks.index(check) + 1
            print(f"  ✘ Self-check {number}: {self.descriptions[check]}")
        print("Run each one after the cell it checks; an error above it says what is missing.")

    def _safely(self, action) -> None:
        try:
            action(self._store or ProgressStore())
        except Exception as error:  # progress is a convenience: never fail the learner's check
            print(f"(progress not saved: {error})")
