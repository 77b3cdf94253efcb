"""The course outline: one place that names every section and every lab."""
from __future__ import annotations

import pathlib
from typing import NamedTuple

ROOT = pathlib.Path(__file__).resolve().parents[2]
LESSONS = ROOT / "lessons"


class Section(NamedTuple):
    id: str
    title: str
    about: str = ""


SECTIONS = (
    Section("01", "Introduction to serverless",
            'what "serverless" means, what Lambda does for you, events and event-driven design'),
    Section("02", "How Lambda runs your code",
            "invocation models, execution environments, cold and warm starts, scaling out"),
    Section("03", "Permissions", "execution roles, resource-based policies, least privilege"),
    Section("04", "Authoring Lambda functions", "handlers, packaging, good habits for function code"),
    Section("05", "Configuration, concurrency and cost",
            "memory, timeouts, reserved and provisioned concurrency, pricing"),
    Section("06", "Invocation models and event sources",
            "asynchronous retries and destinations, queues and streams"),
    Section("07", "Deploying and testing", "versions, aliases, gradual rollouts, testing strategies"),
    Section("08", "Monitoring and troubleshooting", "logs, metrics, tracing, common errors"),
)


class Lab(NamedTuple):
    """A graded lab: its folder name, title, the section it follows, its released notebook
    (relative to the course folder) and the names of its self-checks.

    The self-check names must be the ones the lab's ``SelfChecks(...)`` call lists (a test
    compares them), so the dashboard's totals never depend on which labs were opened.
    """

    id: str
    title: str
    section: str
    notebook: str
    checks: tuple[str, ...]

    @property
    def short(self) -> str:
        """The lab's short name, the prefix of its progress items: ``"lab01"``."""
        return self.id.split("_", 1)[0]

    def items(self) -> tuple[str, ...]:
        """The progress item ids of its self-checks (``"lab01-quote"``, ...)."""
        return tuple(f"{self.short}-{check}" for check in self.checks)


LABS = (
    Lab("lab01_first_function", "Your first function: an order-quote API", "02",
        "assignments/lab01_first_function/lab01_first_function.ipynb",
        ("quote", "validation", "handler-ok", "handler-errors", "deployed")),
    Lab("lab02_cold_and_warm", "Cold starts that are cheap, warm starts that pay off", "02",
        "assignments/lab02_cold_and_warm/lab02_cold_and_warm.ipynb",
        ("init", "lazy", "cache", "measure")),
    Lab("lab03_least_privilege", "Least privilege", "03",
        "assignments/lab03_least_privilege/lab03_least_privilege.ipynb",
        ("role-policy", "only-orders-table", "s3-invoke", "s3-conditions")),
    Lab("lab04_ship_a_function", "Ship a function: a package, a layer, settings and a deadline",
        "04", "assignments/lab04_ship_a_function/lab04_ship_a_function.ipynb",
        ("config", "deadline", "package", "layer")),
    Lab("lab05_protect_the_database", "Protect the database", "05",
        "assignments/lab05_protect_the_database/lab05_protect_the_database.ipynb",
        ("overload", "reserved", "backoff-retries", "backoff-gives-up", "nothing-lost")),
    Lab("lab06_reliable_orders", "Reliable order processing from SQS", "06",
        "assignments/lab06_reliable_orders/lab06_reliable_orders.ipynb",
        ("partial-batch", "idempotent", "queue", "mapping", "pipeline")),
    Lab("lab08_find_the_fault", "Find the fault", "08",
        "assignments/lab08_find_the_fault/lab08_find_the_fault.ipynb",
        ("diagnosis", "timeout", "memory", "role", "handler")),
)


def labs_after(section_id: str) -> tuple[Lab, ...]:
    """The labs that follow a section, in order.

    >>> [lab.short for lab in labs_after("02")]
    ['lab01', 'lab02']
    """
    return tuple(lab for lab in LABS if lab.section == section_id)


def lesson(section_id: str) -> pathlib.Path | None:
    """The lesson notebook of a section (``lessons/<id>_*.ipynb``), or None while it is still to come."""
    found = sorted(LESSONS.glob(f"{section_id}_*.ipynb"))
    return found[0] if found else None


def title(section_id: str) -> str:
    """The title of a section.

    >>> title("02")
    'How Lambda runs your code'
    """
    for section in SECTIONS:
        if section.id == section_id:
            return section.title
    raise ValueError(f"unknown section {section_id!r}; sections are "
                     f"{', '.join(s.id for s in SECTIONS)}")
