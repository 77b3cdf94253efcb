"""Entry point of an execution environment's worker process.

Run as ``python lk_bootstrap.py KIND HANDLER`` by the engine. It guards the
process against reaching real AWS, puts the function's code first on
``sys.path`` (as ``/var/task`` is on AWS), then hands over to a runtime client
that speaks the Lambda Runtime API at ``AWS_LAMBDA_RUNTIME_API``: AWS's own
``awslambdaric``, or the kit's pure-Python ``lk_pyruntime``.

This file deliberately imports nothing from ``lambdakit``: it runs in the
function's process, where only the function's code and the kit's Python are.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _install_guard():
    """Refuse name lookups of real AWS hosts inside the function's process."""
    suffixes = tuple(s for s in os.environ.pop("LAMBDAKIT_BLOCKED_HOST_SUFFIXES", "").split(",") if s)
    if not suffixes:
        return

    def guard(event, args):
        if event == "socket.getaddrinfo" and isinstance(args[0], (str, bytes)):
            host = args[0].decode() if isinstance(args[0], bytes) else args[0]
            host = host.lower().rstrip(".")
            if any(host.endswith(s) or host == s[1:] for s in suffixes):
                raise PermissionError(
                    f"lambdakit: this function tried to reach real AWS ({host}); "
                    "the kit only talks to its local endpoint (AWS_ENDPOINT_URL)")

    sys.addaudithook(guard)


class _RuntimePackages:
    """Finds the Lambda runtime's own packages (``LAMBDAKIT_RUNTIME_SITE``: ``name=folder``
    pairs) after the function's code, its layers and the standard library, as
    ``/var/runtime`` comes after ``/var/task`` and ``/opt`` on AWS. The worker runs without
    ``site`` (``python -S``), so nothing else the kit has installed is importable: a handler
    that needs another library must bring it, as on AWS."""

    def __init__(self, spec):
        self.folders = dict(pair.split("=", 1) for pair in spec.split(os.pathsep) if "=" in pair)

    def find_spec(self, name, path=None, target=None):
        if path is not None or name not in self.folders:
            return None  # submodules are found through their package's __path__
        from importlib.machinery import PathFinder
        return PathFinder.find_spec(name, [self.folders[name]])

    def invalidate_caches(self):
        pass


def main(argv):
    kind, handler = argv[1], argv[2]
    if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
        sys.path.pop(0)  # user modules must not collide with the kit's worker files
    task_root = os.environ.get("LAMBDA_TASK_ROOT", os.getcwd())
    for extra in reversed(os.environ.get("LAMBDAKIT_CODE_PATH", "").split(os.pathsep)):
        if extra:
            sys.path.insert(0, extra)
    sys.path.insert(0, task_root)
    runtime_site = os.environ.pop("LAMBDAKIT_RUNTIME_SITE", None)
    if runtime_site is not None:
        sys.meta_path.append(_RuntimePackages(runtime_site))
    _install_guard()
    if kind == "awslambdaric":
        # awslambdaric's own main, minus its per-invocation polling thread (which
        # only lets the main thread take signals; the kit stops workers with SIGKILL).
        from awslambdaric import bootstrap
        from awslambdaric.lambda_runtime_client import LambdaRuntimeClient
        client = LambdaRuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"], False)
        bootstrap.run(handler, client)
    else:
        import importlib.util
        spec = importlib.util.spec_from_file_location("lk_pyruntime", os.path.join(HERE, "lk_pyruntime.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.run(handler)


if __name__ == "__main__":
    main(sys.argv)
