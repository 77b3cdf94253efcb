"""Capture of a worker's stdout and stderr, attributed to the right invocation.

The worker writes to one pipe; a reader thread splits it into timestamped
lines. To know that every line an invocation printed has been read, the engine
writes a unique marker into the same pipe after the invocation's response
arrived: the worker's own writes happened before its response, so they sit
ahead of the marker, and when the reader reaches the marker, the invocation's
output is complete. No sleeps, no guessing.

The same trick splits Init from Invoke: when the runtime first asks for an event
(Init is over), :meth:`OutputPipe.mark_init_done` writes a boundary marker, so the
lines ahead of it are Init's, however late the reader thread timestamps them.
"""
from __future__ import annotations

import itertools
import os
import threading
import time

LogLine = tuple[float, str]  # (unix time in seconds, text without the newline)
_MARK = b"\x1elambdakit-sync-"
_INIT_DONE = b"\x1elambdakit-init-done"


class OutputPipe:
    """A pipe whose write end is the worker's stdout/stderr."""

    def __init__(self) -> None:
        self._read_fd, self.write_fd = os.pipe()
        self._lines: list[LogLine] = []
        self._cond = threading.Condition()
        self._seen_marks: set[int] = set()
        self._counter = itertools.count()
        self._closed = False
        self._init_lines: int | None = None  # lines read before the Init boundary, if seen
        self._thread = threading.Thread(target=self._read_loop, daemon=True,
                                        name="lambdakit-output")
        self._thread.start()

    def _read_loop(self) -> None:
        pending = b""
        while True:
            try:
                chunk = os.read(self._read_fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            now = time.time()
            pending += chunk
            *complete, pending = pending.split(b"\n")
            with self._cond:
                for raw in complete:
                    self._take_line(raw, now)
                self._cond.notify_all()
        with self._cond:
            if pending:
                self._take_line(pending, time.time())
            self._closed = True
            self._cond.notify_all()
        os.close(self._read_fd)

    def _take_line(self, raw: bytes, when: float) -> None:
        text, boundary, _ = raw.partition(_INIT_DONE)
        if boundary:
            if text:
                self._lines.append((when, text.decode("utf-8", "replace")))
            self._init_lines = len(self._lines)
            return
        text, mark, rest = raw.partition(_MARK)
        if mark:
            self._seen_marks.add(int(rest))
            if not text:
                return
        self._lines.append((when, text.decode("utf-8", "replace")))

    def mark_init_done(self) -> None:
        """Note that Init is over: what the worker wrote so far was written during Init."""
        try:
            os.write(self.write_fd, _INIT_DONE + b"\n")
        except OSError:
            pass

    def collect(self, timeout: float = 5.0) -> tuple[list[LogLine], int | None]:
        """Everything written so far, and forget it; waits until the reader has caught up.

        Returns the lines and how many of the first ones were written during Init (None
        when the Init boundary is not among them).
        """
        mark = next(self._counter)
        try:
            os.write(self.write_fd, _MARK + str(mark).encode() + b"\n")
            written = True
        except OSError:
            written = False
        with self._cond:
            if written:
                self._cond.wait_for(lambda: mark in self._seen_marks or self._closed, timeout)
            lines, self._lines = self._lines, []
            init_lines, self._init_lines = self._init_lines, None
            return lines, init_lines

    def close(self) -> None:
        """Close the engine's write end; the reader stops once the worker's end is gone too."""
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1
