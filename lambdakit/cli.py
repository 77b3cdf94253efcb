"""The ``lambdakit`` command.

``lambdakit serve [--port N] [--host H] [--force-host]`` runs the local AWS
endpoint until SIGINT or SIGTERM, then stops every worker it started.

``lambdakit build-quizzes [--out DIR] [--section 01 ...]`` writes the question
bank as nbgrader source notebooks (default: into ``labs``, nbgrader's source
folder here), ready for ``nbgrader generate_assignment``.
"""
from __future__ import annotations

import argparse
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
    quizzes = commands.add_parser("build-quizzes",
                                  help="write the question bank as nbgrader quiz notebooks")
    quizzes.add_argument("--out", default="labs",
                         help="nbgrader source folder to write into (default: labs)")
    quizzes.add_argument("--section", action="append",
                         help="a section id such as 01 (repeatable; default: every section)")
    quizzes.set_defaults(run=_build_quizzes)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)
