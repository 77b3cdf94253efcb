"""Lambda's CloudWatch metrics (namespace ``AWS/Lambda``), published as Lambda publishes them.

Per invocation: ``Invocations``, ``Errors``, ``Duration`` (ms) and
``ConcurrentExecutions`` (the function's in-flight count, read with the
``Maximum`` statistic); per refused invocation: ``Throttles``; account-wide:
``ConcurrentExecutions`` and ``UnreservedConcurrentExecutions``. Function
metrics carry the ``FunctionName`` dimension, and also ``FunctionName`` +
``Resource`` (``name:qualifier``) when a version or alias was invoked, as on AWS, and for
an alias also ``FunctionName`` + ``Resource`` + ``ExecutedVersion`` (the version that ran).

For a version or alias with provisioned concurrency, per invocation and under
``FunctionName`` + ``Resource`` only ("Lambda emits this metric for each function
version and alias with provisioned concurrency configured", *Monitoring
concurrency*): ``ProvisionedConcurrentExecutions`` (provisioned environments busy,
read with ``Maximum``), ``ProvisionedConcurrencyInvocations`` (invocations that ran on
them), ``ProvisionedConcurrencySpilloverInvocations`` (invocations that found them all
busy and ran on on-demand concurrency; both read with ``Sum``) and
``ProvisionedConcurrencyUtilization`` (busy / configured, ``Maximum``). AWS's prose
spells the second one ``ProvisionedConcurrentInvocations`` in places; the metric's
name in CloudWatch (and in the "Lambda function metrics" table) is
``ProvisionedConcurrencyInvocations``.

Asynchronous invocation (:mod:`lambdakit.async_invoke`), under ``FunctionName``:
``AsyncEventsReceived`` (events queued), ``AsyncEventAge`` (ms between queueing and each
attempt), ``AsyncEventsDropped`` (events that failed every attempt or grew too old),
``DeadLetterErrors`` and ``DestinationDeliveryFailures`` (deliveries refused).

Values are aggregated per minute (Lambda's resolution) into one statistic set
per metric and dimension set, so memory stays flat however many invocations
run, and the numbers are readable at once with ``get_metric_statistics``::

    cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Throttles", Statistics=["Sum"],
        Dimensions=[{"Name": "FunctionName", "Value": "orders"}],
        StartTime=now - timedelta(minutes=5), EndTime=now + timedelta(minutes=1), Period=60)
"""
from __future__ import annotations

import threading
from typing import Any

NAMESPACE = "AWS/Lambda"
Dimensions = tuple[tuple[str, str], ...]


def dimension_sets(function: str, qualifier: str | None,
                   executed_version: str | None = None) -> list[Dimensions]:
    """The dimension sets a function's metric is published under: ``FunctionName``; with
    ``Resource`` too when a version or alias was invoked; and, for an alias, with
    ``ExecutedVersion`` as well (the version the alias routed this invocation to, which tells
    the two versions of a weighted alias apart).

    >>> dimension_sets("orders", "live")
    [(('FunctionName', 'orders'),), (('FunctionName', 'orders'), ('Resource', 'orders:live'))]
    >>> dimension_sets("orders", "live", "2")[-1]
    (('FunctionName', 'orders'), ('Resource', 'orders:live'), ('ExecutedVersion', '2'))
    >>> len(dimension_sets("orders", "2", "2"))  # a version invoked directly: no alias
    2
    """
    sets: list[Dimensions] = [(("FunctionName", function),)]
    if qualifier:
        resource = ("Resource", f"{function}:{qualifier}")
        sets.append((("FunctionName", function), resource))
        if executed_version and qualifier != "$LATEST" and not qualifier.isdigit():
            sets.append((("FunctionName", function), resource,
                         ("ExecutedVersion", executed_version)))
    return sets


class MetricPublisher:
    """Adds data points to the local CloudWatch, one aggregate per minute and series."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._series: dict[tuple[Any, ...], Any] = {}

    def add(self, account: str, region: str, name: str, value: float, unit: str,
            dimensions: Dimensions = ()) -> None:
        """Add one data point of metric ``name`` to the current minute."""
        from moto.cloudwatch.models import cloudwatch_backends
        from moto.core.utils import utcnow

        backend = cloudwatch_backends[account][region]
        minute = utcnow().replace(second=0, microsecond=0)
        key = (id(backend), minute, name, dimensions)  # a reset backend is a new object
        with self._lock:
            datum = self._series.get(key)
            if datum is not None:
                datum.sum += value
                datum.sample_count += 1
                datum.min, datum.max = min(datum.min, value), max(datum.max, value)
                return
            if len(self._series) > 4096:  # old minutes: their data stays in CloudWatch
                self._series = {k: v for k, v in self._series.items() if k[1] == minute}
            backend.put_metric_data(NAMESPACE, [{
                "MetricName": name, "Timestamp": minute, "Unit": unit,
                "Dimensions": [{"Name": n, "Value": v} for n, v in dimensions],
                "StatisticValues": {"SampleCount": 1, "Sum": value, "Minimum": value,
                                    "Maximum": value}}])
            self._series[key] = backend.metric_data[-1]

    def invocation(self, account: str, region: str, function: str, qualifier: str | None, *,
                   duration_ms: float, error: bool, concurrent: int,
                   executed_version: str | None = None) -> None:
        """One invocation ended: Invocations, Errors, Duration, ConcurrentExecutions."""
        for dims in dimension_sets(function, qualifier, executed_version):
            self.add(account, region, "Invocations", 1, "Count", dims)
            self.add(account, region, "Errors", 1 if error else 0, "Count", dims)
            self.add(account, region, "Duration", duration_ms, "Milliseconds", dims)
            self.add(account, region, "ConcurrentExecutions", concurrent, "Count", dims)

    def provisioned(self, account: str, region: str, function: str, qualifier: str, *,
                    on_provisioned: bool, busy: int, size: int) -> None:
        """One invocation of a version or alias with provisioned concurrency ``size`` ended:
        it ran on a provisioned environment (``on_provisioned``) or spilled over; ``busy``
        provisioned environments were in use while it ran."""
        dims = (("FunctionName", function), ("Resource", f"{function}:{qualifier}"))
        self.add(account, region, "ProvisionedConcurrencyInvocations",
                 1 if on_provisioned else 0, "Count", dims)
        self.add(account, region, "ProvisionedConcurrencySpilloverInvocations",
                 0 if on_provisioned else 1, "Count", dims)
        self.add(account, region, "ProvisionedConcurrentExecutions", busy, "Count", dims)
        self.add(account, region, "ProvisionedConcurrencyUtilization",
                 busy / size if size else 0.0, "None", dims)

    def throttle(self, account: str, region: str, function: str, qualifier: str | None) -> None:
        """One invocation was refused with a 429: Throttles."""
        for dims in dimension_sets(function, qualifier):
            self.add(account, region, "Throttles", 1, "Count", dims)

    def async_event(self, account: str, region: str, function: str, name: str,
                    value: float = 1, unit: str = "Count") -> None:
        """An asynchronous-invocation metric under ``FunctionName``: ``AsyncEventsReceived``,
        ``AsyncEventAge`` (ms), ``AsyncEventsDropped``, ``DeadLetterErrors`` or
        ``DestinationDeliveryFailures``."""
        self.add(account, region, name, value, unit, (("FunctionName", function),))

    def iterator_age(self, account: str, region: str, function: str, qualifier: str | None,
                     age_ms: float) -> None:
        """A stream event source mapping finished a batch: ``IteratorAge`` (ms), the age of the
        batch's last record (how far behind the stream the function is)."""
        for dims in dimension_sets(function, qualifier):
            self.add(account, region, "IteratorAge", age_ms, "Milliseconds", dims)

    def account(self, account: str, region: str, *, concurrent: int, unreserved: int) -> None:
        """Account-wide concurrency: invocations running, and those of functions without reserved
        concurrency (``UnreservedConcurrentExecutions`` counts use, not the pool's size)."""
        self.add(account, region, "ConcurrentExecutions", concurrent, "Count")
        self.add(account, region, "UnreservedConcurrentExecutions", unreserved, "Count")
