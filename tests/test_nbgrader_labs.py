"""Every graded lab through nbgrader: generate, submit, autograde, feedback, with the repository's
configuration, from ONE table of labs (``LABS``).

For each lab (one throw-away course per lab, released once, every submission graded in one
autograde run, the tests reading the gradebook):

- the release has no solutions and no hidden tests, its stubs say what to do, its graded and
  locked cells are the row's, and it is the committed copy under assignments/;
- ``solution`` (the source notebook, solutions and hidden tests in): full marks, no error, no
  stderr;
- ``untouched`` (the release as a learner gets it): zero, each test cell failing once, with the
  row's error;
- ``tampered-release`` (every test cell replaced by ``assert True``): still zero, and the hidden
  tests ran; ``tampered-solution`` (every test cell ``assert False``, and the row's locked cells
  rewritten): still full marks, and the locked cells restored;
- each partial submission of the row loses exactly the points of the cells it names, with the
  row's error in each of them, and nothing else;
- feedback is generated, with each submission's score; grading records no learner progress.

Adding a lab is one row of ``LABS``: its assignment, points per graded cell, solution cells, the
errors of the untouched release, and the partial submissions (each built from the source or the
release with ``solve``, ``set_cell``, ``replace`` and ``append``). Checks that belong to one lab
only are small functions that its row names in ``checks``.
"""
from __future__ import annotations

import copy
import dataclasses
import html
from collections.abc import Callable

import nbformat
import pytest

from nbgrader_harness import (ROOT, Course, assert_committed_release_is_current, assert_full_marks,
                              assert_graded_cells, assert_release_is_clean, assert_solution_stubs,
                              cell, cell_errors, grade_cells, released_course, with_grade_cells)

Notebook = nbformat.NotebookNode
Change = Callable[[Notebook, Notebook], None]   # (source, submission) -> edits the submission


# -- building submissions ------------------------------------------------------------------------

def solve(grade_id: str) -> Change:
    """The cell ``grade_id`` as the source has it (its solution)."""
    def change(source: Notebook, notebook: Notebook) -> None:
        notebook.cells[notebook.cells.index(cell(notebook, grade_id))] = copy.deepcopy(
            cell(source, grade_id))
    return change


def set_cell(grade_id: str, text: str) -> Change:
    """The cell ``grade_id`` reads ``text``."""
    def change(source: Notebook, notebook: Notebook) -> None:
        cell(notebook, grade_id).source = text.strip("\n")
    return change


def replace(grade_id: str, old: str, new: str) -> Change:
    """``old`` (found exactly once) replaced by ``new`` in the cell ``grade_id``."""
    def change(source: Notebook, notebook: Notebook) -> None:
        target = cell(notebook, grade_id)
        assert target.source.count(old) == 1, f"the {grade_id} cell no longer contains:\n{old}"
        target.source = target.source.replace(old, new)
    return change


def append(grade_id: str, text: str) -> Change:
    """``text`` added at the end of the cell ``grade_id``."""
    def change(source: Notebook, notebook: Notebook) -> None:
        cell(notebook, grade_id).source += text
    return change


@dataclasses.dataclass(frozen=True)
class Partial:
    """A submission that must lose exactly the points of ``loses`` (grade ids) and keep the rest.

    ``base`` is "source" (the solution) or "release" (what the learner gets); ``changes`` edit it.
    ``errors`` maps a graded cell to text its one error must contain.
    """

    student: str
    base: str
    changes: tuple[Change, ...]
    loses: tuple[str, ...]
    errors: dict[str, str] = dataclasses.field(default_factory=dict)

    def build(self, source: Notebook, release: Notebook) -> Notebook:
        notebook = copy.deepcopy({"source": source, "release": release}[self.base])
        for change in self.changes:
            change(source, notebook)
        return notebook


@dataclasses.dataclass(frozen=True)
class Lab:
    """One graded lab: what its release holds, and what each submission must score."""

    assignment: str
    points: dict[str, float]              # graded cell -> points (they add up to 10)
    solution_cells: tuple[str, ...]       # in notebook order
    regions: int                          # solution regions (one stub each in the release)
    untouched_errors: dict[str, str]      # graded cell -> text of its one error, untouched
    partials: tuple[Partial, ...]
    locked: tuple[str, ...] = ()          # cells that build the lab: locked, restored on grading
    written_files: tuple[str, ...] = ()   # files the lab writes (%%writefile): never released
    min_distinctive: int = 25             # distinctive solution lines the release check needs
    tampered_locked: tuple[tuple[str, str, str], ...] = ()   # (cell, old, new) a cheat rewrites
    tamper_solution: bool = True          # grade the tampered solution too (one more full run)
    release_lacks: tuple[str, ...] = ()   # answers the release must not give away
    feedback: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    checks: tuple[Callable[[Lab, Course], None], ...] = ()   # this lab's own checks (below)

    @property
    def notebook(self) -> str:
        return self.assignment

    @property
    def total(self) -> float:
        return sum(self.points.values())

    def score(self, partial: Partial) -> dict[str, float]:
        return {grade_id: 0.0 if grade_id in partial.loses else points
                for grade_id, points in self.points.items()}


# -- checks that belong to one lab (a row names them in ``checks``) -------------------------------

def untouched_answer_cells_say_what_to_do(lab: Lab, course: Course) -> None:
    """The untouched release's answer cells failed with the stub's message, and nothing else."""
    autograded = course.autograded("untouched")
    for grade_id in lab.solution_cells:
        errors = cell_errors(cell(autograded, grade_id))
        assert len(errors) == 1 and errors[0].startswith(NOT_WRITTEN), (grade_id, errors)


def lab06_gives_the_parser_and_leaves_the_handler(lab: Lab, course: Course) -> None:
    """What the learner is given of lab 06's module: parse_order whole, the rest to write."""
    module = cell(nbformat.read(course.release_notebook(), 4), "processor-module").source
    assert "def parse_order(body):" in module and "raise BadOrder(" in module
    assert "ConditionExpression" not in module and "batchItemFailures" not in module


# -- the table ------------------------------------------------------------------------------------

LAB06_REPORTS_FAILURES = """    failures = []
    for record in event["Records"]:
        try:
            record_order(parse_order(record["body"]), record["messageId"])
        except Exception as error:
            print(f"message {record['messageId']} failed: {error}")
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""
LAB06_FAILS_WHOLE_BATCH = """    for record in event["Records"]:
        record_order(parse_order(record["body"]), record["messageId"])   # a poison order raises
    return {"batchItemFailures": []}
"""
# Appended to lab 06's mapping cell: readers that report what the visible pipeline check expects.
LAB06_FAKE_READERS = """

def queue_depth(queue_url):
    return (0, 0)


def recorded_orders(prefix=""):
    first = {}
    for message_id, body in RUSH_SENT:
        if "poison" not in body:
            first.setdefault(json.loads(body)["order_id"], message_id)
    return {order_id: {"order_id": order_id, "message_id": message_id}
            for order_id, message_id in first.items() if order_id.startswith(prefix)}


def peek(queue_url):
    return [(message_id, body) for message_id, body in RUSH_SENT if "poison" in body]
"""
# Lab 08: instead of fixing the price check's Handler, fake the notebook's invoke helper.
LAB08_FAKE_INVOKE = """
def invoke(name, event=None, show=True):
    return {"status": 200, "function_error": None, "log": "",
            "payload": {"sku": "notebook", "price_cents": 480}}
"""
# Lab 03's role policy answers, and a bucket permission without the account.
LAB03_ROLE_POLICY = """
policy = {{"Version": "2012-10-17", "Statement": {statements}}}
iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="write-orders", PolicyDocument=json.dumps(policy))
"""
LAB03_PUT_ORDERS = '{"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": ORDERS_TABLE_ARN}'
LAB03_BROAD_ROLE = LAB03_ROLE_POLICY.format(
    statements='[{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]')
LAB03_EXTRA_READ = LAB03_ROLE_POLICY.format(statements=f"""[{LAB03_PUT_ORDERS},
    {{"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": ORDERS_TABLE_ARN}}]""")
LAB03_EXTRA_MANAGED = LAB03_ROLE_POLICY.format(statements=f"[{LAB03_PUT_ORDERS}]") + (
    'iam.attach_role_policy(RoleName=ROLE_NAME, '
    'PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")\n')
LAB03_BROAD_S3 = """
lam.add_permission(FunctionName=FUNCTION_NAME, StatementId="s3", Action="lambda:InvokeFunction",
                   Principal="s3.amazonaws.com", SourceArn=BUCKET_ARN)
"""
NOT_WRITTEN = "NotImplementedError: your turn"
# Lab 02: the table parsed by the first request instead of during Init; label_printer imported at
# module level; every label drawn again; measurements without a fresh environment.
LAB02_FIRST_REQUEST = (
    replace("price-tag", "PRODUCTS = catalogue.load()      # the whole table, parsed once per environment\n",
            "PRODUCTS = {}                    # filled by the first request\n"),
    replace("price-tag", '    sku = event.get("sku")\n    if sku not in PRODUCTS:',
            '    if not PRODUCTS:\n        PRODUCTS.update(catalogue.load())\n'
            '    sku = event.get("sku")\n    if sku not in PRODUCTS:'))
LAB02_NO_CACHE = (
    "    if sku not in LABELS:\n"
    "        import label_printer     # imported on the first label request, not during Init\n"
    "        LABELS[sku] = label_printer.render(sku, product)\n"
    "    return LABELS[sku]\n",
    "    import label_printer\n"
    "    return label_printer.render(sku, product)\n")
# Lab 04: the settings written into the code instead of read from the environment.
LAB04_CONFIG = """WAREHOUSE = os.environ.get("WAREHOUSE", "")
if not WAREHOUSE:
    raise RuntimeError("the environment variable WAREHOUSE is not set: set it to the warehouse's "
                       "name in the function's configuration (Environment)")
try:
    LOW_STOCK = int(os.environ.get("LOW_STOCK", "5"))
except ValueError:
    raise RuntimeError(f"the environment variable LOW_STOCK must be a whole number, "
                       f"not {os.environ['LOW_STOCK']!r}") from None
"""
LAB04_HARD_CODED = 'WAREHOUSE = "north"\nLOW_STOCK = 10\n'

LABS = (
    Lab(
        assignment="lab01_first_function",
        points={"test-quote": 2.0, "test-validation": 2.0, "test-handler-ok": 2.0,
                "test-handler-errors": 2.0, "test-deployed": 2.0},
        solution_cells=("pricing-module", "handler-module", "call-function"),
        regions=4,
        untouched_errors={"test-quote": NOT_WRITTEN, "test-validation": NOT_WRITTEN,
                          "test-handler-ok": NOT_WRITTEN, "test-handler-errors": NOT_WRITTEN,
                          "test-deployed": NOT_WRITTEN},
        partials=(
            Partial("partial", "release", (solve("pricing-module"),),
                    loses=("test-handler-ok", "test-handler-errors", "test-deployed")),
        ),
        locked=("setup", "deploy"),
        written_files=("pricing.py", "order_handler.py"),
        min_distinctive=40,
        feedback={"solution": ("test-deployed",), "untouched": ("NotImplementedError",)},
    ),
    Lab(
        assignment="lab02_cold_and_warm",
        points={"test-init": 3.0, "test-lazy": 3.0, "test-cache": 2.0, "test-measure": 2.0},
        solution_cells=("price-tag", "cold-and-warm"),
        regions=4,
        untouched_errors={"test-init": NOT_WRITTEN, "test-lazy": NOT_WRITTEN,
                          "test-cache": NOT_WRITTEN, "test-measure": NOT_WRITTEN},
        partials=(
            # the hidden tests redeploy price_tag.py with the grader's own catalogue and label
            # modules, and count from the logs what ran, how often, and during which phase
            Partial("first-request", "source", LAB02_FIRST_REQUEST, loses=("test-init",),
                    errors={"test-init": "parse the table at module level, during Init"}),
            Partial("eager-import", "source",
                    (replace("price-tag", "import catalogue\n", "import catalogue\nimport label_printer\n"),),
                    loses=("test-lazy",),
                    errors={"test-lazy": "price requests should not import label_printer"}),
            Partial("no-cache", "source", (replace("price-tag", *LAB02_NO_CACHE),),
                    loses=("test-cache",),
                    errors={"test-cache": "each label should be drawn once per environment"}),
            Partial("warm-only", "source",
                    (replace("cold-and-warm", "    fresh_start(function_name)\n", ""),),
                    loses=("test-measure",), errors={"test-measure": "KeyError: 'Init Duration'"}),
        ),
        locked=("setup", "shop-code", "deploy"),
        written_files=("price_tag.py",),
        min_distinctive=40,
        tamper_solution=False,   # every graded run deploys and times functions: one solution run
        release_lacks=("LABELS[sku]", "fresh_start(function_name)", "PRODUCTS = catalogue.load()"),
        feedback={"solution": ("test-measure",), "no-cache": ("Score: 8.0 / 10.0",)},
    ),
    Lab(
        assignment="lab03_least_privilege",
        points={"test-role-policy": 3.0, "test-only-orders-table": 2.0, "test-s3-invoke": 3.0,
                "test-s3-conditions": 2.0},
        solution_cells=("role-policy", "s3-permission"),
        regions=2,
        untouched_errors={
            "test-role-policy": "AssertionError: put an inline policy named write-orders",
            "test-only-orders-table": "AssertionError: first make the function able to write",
            "test-s3-invoke": "AssertionError: S3 should be allowed",
            "test-s3-conditions": "AssertionError: add exactly one statement for s3.amazonaws.com, "
                                  "found 0"},
        partials=(
            Partial("broad-role", "release",
                    (set_cell("role-policy", LAB03_BROAD_ROLE), solve("s3-permission")),
                    loses=("test-role-policy", "test-only-orders-table"),
                    errors={"test-role-policy": "AssertionError: no wildcards: the Action of",
                            "test-only-orders-table": "the function wrote to the customers table"}),
            Partial("extra-read", "release",
                    (set_cell("role-policy", LAB03_EXTRA_READ), solve("s3-permission")),
                    loses=("test-role-policy",),
                    errors={"test-role-policy": "only dynamodb:PutItem may be allowed"}),
            Partial("extra-managed", "release",
                    (set_cell("role-policy", LAB03_EXTRA_MANAGED), solve("s3-permission")),
                    loses=("test-role-policy",),
                    errors={"test-role-policy": "only AWSLambdaBasicExecutionRole may be attached"}),
            Partial("broad-s3", "release",
                    (solve("role-policy"), set_cell("s3-permission", LAB03_BROAD_S3)),
                    loses=("test-s3-invoke", "test-s3-conditions"),
                    errors={"test-s3-invoke": "a bucket in another account may invoke the function",
                            "test-s3-conditions": "the statement does not name your account"}),
        ),
        locked=("setup", "resources", "role", "deploy"),
        tampered_locked=(("role", "iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)",
                          'iam.attach_role_policy(RoleName=ROLE_NAME, PolicyArn=BASIC_EXECUTION)\n'
                          'iam.attach_role_policy(RoleName=ROLE_NAME, '
                          'PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")'),),
        feedback={"solution": ("test-s3-conditions", "Score: 10.0 / 10.0"),
                  "untouched": ("write-orders",),
                  "broad-role": ("Score: 5.0 / 10.0", "no wildcards")},
        checks=(untouched_answer_cells_say_what_to_do,),
    ),
    Lab(
        assignment="lab04_ship_a_function",
        points={"test-config": 2.0, "test-deadline": 3.0, "test-package": 2.0, "test-layer": 3.0},
        solution_cells=("stock-import", "build-package", "layer-and-deploy"),
        regions=4,
        untouched_errors={"test-config": NOT_WRITTEN, "test-deadline": NOT_WRITTEN,
                          "test-package": NOT_WRITTEN,
                          "test-layer": "AssertionError: publish the layer and keep its version ARN"},
        partials=(
            # each hidden test builds its own function around one part of the learner's work
            # (the file, the package builder, the layer) with the grader's own other parts
            Partial("hard-coded", "source",
                    (replace("stock-import", LAB04_CONFIG, LAB04_HARD_CODED),),
                    loses=("test-config",),
                    errors={"test-config": "with WAREHOUSE=check-east, WAREHOUSE should be"}),
            Partial("no-deadline", "source",
                    (replace("stock-import",
                             "        if context.get_remaining_time_in_millis() < MARGIN_MS:\n"
                             "            break\n", ""),),
                    loses=("test-deadline",), errors={"test-deadline": "stop in time"}),
            Partial("no-vendoring", "source",
                    (replace("build-package", '{**packages.vendor("PyYAML"), "stock_import.py": handler_source}',
                             '{"stock_import.py": handler_source}'),),
                    loses=("test-package",),
                    errors={"test-package": "PyYAML's yaml/ folder belongs at the root"}),
            Partial("no-layer", "source",
                    (replace("layer-and-deploy", "Layers=[LAYER_ARN], ", ""),),
                    loses=("test-layer",),
                    errors={"test-layer": "attach the layer to lab04-stock-import"}),
        ),
        locked=("setup", "shop-code"),
        written_files=("stock_import.py",),
        min_distinctive=40,
        tamper_solution=False,   # every graded run deploys a dozen functions: one solution run
        release_lacks=('packages.vendor("PyYAML"), "stock_import.py"',
                       "get_remaining_time_in_millis() < MARGIN_MS",
                       '"python/shop_rules.py": SHOP_RULES', 'os.environ.get("WAREHOUSE"'),
        feedback={"solution": ("test-layer",), "no-layer": ("Score: 7.0 / 10.0",)},
    ),
    Lab(
        assignment="lab05_protect_the_database",
        points={"test-overload": 1.0, "test-reserved": 2.0, "test-backoff-retries": 2.0,
                "test-backoff-gives-up": 2.0, "test-nothing-lost": 3.0},
        solution_cells=("metric-total", "reserve", "no-retries", "backoff", "big-sale"),
        regions=5,
        untouched_errors={"test-overload": "NotImplementedError",
                          "test-reserved": "AssertionError: the reserved concurrency",
                          "test-backoff-retries": "NotImplementedError",
                          "test-backoff-gives-up": "NotImplementedError",
                          "test-nothing-lost": "AssertionError"},
        partials=(
            Partial("partial", "release", (solve("no-retries"), solve("backoff")),
                    loses=("test-overload", "test-reserved", "test-nothing-lost")),
            # the structured answer is graded exactly: one wrong value loses the reserve points
            Partial("wrong-reserved", "source",
                    (replace("reserve", '"others_can_take_it": False,', '"others_can_take_it": True,'),),
                    loses=("test-reserved",),
                    errors={"test-reserved": "'others_can_take_it': True"}),
        ),
        locked=("setup", "database-module", "handler-module", "deploy", "helpers", "fake-lambda"),
        written_files=("order_db.py", "orders_handler.py"),
        min_distinctive=60,
        tampered_locked=(("database-module", "MAX_CONNECTIONS = 3\n", "MAX_CONNECTIONS = 100\n"),),
        feedback={"solution": ("test-nothing-lost",), "untouched": ("NotImplementedError",)},
    ),
    Lab(
        assignment="lab06_reliable_orders",
        points={"test-partial-batch": 2.0, "test-idempotent": 2.0, "test-queue": 2.0,
                "test-mapping": 2.0, "test-pipeline": 2.0},
        solution_cells=("processor-module", "queue", "role-policy", "mapping"),
        regions=5,
        untouched_errors={"test-partial-batch": "NotImplementedError",
                          "test-idempotent": "NotImplementedError",
                          "test-queue": "NameError: name 'QUEUE_URL' is not defined",
                          "test-mapping": "NameError: name 'MAPPING_UUID' is not defined",
                          "test-pipeline": "AssertionError: create the event source mapping first"},
        partials=(
            # the handler lets a poison order fail the whole batch, and the mapping cell fakes the
            # notebook's readers so that the visible pipeline check passes: the hidden tests read
            # the table and queues with their own clients, and count deliveries
            Partial("whole-batch", "source",
                    (replace("processor-module", LAB06_REPORTS_FAILURES, LAB06_FAILS_WHOLE_BATCH),
                     append("mapping", LAB06_FAKE_READERS)),
                    loses=("test-partial-batch", "test-pipeline"),
                    errors={"test-pipeline": "a good order in a batch with a poison one, was "
                                             "delivered"}),
            Partial("not-idempotent", "source",
                    (replace("processor-module",
                             '            ConditionExpression="attribute_not_exists(order_id)")\n',
                             "            )\n"),),
                    loses=("test-idempotent", "test-pipeline"),
                    errors={"test-idempotent": "AssertionError: the second delivery of the same "
                                               "order must return False and write nothing"}),
        ),
        locked=("setup", "resources", "helpers", "deploy", "rush"),
        written_files=("order_processor.py",),
        min_distinctive=40,
        tamper_solution=False,   # every graded run sends real orders: one solution run is enough
        feedback={"solution": ("test-pipeline",), "whole-batch": ("Score: 6.0 / 10.0",)},
        checks=(lab06_gives_the_parser_and_leaves_the_handler,),
    ),
    Lab(
        assignment="lab08_find_the_fault",
        points={"test-diagnosis": 2.0, "test-timeout": 2.0, "test-memory": 2.0, "test-role": 2.0,
                "test-handler": 2.0},
        solution_cells=("diagnosis", "fix-timeout", "fix-memory", "fix-role", "fix-handler"),
        regions=5,
        untouched_errors={
            "test-diagnosis": "NameError: name 'ERROR_TYPES' is not defined",
            "test-timeout": "AssertionError: still failing: ",
            "test-memory": "AssertionError: still failing: ",
            "test-role": "AssertionError: still failing: ",
            "test-handler": "AssertionError: still failing: "},
        partials=(
            Partial("timeout-900", "source", (replace("fix-timeout", "Timeout=3)", "Timeout=900)"),),
                    loses=("test-timeout",),
                    errors={"test-timeout": "AssertionError: a Timeout of 900 s is far more than "
                                            "the work needs"}),
            Partial("wildcard-policy", "source",
                    (replace("fix-role", '"Action": "dynamodb:PutItem"', '"Action": "*"'),),
                    loses=("test-role",), errors={"test-role": "AssertionError: no wildcards: "}),
            Partial("wrong-diagnosis", "source",
                    (replace("diagnosis", 'PRICE_FUNCTION: "Runtime.HandlerNotFound"',
                             'PRICE_FUNCTION: "Runtime.ImportModuleError"'),),
                    loses=("test-diagnosis",),
                    errors={"test-diagnosis": "AssertionError: lab08-price-check: "
                                              "'Runtime.ImportModuleError' is not the errorType in "
                                              "its answer; look again"}),
            # the visible check passes with a faked helper; the hidden test reads the real Handler
            Partial("fake-invoke", "source", (set_cell("fix-handler", LAB08_FAKE_INVOKE),),
                    loses=("test-handler",),
                    errors={"test-handler": "AssertionError: lambda_function.handler"}),
        ),
        locked=("setup", "deploy", "helpers"),
        tamper_solution=False,   # the graded runs deploy four functions each: one solution run
        release_lacks=("Runtime.OutOfMemory", "ClientError", "Runtime.HandlerNotFound",
                       "lambda_function.lambda_handler", "put_role_policy(", "Timeout=3",
                       "MemorySize=256"),
        feedback={"timeout-900": ("Score: 8.0 / 10.0",)},
    ),
)
LABS_BY_NAME = {lab.assignment: lab for lab in LABS}


def _planted(lab: Lab) -> str:
    return f"PLANTED-SOLUTION-FILE-{lab.assignment}"


# -- one course per lab, graded once ---------------------------------------------------------------

@pytest.fixture(scope="module", params=LABS, ids=[lab.assignment.split("_")[0] for lab in LABS])
def lab(request) -> Lab:
    return request.param


@pytest.fixture(scope="module")
def course(lab, tmp_path_factory):
    return released_course(tmp_path_factory.mktemp(f"nbgrader-{lab.assignment}"), lab.assignment,
                           ROOT / "labs" / lab.assignment, written_files=lab.written_files,
                           planted=_planted(lab), source_directory="labs")


@pytest.fixture(scope="module")
def graded(lab, course):
    """Every submission placed, then one autograde run for all of them."""
    source = nbformat.read(course.source_notebook(), as_version=4)
    release = nbformat.read(course.release_notebook(), as_version=4)
    course.submit("solution", course.source_notebook())
    course.submit("untouched", course.release_notebook())
    course.submit("tampered-release", with_grade_cells(release, "assert True"))
    if lab.tamper_solution:
        tampered = with_grade_cells(source, "assert False")
        for grade_id, old, new in lab.tampered_locked:
            replace(grade_id, old, new)(source, tampered)
        course.submit("tampered-solution", tampered)
    for partial in lab.partials:
        course.submit(partial.student, partial.build(source, release))
    return course, course.autograde()


# -- the checks, for every row ---------------------------------------------------------------------

def test_every_lab_is_in_the_table():
    found = sorted(path.name for path in (ROOT / "labs").iterdir()
                   if path.is_dir() and path.name.startswith("lab") and any(path.glob("*.ipynb")))
    assert found == sorted(LABS_BY_NAME), "add a row to LABS for each graded lab"


def test_the_release_has_no_solutions_and_no_hidden_tests(lab, course):
    release = assert_release_is_clean(course, min_distinctive=lab.min_distinctive)
    source = nbformat.read(course.source_notebook(), as_version=4)
    assert_solution_stubs(release, source, list(lab.solution_cells), lab.regions)
    assert_graded_cells(release, lab.points, locked=lab.locked)
    assert lab.total == 10
    release_text = "\n".join(c.source for c in release.cells)
    for answer in lab.release_lacks:
        assert answer not in release_text, f"the release gives away {answer!r}"


def test_the_committed_learner_copy_is_the_current_release(course):
    """Learners open assignments/: it must be what `nbgrader generate_assignment` makes."""
    assert_committed_release_is_current(course)


def test_the_source_notebook_is_committed_without_outputs(lab):
    folder = ROOT / "labs" / lab.assignment
    notebook = nbformat.read(folder / f"{lab.notebook}.ipynb", as_version=4)
    assert all(not c.outputs and c.execution_count is None
               for c in notebook.cells if c.cell_type == "code")
    others = {path.name for path in folder.iterdir()} - {
        f"{lab.notebook}.ipynb", "__pycache__", ".ipynb_checkpoints", *lab.written_files}
    assert not others, f"the lab folder holds only its notebook (and what it writes): {others}"


def test_every_lab_ends_with_its_summary(lab):
    notebook = nbformat.read(ROOT / "labs" / lab.assignment / f"{lab.notebook}.ipynb", 4)
    last_code = [c for c in notebook.cells if c.cell_type == "code"][-1]
    assert last_code.source.strip() == "checks.summary()"


def test_the_solution_scores_full_marks(lab, graded):
    course, output = graded
    assert_full_marks(course, "solution", lab.points, output)


def test_the_untouched_release_scores_zero_without_crashing(lab, graded):
    course, output = graded
    scores = course.scores("untouched")
    assert (scores.score, scores.max_score) == (0.0, lab.total), output
    # It really ran: every test cell failed once, at once, with the error that says what to do
    # (no timeout, no dead kernel).
    errors = {c.metadata.nbgrader.grade_id: cell_errors(c)
              for c in grade_cells(course.autograded("untouched"))}
    assert set(errors) == set(lab.points)
    assert all(len(found) == 1 for found in errors.values()), errors
    for grade_id, expected in lab.untouched_errors.items():
        assert expected in errors[grade_id][0], (grade_id, errors[grade_id])


def test_each_partial_submission_loses_exactly_its_points(lab, graded):
    course, output = graded
    wrong = {}
    for partial in lab.partials:
        scores = course.cell_scores(partial.student)
        if scores != lab.score(partial):
            wrong[partial.student] = {"expected": lab.score(partial), "scored": scores}
            continue
        autograded = course.autograded(partial.student)
        for grade_id, expected in partial.errors.items():
            found = cell_errors(cell(autograded, grade_id))
            if not (len(found) == 1 and expected in found[0]):
                wrong[partial.student] = {grade_id: found, "expected error": expected}
    assert not wrong, f"{wrong}\n--- autograde ---\n{output}"


def test_edited_test_cells_are_graded_by_the_original_tests(lab, graded):
    course, output = graded
    assert course.scores("tampered-release").score == 0.0, output
    autograded = course.autograded("tampered-release")
    assert all(c.source != "assert True" for c in grade_cells(autograded))
    assert all("BEGIN HIDDEN TESTS" in c.source for c in grade_cells(autograded)), \
        "the hidden tests run during grading"
    if not lab.tamper_solution:
        return
    assert course.scores("tampered-solution").score == lab.total, output
    restored = course.autograded("tampered-solution")
    for grade_id, old, new in lab.tampered_locked:  # nbgrader restored the locked cells too
        assert old in cell(restored, grade_id).source and new not in cell(restored, grade_id).source


def test_feedback_is_generated(lab, graded):
    course, _output = graded
    course.generate_feedback()  # every student at once: one nbgrader start-up
    total = f"{lab.total:.1f}"
    assert f"Score: {total} / {total}" in course.feedback_html("solution").read_text()
    assert f"Score: 0.0 / {total}" in course.feedback_html("untouched").read_text()
    for partial in lab.partials:
        kept = f"{sum(lab.score(partial).values()):.1f}"
        assert f"Score: {kept} / {total}" in course.feedback_html(partial.student).read_text()
    for student, texts in lab.feedback.items():
        page = html.unescape(course.feedback_html(student).read_text())
        for text in texts:
            assert text in page, (student, text)


def test_grading_records_no_progress(graded):
    course, _output = graded
    assert not course.progress_db.exists(), \
        "running a submission under nbgrader must not write to the learner progress database"


def test_the_labs_own_checks(lab, graded):
    for check in lab.checks:
        check(lab, graded[0])
