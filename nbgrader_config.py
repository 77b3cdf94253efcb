"""nbgrader configuration for the course: run nbgrader from the repository root.

The labs are nbgrader *source* assignments: labs/<assignment>/<notebook>.ipynb, with solutions and
hidden tests. From this folder:

    nbgrader generate_assignment lab01_first_function    # -> assignments/lab01_first_function/
    nbgrader autograde lab01_first_function              # submitted/<student>/... -> autograded/
    nbgrader generate_feedback lab01_first_function      # -> feedback/<student>/...

The released labs in assignments/ are committed (learners open those); the other generated
folders and the gradebook (gradebook.db) are kept out of git (.gitignore).
"""

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "lambdakit"
c.CourseDirectory.source_directory = "labs"
# The released labs (no solutions, no hidden tests) are what learners open, so they are committed
# under assignments/; tests/test_nbgrader_labs.py checks they match a fresh release.
c.CourseDirectory.release_directory = "assignments"
# The gradebook stays the default: sqlite:///<this folder>/gradebook.db

# Files that a lab writes when it runs (for example with %%writefile). Running the source
# notebook leaves the *solution* versions of them next to it: they must never be released to
# students, nor copied over a student's own files when grading.
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
    "pricing.py", "order_handler.py",  # lab01_first_function
    "order_db.py", "orders_handler.py",  # lab05_protect_the_database
    "order_processor.py",  # lab06_reliable_orders
    "price_tag.py",  # lab02_cold_and_warm
    "stock_import.py",  # lab04_ship_a_function
]

# What a learner finds in place of each solution: a line that fails with a message saying what to
# do (nbgrader's default raises a bare NotImplementedError). The text above the cell, or the
# function's docstring, says what the code must do. tests/test_nbgrader_labs.py counts these stubs.
c.ClearSolutions.code_stub = {
    "python": "# YOUR CODE HERE\n"
              "raise NotImplementedError(\"your turn: replace this line with your code, as the "
              "instructions above ask\")",
}

# Grading runs every notebook top to bottom. Starting the kit and deploying functions takes a few
# seconds; the limit is per cell, and only guards against a submission that hangs.
c.Execute.timeout = 120
