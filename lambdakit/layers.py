"""Layers as the execution environment sees them: their content under ``/opt``.

moto stores layer versions (PublishLayerVersion) and the ARNs a function
attaches; :func:`opt_dir` extracts those layers, in the function's order (a later
layer's file overwrites an earlier one's, as on AWS), into one folder of the
kit's code cache that stands in for ``/opt``. :func:`runtime_paths` lists what
Lambda's runtimes add from ``/opt``: for Python ``/opt/python`` and
``/opt/python/lib/python3.X/site-packages`` on ``sys.path``; ``/opt/bin`` on
``PATH`` and ``/opt/lib`` on ``LD_LIBRARY_PATH`` for every runtime.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .functions import CodeStore, FunctionVersion


def _layer_package(account: str, region: str, arn: str) -> bytes:
    """The .zip of the layer version ``arn``, from moto's store."""
    from moto.awslambda.models import lambda_backends

    parts = arn.split(":")
    account, region = (parts[4] or account, parts[3] or region) if len(parts) > 4 else (account, region)
    layer_version = lambda_backends[account][region].layers_versions_by_arn(arn)
    if layer_version is None:
        raise LookupError(f"layer version not found: {arn}")
    return layer_version.code_bytes


def opt_dir(store: CodeStore, fn: FunctionVersion) -> str | None:
    """The folder holding ``fn``'s layers extracted as ``/opt``; None without layers.

    Layer versions are immutable, so the folder is keyed by their ARNs and, once
    extracted, keeps serving the function even if a layer version is deleted later
    (as AWS keeps a copy for the functions that use it).
    """
    if not fn.layer_arns:
        return None
    return store.unpack_layers(
        fn.layer_arns, lambda arn: _layer_package(fn.account_id, fn.region, arn))


def runtime_paths(opt: str, runtime: str) -> dict[str, list[str]]:
    """What a runtime adds from ``opt`` (as ``/opt``): ``sys.path`` entries, ``PATH`` and
    ``LD_LIBRARY_PATH`` folders, each in the order Lambda searches them."""
    paths: dict[str, list[str]] = {"PATH": [os.path.join(opt, "bin")],
                                   "LD_LIBRARY_PATH": [os.path.join(opt, "lib")], "sys.path": []}
    if runtime.startswith("python"):
        paths["sys.path"] = [os.path.join(opt, "python", "lib", runtime, "site-packages"),
                             os.path.join(opt, "python")]
    return paths
