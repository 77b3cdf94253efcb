"""The course outline: one place that names every section."""
from __future__ import annotations

import pathlib
from typing import NamedTuple

LESSONS = pathlib.Path(__file__).resolve().parents[2] / "lessons"


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
