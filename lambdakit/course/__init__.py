"""Course helpers for the lessons: questions, progress, widgets and demonstrations.

Importing this package loads nothing heavy; each module imports what it needs.

* :mod:`.sections` the course outline
* :mod:`.charts` one palette (one meaning per colour) and one way to show a chart, with alt text
* :mod:`.bank` the question bank (data in ``quizzes/bank``) and the one grading rule
* :mod:`.progress` the learner's local progress record (SQLite)
* :mod:`.quiz` knowledge checks as widgets with instant feedback
* :mod:`.dashboard` progress bars for the start page
* :mod:`.timeline` and :mod:`.events` live demonstrations for lessons 01 and 02
* :mod:`.attempt` one AWS call, its success or AWS's error, without raising (lesson 03)
* :mod:`.policy_builder` one policy statement: built, applied and tried as its principal (lesson 03)
* :mod:`.cost_calculator` and :mod:`.power_tuning` what a function costs, what memory buys (05)
* :mod:`.restaurant` the restaurant analogy for concurrency, played by the real rules (05)
* :mod:`.scaling_charts` simulator charts: scaling rules, reserved and provisioned (05)
* :mod:`.throttling` real invocations at once: 429s by Reason, SDK retries (05)
* :mod:`.error_table` one failing event per invocation model, observed and tabulated (06)
* :mod:`.event_flow` the live diagram of where an event waits and who retries it (06)
"""
