"""The ``lambdakit`` command.

``lambdakit serve [--port N] [--host H] [--force-host]`` runs the local AWS
endpoint until SIGINT or SIGTERM, then stops every worker it started.

``lambdakit course [JUPYTER OPTIONS]`` opens the course: JupyterLab on the start
page, serving the repository on loopback.

``lambdakit build-quizzes [--out DIR] [--section 01 ...]`` writes the question
bank as nbgrader source notebooks (default: into ``labs``, nbgrader's source
folder here), ready for ``nbgrader generate_assignment``.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import signal
import sys
import threading


def _serve(args: argparse.Namespace) -> int:
    from .safety import check_bind_host
    from .server import Endpoint

    try:
        check_bind_host(args.host, args.force_host)
    except ValueError as exc:
        print(f"lambdakit: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        endpoint = Endpoint(args.host, args.port, force_host=args.force_host).start()
    except OSError as exc:
        print(f"lambdakit: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        return 1
    try:
        print(f"lambdakit endpoint ready at {endpoint.url} "
              f"(account 123456789012, region us-east-1, credentials testing/testing)",
              flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        endpoint.stop()
    print("lambdakit endpoint stopped", flush=True)
    return 0


def _build_quizzes(args: argparse.Namespace) -> int:
    from .course import quizbuild

    try:
        written = quizbuild.build(args.out, args.section or None)
    except ValueError as exc:
        print(f"lambdakit: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}  (nbgrader generate_assignment {path.parent.name})")
    return 0


COURSE_ROOT = pathlib.Path(__file__).resolve().parent.parent
START_PAGE = "lessons/00_start_here.ipynb"
ROOT_OPTIONS = ("--ServerApp.root_dir", "--root-dir", "--notebook-dir")


def _given(options: list[str], *names: str) -> bool:
    return any(option.split("=", 1)[0] in names for option in options)


def course_command(jupyter_options: list[str]) -> list[str]:
    """The command that opens the course: JupyterLab on the start page, on loopback.

    Options after ``lambdakit course`` go to JupyterLab (``--port 9999``,
    ``--no-browser`` ...) and replace these defaults where they overlap. Jupyter
    refuses to run as root unless told to; the course is for one learner on
    loopback, so as root it is told to. Run it from :data:`COURSE_ROOT`.
    """
    command = [sys.executable, "-m", "jupyter", "lab", START_PAGE]
    if not _given(jupyter_options, "--ip", "--ServerApp.ip"):
        command.append("--ServerApp.ip=127.0.0.1")
    if not _given(jupyter_options, *ROOT_OPTIONS):  # serve the whole course, not just lessons/
        command.append(f"--ServerApp.root_dir={COURSE_ROOT}")
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in jupyter_options:
        command.append("--allow-root")
    return command + jupyter_options


def _course(args: argparse.Namespace) -> int:
    # JupyterLab finds the start page relative to the working folder: the course's root,
    # or the folder the learner serves instead (--ServerApp.root_dir=...)
    given = [o.split("=", 1)[1] for o in args.jupyter_options
             if o.split("=", 1)[0] in ROOT_OPTIONS and "=" in o]
    root = pathlib.Path(given[-1]) if given else COURSE_ROOT
    if not (root / START_PAGE).exists():
        print(f"lambdakit: the course is not here: {root / START_PAGE} is missing "
              "(install the kit from the course repository: pip install -e .)", file=sys.stderr)
        return 2
    command = course_command(args.jupyter_options)
    os.chdir(root)
    if os.name == "posix":  # become JupyterLab, so Ctrl-C and signals reach it directly
        os.execv(sys.executable, command)
    import subprocess
    return subprocess.call(command)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lambdakit",
                                     description="Local AWS Lambda for learning, with plain boto3.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the local AWS endpoint")
    serve.add_argument("--port", type=int, default=5000, help="TCP port (default 5000; 0 picks one)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback only)")
    serve.add_argument("--force-host", action="store_true",
                       help="allow a non-loopback --host (anyone who reaches it can run code here)")
    serve.set_defaults(run=_serve)
    course = commands.add_parser("course", help="open the course in JupyterLab (start page)",
                                 description="Open the course: JupyterLab on the start page. "
                                 "Other options are passed to JupyterLab.")
    course.set_defaults(run=_course, jupyter_options=[])
    quizzes = commands.add_parser("build-quizzes",
                                  help="write the question bank as nbgrader quiz notebooks")
    quizzes.add_argument("--out", default="labs",
                         help="nbgrader source folder to write into (default: labs)")
    quizzes.add_argument("--section", action="append",
                         help="a section id such as 01 (repeatable; default: every section)")
    quizzes.set_defaults(run=_build_quizzes)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "course":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if extra:
        args.jupyter_options = extra
    return args.run(args)
