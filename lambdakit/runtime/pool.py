"""Warm execution environments of one function version, kept for reuse."""
from __future__ import annotations

import dataclasses
import time
from typing import Any

from .environment import ExecutionEnvironment


@dataclasses.dataclass
class EnvironmentPool:
    """Idle and busy environments for one code-and-configuration key.

    The most recently used idle environment is reused first, so a steady trickle
    of requests keeps few environments warm, as on AWS.
    """

    key: str
    idle: list[ExecutionEnvironment] = dataclasses.field(default_factory=list)
    busy: set[ExecutionEnvironment] = dataclasses.field(default_factory=set)
    retired: bool = False
    #: the provisioned concurrency configuration these environments serve (None: on-demand)
    provisioned: Any = None

    def take_idle(self) -> ExecutionEnvironment | None:
        if self.idle:
            env = self.idle.pop()
            self.busy.add(env)
            return env
        return None

    def add_busy(self, env: ExecutionEnvironment) -> None:
        self.busy.add(env)

    def give_back(self, env: ExecutionEnvironment, keep: bool) -> bool:
        """Return ``env`` after an invocation; True if it stays warm."""
        self.busy.discard(env)
        if keep and not self.retired:
            env.last_used = time.monotonic()
            self.idle.append(env)
            return True
        return False

    def expired(self, idle_timeout: float, now: float) -> list[ExecutionEnvironment]:
        """Remove and return idle environments unused for ``idle_timeout`` seconds."""
        old = [env for env in self.idle if now - env.last_used >= idle_timeout]
        self.idle = [env for env in self.idle if env not in old]
        return old

    def oldest_idle(self) -> ExecutionEnvironment | None:
        return min(self.idle, key=lambda env: env.last_used, default=None)
