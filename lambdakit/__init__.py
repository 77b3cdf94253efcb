"""lambdakit: learn AWS Lambda hands-on, locally, with plain boto3.

>>> import lambdakit                                   # doctest: +SKIP
>>> kit = lambdakit.start()                            # local endpoint, real handlers
>>> kit.client("lambda").invoke(FunctionName="hello")  # doctest: +SKIP

Importing the package is cheap: moto and boto3 load only when first needed.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["start", "stop", "Kit", "Endpoint", "Settings", "zip_code", "zip_directory"]

_EXPORTS = {
    "start": ("kit", "start"), "stop": ("kit", "stop"), "Kit": ("kit", "Kit"),
    "Endpoint": ("server", "Endpoint"), "Settings": ("settings", "Settings"),
    "zip_code": ("packaging", "zip_code"), "zip_directory": ("packaging", "zip_directory"),
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lambdakit' has no attribute {name!r}")
    import importlib
    module, attribute = _EXPORTS[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attribute)
    globals()[name] = value
    return value
