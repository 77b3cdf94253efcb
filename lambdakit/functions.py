"""A function version as the engine runs it, read from moto's model of it.

moto stores what the control plane knows (CreateFunction, UpdateFunction*,
PublishVersion); :class:`FunctionVersion` is the frozen snapshot of one version
that execution environments are started from, and :class:`CodeStore` unpacks
deployment packages once per code hash, and a function's layers once per list
of layer versions (:mod:`lambdakit.layers`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import threading
import zipfile
from typing import Any, Callable

SUPPORTED_RUNTIME_PREFIXES = ("python3.", "provided")


@dataclasses.dataclass(frozen=True)
class FunctionVersion:
    """The code and configuration of one function version ($LATEST or a number)."""

    account_id: str
    region: str
    name: str
    version: str
    function_arn: str  # unqualified
    handler: str
    runtime: str
    memory_size: int
    timeout: float
    environment: tuple[tuple[str, str], ...]
    role: str
    code_sha256: str
    layer_arns: tuple[str, ...] = ()
    # LoggingConfig (lambdakit.function_rules.logging_config): format, levels (JSON only), group
    log_format: str = "Text"
    application_log_level: str | None = None
    system_log_level: str | None = None
    log_group_name: str = ""  # empty: Lambda's default, /aws/lambda/NAME

    @property
    def version_arn(self) -> str:
        return f"{self.function_arn}:{self.version}"

    @property
    def log_group(self) -> str:
        """The group the function's logs go to: LoggingConfig's LogGroup, or ``/aws/lambda/NAME``."""
        return self.log_group_name or f"/aws/lambda/{self.name}"

    @property
    def key(self) -> str:
        """Identifies code and configuration: environments are reused only for an equal key."""
        blob = json.dumps(dataclasses.astuple(self), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    @classmethod
    def from_moto(cls, fn: Any) -> FunctionVersion:
        """Snapshot a moto ``LambdaFunction`` (the $LATEST object or a published copy)."""
        arn = fn.function_arn
        base_arn = arn if arn.count(":") == 6 else arn.rsplit(":", 1)[0]
        version = str(fn.version)
        return cls(
            account_id=fn.account_id, region=fn.region, name=fn.function_name,
            version="$LATEST" if version in ("$LATEST", "0") else version,
            function_arn=base_arn, handler=fn.handler or "", runtime=fn.run_time or "",
            memory_size=int(fn.memory_size or 128), timeout=float(fn.timeout or 3),
            environment=tuple(sorted((str(k), str(v)) for k, v in (fn.environment_vars or {}).items())),
            role=fn.role, code_sha256=getattr(fn, "code_sha_256", ""),
            layer_arns=tuple(layer["Arn"] for layer in (fn.layers or [])),
            **_logging_fields(getattr(fn, "_lk_logging", None)),
        )


def _logging_fields(config: dict[str, Any] | None) -> dict[str, Any]:
    """FunctionVersion's logging fields from a stored LoggingConfig (None: Lambda's defaults)."""
    config = config or {}
    return {"log_format": config.get("LogFormat") or "Text",
            "application_log_level": config.get("ApplicationLogLevel"),
            "system_log_level": config.get("SystemLogLevel"),
            "log_group_name": config.get("LogGroup") or ""}


def is_valid_zip(zip_bytes: bytes) -> bool:
    """True when ``zip_bytes`` is a readable .zip archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
            return archive.testzip() is None
    except (zipfile.BadZipFile, EOFError, ValueError):
        return False


def unsupported_runtime_message(runtime: str | None) -> str | None:
    """Why the kit cannot run ``runtime`` locally, or None when it can."""
    if runtime and runtime.startswith(SUPPORTED_RUNTIME_PREFIXES):
        return None
    return (f"lambdakit runs Python (python3.x) and custom-runtime (provided.*) functions "
            f"locally; runtime {runtime!r} is not supported by the kit")


def _extract(zip_bytes: bytes, folder: str) -> None:
    """Extract a .zip into ``folder`` (existing files overwritten, executable bits kept)."""
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        for info in archive.infolist():
            existing = os.path.join(folder, info.filename)
            if not info.is_dir() and os.path.isfile(existing):
                os.remove(existing)  # a later layer's file wins, even over a read-only one
            path = archive.extract(info, folder)
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                os.chmod(path, mode | stat.S_IRUSR)


class CodeStore:
    """Unpacks each deployment package once, into a folder named by its hash."""

    def __init__(self, root: str | None = None):
        self.root = root or tempfile.mkdtemp(prefix="lambdakit-code-")
        self._lock = threading.Lock()
        self._known: dict[str, str] = {}

    def unpack(self, zip_bytes: bytes, digest: str | None = None) -> str:
        """The folder holding the unpacked package (executable bits kept).

        ``digest`` (moto's CodeSha256) names the package when known, which saves
        hashing it again on every invocation.
        """
        if digest and digest in self._known:
            return self._known[digest]
        target = os.path.join(self.root, hashlib.sha256(zip_bytes).hexdigest()[:24])
        with self._lock:
            if os.path.isdir(target):
                if digest:
                    self._known[digest] = target
                return target
            staging = tempfile.mkdtemp(dir=self.root)
            try:
                _extract(zip_bytes, staging)
                os.replace(staging, target)
            except Exception:
                shutil.rmtree(staging, ignore_errors=True)
                raise
            if digest:
                self._known[digest] = target
        return target

    def unpack_layers(self, arns: tuple[str, ...], package: Callable[[str], bytes]) -> str:
        """The folder with the layers ``arns`` extracted in order, later files overwriting
        earlier ones (Lambda's ``/opt``); ``package(arn)`` gives a layer's .zip when needed."""
        key = "opt-" + hashlib.sha256("\n".join(arns).encode()).hexdigest()[:24]
        target = os.path.join(self.root, key)
        with self._lock:
            if os.path.isdir(target):
                return target
            staging = tempfile.mkdtemp(dir=self.root)
            try:
                for arn in arns:
                    _extract(package(arn), staging)
                os.replace(staging, target)
            except Exception:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        return target

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
