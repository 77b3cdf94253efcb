"""One fix to moto's CloudWatch, so metric queries answer as AWS answers them.

``GetMetricStatistics`` matches dimensions *exactly* on AWS: asking for
``FunctionName=orders`` returns the series published with that one dimension,
not the ``FunctionName`` + ``Resource`` series as well (and asking with no
dimensions returns only dimensionless series). moto 5.2 matches any series
that *contains* the requested dimensions, which would count every Lambda
invocation twice. :func:`install` narrows moto's candidates to exact matches
for that call; ``ListMetrics`` keeps moto's (and AWS's) containment filter.
"""
from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_original: Any = None


def install() -> None:
    """Make ``GetMetricStatistics`` match dimension sets exactly (once per process; a fix,
    so it stays when an endpoint stops)."""
    global _original
    from moto.cloudwatch.models import CloudWatchBackend

    if _original is not None:
        return
    _original = original = CloudWatchBackend.get_metric_statistics

    def get_metric_statistics(self: Any, namespace: str, metric_name: str, start_time: Any,
                              end_time: Any, period: int, stats: list[str],
                              dimensions: list[dict[str, str]], unit: str | None = None) -> Any:
        wanted = sorted((d["Name"], d.get("Value")) for d in dimensions or [])
        every = type(self).get_all_metrics
        with _lock:  # the narrowed view lives on the backend for this one call
            self.get_all_metrics = lambda: [
                m for m in every(self)
                if sorted((d.name, d.value) for d in m.dimensions) == wanted]
            try:
                return original(self, namespace, metric_name, start_time, end_time, period,
                                stats, dimensions, unit)
            finally:
                del self.get_all_metrics

    CloudWatchBackend.get_metric_statistics = get_metric_statistics

