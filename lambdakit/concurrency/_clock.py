"""Two clocks with one interface: ``now()`` in seconds, as a float.

The concurrency rules never read the time themselves: they are given ``now``,
or ask the clock they were built with. The live engine uses a
:class:`WallClock`; the simulator uses a :class:`VirtualClock` that it moves
forward from event to event, so a minute of traffic replays in milliseconds.
"""
from __future__ import annotations

import time


class WallClock:
    """Real time: seconds from :func:`time.monotonic` (never goes backwards).

    >>> clock = WallClock()
    >>> clock.now() <= clock.now()
    True
    """

    __slots__ = ()

    def now(self) -> float:
        """Seconds since an arbitrary fixed point."""
        return time.monotonic()

    def __repr__(self) -> str:
        return "WallClock()"


class VirtualClock:
    """Simulated time that moves only when told to.

    >>> clock = VirtualClock()
    >>> clock.advance(2.5)
    >>> clock.now()
    2.5
    >>> clock.advance_to(10)
    >>> clock.now()
    10.0
    """

    __slots__ = ("time",)

    def __init__(self, start: float = 0.0):
        self.time = float(start)

    def now(self) -> float:
        """The current simulated time in seconds."""
        return self.time

    def advance(self, delay: float) -> None:
        """Move the clock ``delay`` seconds forward."""
        if delay < 0:
            raise ValueError(f"Negative delay {delay}")
        self.time += delay

    def advance_to(self, when: float) -> None:
        """Move the clock to ``when`` (seconds); time never goes backwards."""
        if when < self.time:
            raise ValueError(f"Cannot go back in time from {self.time} to {when}")
        self.time = float(when)

    def __repr__(self) -> str:
        return f"VirtualClock(time={self.time})"
