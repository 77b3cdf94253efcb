"""One fix to moto's CloudWatch Logs, so filter patterns filter as they do on AWS.

moto 5.2's ``FilterLogEvents`` understands plain words and one quoted phrase, and treats
every other pattern (``{ $.level = "ERROR" }``, ``[ip, ..., status = 5*]``, ``?ERROR
?WARN``, ``-DEBUG``) as matching *every* event, so a wrong pattern looks right. :func:`install`
makes moto match with :mod:`lambdakit.log_filters`, AWS's documented syntax, and refuse a
pattern AWS refuses with ``InvalidParameterException: Invalid filter pattern`` (also when the
log group holds no events yet). Live Tail (``StartLiveTail``) uses the same matcher, and tails
the log groups it is given: moto 5.2 looked the ARNs up without stopping at the match, so every
session tailed the most recently created log group.

Metric filters and subscription filters are stored by moto but never evaluated (no metric is
published, every event is delivered), so their patterns are not checked here either.
"""
from __future__ import annotations

from typing import Any

from . import log_filters

_installed = False


class _EventMessageFilter:
    """Stands in for ``moto.logs.utils.EventMessageFilter``: ``(pattern).matches(message)``."""

    def __init__(self, pattern: str | None):
        self.pattern = _compile(pattern)

    def matches(self, message: str) -> bool:
        return self.pattern.matches(message)


def _compile(pattern: str | None) -> log_filters.FilterPattern:
    from moto.logs.exceptions import InvalidParameterException

    try:
        return log_filters.compile_pattern(pattern or "")
    except log_filters.InvalidFilterPattern:
        raise InvalidParameterException(msg=log_filters.ERROR_MESSAGE) from None


def install() -> None:
    """Match ``FilterLogEvents`` and ``StartLiveTail`` patterns as AWS does (once per
    process; a fix, so it stays when an endpoint stops)."""
    global _installed
    import moto.logs.models as models

    if _installed:
        return
    _installed = True
    models.EventMessageFilter = _EventMessageFilter  # type: ignore[misc,assignment]
    original = models.LogsBackend.filter_log_events

    def filter_log_events(self: Any, log_group_name: str, log_stream_names: list[str],
                          start_time: int, end_time: int, limit: int | None,
                          next_token: str | None, filter_pattern: str,
                          interleaved: bool) -> Any:
        _compile(filter_pattern)   # refuse a bad pattern even when no event would be tested
        return original(self, log_group_name, log_stream_names, start_time, end_time, limit,
                        next_token, filter_pattern, interleaved)

    models.LogsBackend.filter_log_events = filter_log_events  # type: ignore[method-assign]

    def find_live_tail_log_group(self: Any, log_group_identifier: str) -> Any:
        self._find_log_group(log_group_id=log_group_identifier)   # moto's checks and errors
        for group in self.groups.values():
            if group.arn == log_group_identifier:
                return group
        raise models.ResourceNotFoundException()

    models.LogsBackend._find_live_tail_log_group = find_live_tail_log_group  # type: ignore
