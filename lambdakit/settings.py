"""The kit's fixed identity and its tunable settings, in one place.

Every tunable reads an environment variable once, when a :class:`Settings` is
made, so a lesson or a test can change it without touching code::

    >>> from lambdakit.settings import Settings
    >>> Settings(idle_timeout=30).idle_timeout
    30.0
"""
from __future__ import annotations

import dataclasses
import os

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"

#: Lambda's documented payload limits (bytes).
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6 MB request and response, RequestResponse
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # 1 MB for InvocationType=Event (256 KB before Oct 2025)
INIT_TIMEOUT = 10.0  # seconds Lambda allows the Init phase of an on-demand environment
LOG_TAIL_BYTES = 4096  # LogType=Tail returns the last 4 KB of the execution log

WORKER_KINDS = ("auto", "awslambdaric", "python")


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {raw!r}")
    return value


_CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")


def memory_limit_bytes() -> int | None:
    """The memory this process may use: the container's limit (cgroup) or the machine's RAM."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    for path in _CGROUP_LIMITS:  # Binder and other containers cap memory below the host's RAM
        try:
            with open(path) as f:
                raw = f.read().strip()
        except OSError:
            continue
        if raw.isdigit():
            limits.append(int(raw))
    return min(limits) if limits else None


def _default_max_environments() -> int:
    """Live worker processes the memory allows: one per 128 MB, from 4 to 64."""
    limit = memory_limit_bytes()
    if limit is None:
        return 16
    return max(4, min(64, limit // (128 * 1024 * 1024)))


@dataclasses.dataclass
class Settings:
    """How the local engine behaves where AWS's behaviour is a matter of scale.

    idle_timeout: seconds an unused execution environment stays warm before it
        shuts down (``LAMBDAKIT_IDLE_TIMEOUT``; AWS keeps them for minutes, unspecified).
    worker: which runtime client runs handlers: ``awslambdaric`` (AWS's own, Linux),
        ``python`` (the kit's pure-Python client, any OS) or ``auto``
        (``LAMBDAKIT_WORKER``).
    max_environments: live worker processes across all functions; beyond it,
        invocations wait for one to free up (``LAMBDAKIT_MAX_ENVIRONMENTS``).
    account_concurrency: the account's concurrency limit, 1,000 as on a new AWS
        account; a lesson may lower it to see throttles (``LAMBDAKIT_ACCOUNT_CONCURRENCY``).
    time_scale: multiplies AWS's long delays (the retries and backoff of asynchronous
        invocation, and the maximum event age): 1.0 is real time, as on AWS; 0.01 makes a
        60-second wait last 0.6 s (``LAMBDAKIT_TIME_SCALE``).
    """

    idle_timeout: float = dataclasses.field(
        default_factory=lambda: _env_float("LAMBDAKIT_IDLE_TIMEOUT", 300.0))
    worker: str = dataclasses.field(
        default_factory=lambda: os.environ.get("LAMBDAKIT_WORKER", "auto") or "auto")
    max_environments: int = dataclasses.field(
        default_factory=lambda: int(os.environ.get("LAMBDAKIT_MAX_ENVIRONMENTS") or 0)
        or _default_max_environments())
    account_concurrency: int = dataclasses.field(
        default_factory=lambda: int(os.environ.get("LAMBDAKIT_ACCOUNT_CONCURRENCY") or 1000))
    time_scale: float = dataclasses.field(
        default_factory=lambda: _env_float("LAMBDAKIT_TIME_SCALE", 1.0))

    def __post_init__(self) -> None:
        self.idle_timeout = float(self.idle_timeout)
        if self.idle_timeout <= 0:
            raise ValueError(f"idle_timeout must be positive, got {self.idle_timeout}")
        if self.worker not in WORKER_KINDS:
            raise ValueError(f"worker must be one of {WORKER_KINDS}, got {self.worker!r}")
        if self.max_environments < 1:
            raise ValueError(f"max_environments must be at least 1, got {self.max_environments}")
        if self.account_concurrency < 1:
            raise ValueError(f"account_concurrency must be at least 1, got {self.account_concurrency}")
        self.time_scale = float(self.time_scale)
        if self.time_scale <= 0:
            raise ValueError(f"time_scale must be positive, got {self.time_scale}")
