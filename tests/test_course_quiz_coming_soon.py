"""A section whose questions are not written yet still shows a knowledge check: "coming soon"."""
from __future__ import annotations

import textwrap

from lambdakit.course import quiz
from lambdakit.course.progress import ProgressStore


def test_an_empty_section_says_its_questions_are_coming_soon(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMBDAKIT_QUIZ_BANK", str(tmp_path))
    (tmp_path / "01_only.yaml").write_text(textwrap.dedent("""
        section: "01"
        questions:
          - id: q1
            type: single
            source: new
            prompt: "Pick one."
            options: {a: "A", b: "B"}
            answer: a
            explanation: "Because."
        """))
    store = ProgressStore(tmp_path / "progress.sqlite3")
    empty = quiz.quiz_widget("05", store)
    assert len(empty.children) == 1
    assert "Configuration, concurrency and cost" in empty.children[0].value
    assert "Questions for this section are coming soon." in empty.children[0].value
    written = quiz.quiz_widget("01", store)
    assert "1 questions. Your answers are saved to your progress." in written.children[0].value
    assert len(written.children) == 3  # header, the question, the section's score
