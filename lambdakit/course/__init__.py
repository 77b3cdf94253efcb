"""Course helpers for the lessons: questions, progress, widgets and demonstrations.

Importing this package loads nothing heavy; each module imports what it needs.

* :mod:`.sections` the course outline
* :mod:`.bank` the question bank (data in ``quizzes/bank``) and the one grading rule
* :mod:`.progress` the learner's local progress record (SQLite)
* :mod:`.quiz` knowledge checks as widgets with instant feedback
* :mod:`.dashboard` progress bars for the start page
* :mod:`.timeline` and :mod:`.events` live demonstrations for lessons 01 and 02
"""
