"""The course outline: one place that names every section."""
from __future__ import annotations

from typing import NamedTuple


class Section(NamedTuple):
    id: str
    title: str


SECTIONS = (
    Section("01", "Introduction to serverless"),
    Section("02", "How Lambda runs your code"),
    Section("03", "Permissions"),
    Section("04", "Authoring Lambda functions"),
    Section("05", "Configuration, concurrency and cost"),
    Section("06", "Invocation models and event sources"),
    Section("07", "Deploying and testing"),
    Section("08", "Monitoring and troubleshooting"),
)


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
