"""Create/Get/List/Update/DeleteEventSourceMapping: Lambda polling SQS queues and streams.

moto 5.2.1 stores event source mappings itself and, for SQS, registers the mapping on the
queue so that every SendMessage invokes the function inline, one message per invocation.
The kit answers these five operations instead (moto never sees them, so never registers
inline delivery) and keeps one :class:`EventSourceMappings` registry per engine; each
enabled mapping runs a poller (:mod:`lambdakit.pollers`) that reads the source as the
function's execution role and invokes the function synchronously, as Lambda does.

As on AWS (CreateEventSourceMapping API reference, "Lambda parameters for Amazon SQS
event source mappings", "Lambda event filtering"):

- the function must exist (a version or alias may be named; FunctionArn keeps the
  qualifier), and so must the source (``Error occurred while ReceiveMessage ...`` for a
  queue, ``Stream not found`` for a stream);
- ``BatchSize`` 1-10,000 (default 10 for SQS, 100 for streams), more than 10 on a standard
  queue only with ``MaximumBatchingWindowInSeconds`` of at least 1, at most 10 on a FIFO
  queue, which takes no batching window; ``MaximumBatchingWindowInSeconds`` 0-300;
- ``StartingPosition`` required for streams and refused for SQS; the stream-only settings
  (``BisectBatchOnFunctionError``, ``MaximumRetryAttempts``, ``MaximumRecordAgeInSeconds``,
  ``ParallelizationFactor``, ``DestinationConfig``, ``TumblingWindowInSeconds``) and the
  SQS-only ``ScalingConfig`` are refused elsewhere ("Unsupported '...' parameter for given
  event source mapping type.");
- ``FilterCriteria`` patterns must be valid patterns ("Invalid filter pattern definition.");
- the execution role must allow what the poller will do (``sqs:ReceiveMessage``,
  ``sqs:DeleteMessage``, ``sqs:GetQueueAttributes``; ``kinesis:``/``dynamodb:``
  ``GetRecords``, ``GetShardIterator``, ``DescribeStream``, ``ListShards``/``ListStreams``);
- a queue's visibility timeout may not be shorter than the function's timeout;
- one mapping per source and function ARN (``ResourceConflictException``).

``State`` moves as on AWS: Create answers ``Creating`` and the mapping becomes ``Enabled``
(or ``Disabled``) in the background; Update answers ``Updating`` (``Enabling`` /
``Disabling`` when ``Enabled`` changes); Delete answers ``Deleting`` and the mapping is gone
once its poller has stopped.
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterable
from urllib.parse import parse_qs, unquote

from .errors import (InvalidParameterValueException, ResourceConflictException,
                     ResourceNotFoundException, ServiceException, ValidationException)
from .invoke_api import function_ref
from .rest_api import check_integers, json_object, json_response, serve
from .pollers.base import Mapping, Poller

if TYPE_CHECKING:
    from .engine import Engine

COLLECTION_PATH = re.compile(r"^/2015-03-31/event-source-mappings/?$")
ITEM_PATH = re.compile(r"^/2015-03-31/event-source-mappings/(?P<uuid>[^/]+)/?$")

NOT_FOUND = "The resource you requested does not exist."
SOURCES = ("sqs", "kinesis", "dynamodb")
STREAM_ONLY = ("BisectBatchOnFunctionError", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
               "ParallelizationFactor", "DestinationConfig", "TumblingWindowInSeconds")
#: (member, botocore's field name, minimum, maximum) of the integer settings
LIMITS = (("BatchSize", "batchSize", 1, 10000),
          ("MaximumBatchingWindowInSeconds", "maximumBatchingWindowInSeconds", 0, 300),
          ("ParallelizationFactor", "parallelizationFactor", 1, 10),
          ("MaximumRetryAttempts", "maximumRetryAttempts", -1, 10000),
          ("MaximumRecordAgeInSeconds", "maximumRecordAgeInSeconds", -1, 604800),
          ("TumblingWindowInSeconds", "tumblingWindowInSeconds", 0, 900))
MAX_FILTERS = 5
#: what the execution role needs on each kind of source, in the order Lambda checks it
SOURCE_ACTIONS = {
    "sqs": ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"),
    "kinesis": ("kinesis:GetRecords", "kinesis:GetShardIterator", "kinesis:DescribeStream",
                "kinesis:ListShards"),
    "dynamodb": ("dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream",
                 "dynamodb:ListStreams"),
}
STREAM_ACCESS = ("Cannot access stream {arn}. Please ensure the role can perform the GetRecords, "
                 "GetShardIterator, DescribeStream, and {listing} Actions on your stream in IAM.")
PATTERN_OPERATORS = {"prefix", "suffix", "anything-but", "numeric", "exists", "equals-ignore-case",
                     "wildcard", "cidr"}

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def handles(environ: dict[str, Any]) -> bool:
    """True for the requests this module answers."""
    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    return ((method in ("POST", "GET") and bool(COLLECTION_PATH.match(path)))
            or (method in ("GET", "PUT", "DELETE") and bool(ITEM_PATH.match(path))))


# --- checks ------------------------------------------------------------------------------

def _unsupported(member: str) -> InvalidParameterValueException:
    name = member[0].lower() + member[1:]
    return InvalidParameterValueException(
        f"Unsupported '{name}' parameter for given event source mapping type.")


def _check_limits(config: dict[str, Any]) -> None:
    check_integers(config, LIMITS)
    age = config.get("MaximumRecordAgeInSeconds")
    if age is not None and age != -1 and age < 60:
        raise InvalidParameterValueException(
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
            "(inclusive)")
    concurrency = (config.get("ScalingConfig") or {}).get("MaximumConcurrency")
    if concurrency is not None:
        if not isinstance(concurrency, int) or not 2 <= concurrency <= 1000:
            bound = ("less than or equal to 1000" if isinstance(concurrency, int)
                     and concurrency > 1000 else "greater than or equal to 2")
            raise ValidationException(
                f"1 validation error detected: Value '{concurrency}' at "
                f"'scalingConfig.maximumConcurrency' failed to satisfy constraint: Member must "
                f"have value {bound}")
    types = config.get("FunctionResponseTypes")
    if types is not None and (not isinstance(types, list)
                              or any(t != "ReportBatchItemFailures" for t in types)):
        shown = "[" + ", ".join(str(t) for t in types) + "]" if isinstance(types, list) else types
        raise ValidationException(
            f"1 validation error detected: Value '{shown}' at 'functionResponseTypes' failed to "
            "satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value "
            "set: [ReportBatchItemFailures]]")


def _valid_pattern(pattern: Any, top: bool = True) -> bool:
    """EventBridge pattern syntax, as Lambda checks FilterCriteria."""
    if not isinstance(pattern, dict) or (top and not pattern):
        return False
    for value in pattern.values():
        if isinstance(value, dict):
            if not value or not _valid_pattern(value, False):
                return False
        elif isinstance(value, list):
            if not value:
                return False
            for item in value:
                if isinstance(item, dict):
                    if len(item) != 1 or next(iter(item)) not in PATTERN_OPERATORS:
                        return False
                elif isinstance(item, (list,)):
                    return False
        else:
            return False
    return True


def _check_filters(config: dict[str, Any]) -> None:
    criteria = config.get("FilterCriteria")
    if criteria is None:
        return
    filters = criteria.get("Filters") if isinstance(criteria, dict) else None
    if filters is None:
        return
    if not isinstance(filters, list):
        raise InvalidParameterValueException("Invalid filter pattern definition.")
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterValueException(
            f"The number of filters ({len(filters)}) exceeds the quota of {MAX_FILTERS} filters "
            "for an event source mapping.")
    for item in filters:
        raw = item.get("Pattern") if isinstance(item, dict) else None
        try:
            pattern = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            pattern = None
        if not _valid_pattern(pattern):
            raise InvalidParameterValueException("Invalid filter pattern definition.")


def _named(value: Any) -> bool:
    """False for an empty FilterCriteria or ScalingConfig (``{}``, ``{"Filters": []}``)."""
    return isinstance(value, dict) and any(v not in (None, [], {}) for v in value.values())


def _source(arn: Any) -> str:
    """The source's service (``sqs``, ``kinesis``, ``dynamodb``), or AWS's refusal."""
    parts = arn.split(":") if isinstance(arn, str) else []
    if len(parts) < 6 or parts[0] != "arn" or parts[2] not in SOURCES:
        raise InvalidParameterValueException(f"Unsupported source arn : {arn}")
    if parts[2] == "dynamodb" and "/stream/" not in parts[5]:
        raise InvalidParameterValueException(f"Unsupported source arn : {arn}")
    return parts[2]


def _queue(arn: str) -> Any:
    """moto's queue, or the error Lambda reports when it cannot read it."""
    from moto.sqs.models import sqs_backends

    _, _, _, region, account, name = arn.split(":", 5)
    try:
        queue = sqs_backends[account][region].queues.get(name)
    except KeyError:
        queue = None
    if queue is None:
        raise InvalidParameterValueException(
            "Error occurred while ReceiveMessage. SQS Error Code: "
            "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue "
            "does not exist.")
    return queue


def _check_stream(service: str, arn: str) -> None:
    _, _, _, region, account, resource = arn.split(":", 5)
    found = False
    try:
        if service == "kinesis":
            from moto.kinesis.models import kinesis_backends

            name = resource.split("/")[1]
            found = name in kinesis_backends[account][region].streams
        else:
            from moto.dynamodb.models import dynamodb_backends

            table = dynamodb_backends[account][region].tables.get(resource.split("/")[1])
            label = resource.split("/stream/", 1)[1]
            found = table is not None and table.latest_stream_label == label
    except (KeyError, IndexError):
        found = False
    if not found:
        raise InvalidParameterValueException(f"Stream not found: {arn}")


def _role_may(role_arn: str, function: str, action: str, resource: str) -> bool:
    """The same judge as :func:`lambdakit.event_invoke_config.role_may_send`."""
    from . import permissions_enforce

    try:
        caller = permissions_enforce.role_caller(role_arn, function)
        statements = permissions_enforce.resource_policy(action.split(":")[0], resource)
        return permissions_enforce.decide_action(caller, action, resource, statements).allowed
    except Exception:
        return False


def _check_role(service: str, source: str, fn: Any) -> None:
    for action in SOURCE_ACTIONS[service]:
        if not _role_may(fn.role, fn.function_name, action, source):
            if service == "sqs":
                raise InvalidParameterValueException(
                    "The provided execution role does not have permissions to call "
                    f"{action.split(':')[1]} on SQS")
            listing = "ListShards" if service == "kinesis" else "ListStreams"
            raise InvalidParameterValueException(STREAM_ACCESS.format(arn=source, listing=listing))


def _function(name: Any, account: str, region: str) -> tuple[Any, str]:
    """(moto's function version, FunctionArn as mapped: qualified when a qualifier was named)."""
    from .invoke_api import resolve

    if not isinstance(name, str) or not name:
        raise ValidationException(
            "1 validation error detected: Value null at 'functionName' failed to satisfy "
            "constraint: Member must not be null")
    ref = function_ref(name, None, account, region)
    try:
        target = resolve(ref)
    except ResourceNotFoundException:
        raise InvalidParameterValueException("Function does not exist") from None
    return target.fn, ref.invoked_arn


def _poller_class(service: str) -> type[Poller]:
    if service == "sqs":
        from .pollers.sqs import SqsPoller

        return SqsPoller
    try:
        from .pollers.streams import StreamPoller
    except ImportError:
        raise InvalidParameterValueException(
            f"lambdakit cannot poll {service} streams yet: only SQS event source mappings are "
            "available in this version of the kit.") from None
    return StreamPoller


# --- the registry -------------------------------------------------------------------------

class EventSourceMappings:
    """The event source mappings of one engine, and their pollers."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._mappings: dict[str, Mapping] = {}  # creation order
        self._pollers: dict[str, Poller] = {}
        self._settling: dict[str, threading.Lock] = {}  # one transition at a time per mapping
        self._lock = threading.RLock()
        self._closed = False

    def describe(self, mapping: Mapping) -> dict[str, Any]:
        """What Get/Create/Update/Delete answer: the configuration without private keys."""
        with mapping.lock:
            return {k: v for k, v in mapping.config.items() if not k.startswith("_")}

    def find(self, account: str, region: str, uuid_: str) -> Mapping:
        with self._lock:
            mapping = self._mappings.get(uuid_)
        if mapping is None or (mapping.account, mapping.region) != (account, region):
            raise ResourceNotFoundException(NOT_FOUND)
        return mapping

    # -- operations ----------------------------------------------------------------------
    def create(self, account: str, region: str, request: dict[str, Any]) -> dict[str, Any]:
        source = request.get("EventSourceArn")
        service = _source(source)
        fifo = service == "sqs" and source.endswith(".fifo")
        _check_limits(request)
        config = self._defaults(service)
        for key, value in request.items():
            if key in ("FunctionName", "Enabled", "Tags") or value is None:
                continue
            if key in ("FilterCriteria", "ScalingConfig") and not _named(value):
                continue
            config[key] = value
        self._check_kind(service, fifo, request, config, create=True)
        _check_filters(config)
        fn, function_arn = _function(request.get("FunctionName"), account, region)
        poller = _poller_class(service)
        self._check_source(service, source, fn)
        uuid_ = str(uuid.uuid4())
        enabled = request.get("Enabled")
        config.update({
            "UUID": uuid_, "EventSourceArn": source, "FunctionArn": function_arn,
            "LastModified": time.time(), "State": "Creating",
            "StateTransitionReason": "USER_INITIATED" if service == "sqs" else "User action",
            "EventSourceMappingArn": f"arn:aws:lambda:{region}:{account}:event-source-mapping:"
                                     f"{uuid_}",
            "_enabled": enabled is not False, "_poller": poller})
        mapping = Mapping(account, region, config)
        with self._lock:
            if self._closed:
                raise ServiceException("lambdakit: the engine is closed")
            self._refuse_duplicate(mapping, service, fn)
            self._mappings[uuid_] = mapping
            answer = self.describe(mapping)
        self._settle(mapping)
        return answer

    def get(self, account: str, region: str, uuid_: str) -> dict[str, Any]:
        return self.describe(self.find(account, region, uuid_))

    def list(self, account: str, region: str, source: str | None, function: str | None,
             marker: str | None, max_items: int | None) -> dict[str, Any]:
        base = arn = None
        if function:
            ref = function_ref(function, None, account, region)
            base, arn = ref.base_arn, ref.invoked_arn if ref.qualifier else None
        with self._lock:
            mappings = [m for m in self._mappings.values()
                        if (m.account, m.region) == (account, region)
                        and (not source or m.source_arn == source)
                        and (base is None or (m.function_arn == arn if arn
                                              else m.function_arn.startswith(base + ":")
                                              or m.function_arn == base))]
        start = 0
        if marker:
            if not marker.isdigit() or int(marker) > len(mappings):
                raise InvalidParameterValueException(f"Invalid marker: {marker}")
            start = int(marker)
        count = max_items or 100
        page = mappings[start:start + count]
        answer: dict[str, Any] = {"EventSourceMappings": [self.describe(m) for m in page]}
        if start + count < len(mappings):
            answer["NextMarker"] = str(start + count)
        return answer

    def update(self, account: str, region: str, uuid_: str,
               request: dict[str, Any]) -> dict[str, Any]:
        mapping = self.find(account, region, uuid_)
        service = mapping.service
        fifo = service == "sqs" and mapping.source_arn.endswith(".fifo")
        _check_limits(request)
        with mapping.lock:
            if mapping.config["State"] == "Deleting":
                raise ResourceNotFoundException(NOT_FOUND)
            merged = dict(mapping.config)
        for key, value in request.items():
            if key in ("UUID", "FunctionName", "Enabled") or value is None:
                continue
            if key in ("FilterCriteria", "ScalingConfig") and not _named(value):
                merged.pop(key, None)  # an empty value removes the setting
                continue
            merged[key] = value
        self._check_kind(service, fifo, request, merged, create=False)
        _check_filters(merged)
        fn, function_arn = None, mapping.function_arn
        if request.get("FunctionName"):  # the new function must be able to read the source
            fn, function_arn = _function(request["FunctionName"], account, region)
            self._check_source(service, mapping.source_arn, fn)
        with self._lock, mapping.lock:
            if function_arn != mapping.function_arn:
                self._refuse_duplicate(Mapping(account, region, {**merged,
                                                                  "FunctionArn": function_arn}),
                                       service, fn)
            was = mapping.config["_enabled"]
            enabled = was if request.get("Enabled") is None else bool(request["Enabled"])
            state = "Updating" if enabled == was else ("Enabling" if enabled else "Disabling")
            merged.update({"FunctionArn": function_arn, "_enabled": enabled, "State": state,
                           "LastModified": time.time()})
            mapping.config.clear()
            mapping.config.update(merged)
            answer = self.describe(mapping)
        self._settle(mapping)
        return answer

    def delete(self, account: str, region: str, uuid_: str) -> dict[str, Any]:
        mapping = self.find(account, region, uuid_)
        with mapping.lock:
            mapping.config["State"] = "Deleting"
            mapping.config["LastModified"] = time.time()
            answer = self.describe(mapping)
        self._settle(mapping)
        return answer

    def close(self) -> None:
        """Stop every poller (the engine is closing); safe to call twice."""
        with self._lock:
            self._closed = True
            pollers = list(self._pollers.values())
            self._pollers.clear()
        for poller in pollers:
            poller.stopping.set()
        for poller in pollers:
            poller.stop()

    def poller(self, uuid_: str) -> Poller | None:
        """The running poller of a mapping (None when disabled or not started yet)."""
        with self._lock:
            return self._pollers.get(uuid_)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _defaults(service: str) -> dict[str, Any]:
        if service == "sqs":
            return {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 0,
                    "FunctionResponseTypes": []}
        return {"BatchSize": 100, "MaximumBatchingWindowInSeconds": 0, "ParallelizationFactor": 1,
                "LastProcessingResult": "No records processed",
                "DestinationConfig": {"OnFailure": {}}, "MaximumRecordAgeInSeconds": -1,
                "BisectBatchOnFunctionError": False, "MaximumRetryAttempts": -1,
                "TumblingWindowInSeconds": 0, "FunctionResponseTypes": []}

    @staticmethod
    def _check_kind(service: str, fifo: bool, request: dict[str, Any], config: dict[str, Any],
                    create: bool) -> None:
        """The settings that depend on the kind of source."""
        if service == "sqs":
            if create and (request.get("StartingPosition") is not None
                           or request.get("StartingPositionTimestamp") is not None):
                raise InvalidParameterValueException(
                    "StartingPosition is not valid for SQS event sources.")
            for member in STREAM_ONLY:
                if request.get(member) is not None:
                    raise _unsupported(member)
            size, window = config["BatchSize"], config.get("MaximumBatchingWindowInSeconds") or 0
            if fifo:
                if size > 10:
                    raise InvalidParameterValueException(
                        "Maximum batch size must be between 1 and 10 inclusive")
                if window:
                    raise _unsupported("MaximumBatchingWindowInSeconds")
            elif size > 10 and window < 1:
                raise InvalidParameterValueException(
                    "Maximum batch window in seconds must be greater than 0 if maximum batch "
                    "size is greater than 10")
            return
        if request.get("ScalingConfig"):
            raise _unsupported("ScalingConfig")
        if ((request.get("DestinationConfig") or {}).get("OnSuccess") or {}).get("Destination"):
            raise _unsupported("DestinationConfig")
        if create:
            position = request.get("StartingPosition")
            if position is None:
                raise InvalidParameterValueException(
                    "1 validation error detected: Value null at 'startingPosition' failed to "
                    "satisfy constraint: Member must not be null.")
            if position not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
                raise ValidationException(
                    f"1 validation error detected: Value '{position}' at 'startingPosition' "
                    "failed to satisfy constraint: Member must satisfy enum value set: "
                    "[LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
            if position == "AT_TIMESTAMP" and service == "dynamodb":
                raise InvalidParameterValueException(
                    f"Unsupported starting position for arn type: {request['EventSourceArn']}")
            if request.get("StartingPositionTimestamp") is not None and position != "AT_TIMESTAMP":
                raise InvalidParameterValueException(
                    "Timestamp only valid with StartingPosition AT_TIMESTAMP")
        target = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if target and target.split(":")[2:3] not in (["sqs"], ["sns"]):
            raise InvalidParameterValueException(f"The destination ARN {target} is invalid.")

    @staticmethod
    def _check_source(service: str, source: str, fn: Any) -> None:
        if service == "sqs":
            queue = _queue(source)
            _check_role(service, source, fn)
            visibility = int(queue.visibility_timeout)
            timeout = int(fn.timeout)
            if visibility < timeout:
                raise InvalidParameterValueException(
                    f"Queue visibility timeout: {visibility} seconds is less than Function "
                    f"timeout: {timeout} seconds")
            return
        _check_stream(service, source)
        _check_role(service, source, fn)

    def _refuse_duplicate(self, mapping: Mapping, service: str, fn: Any) -> None:
        """ResourceConflictException if the source is already mapped to this FunctionArn."""
        for other in self._mappings.values():
            if (other is not mapping and other.source_arn == mapping.source_arn
                    and other.function_arn == mapping.function_arn):
                if service == "sqs":
                    message = (f'An event source mapping with SQS arn (" {other.source_arn} ") '
                               f'and function (" {fn.function_name} ") already exists. Please '
                               f"update or delete the existing mapping with UUID {other.uuid}")
                else:
                    message = (f'The event source arn (" {other.source_arn} ") and function '
                               f'(" {fn.function_name} ") provided mapping already exists. Please '
                               f"update or delete the existing mapping with UUID {other.uuid}")
                raise ResourceConflictException(message)

    def _settle(self, mapping: Mapping) -> None:
        """Bring the poller in line with the mapping, then its State (a background thread)."""
        threading.Thread(target=self._settle_now, args=(mapping,), daemon=True,
                         name=f"lambdakit-esm-{mapping.uuid[:8]}").start()

    def _settle_now(self, mapping: Mapping) -> None:
        with self._lock:
            serial = self._settling.setdefault(mapping.uuid, threading.Lock())
        with serial:
            self._transition(mapping)

    def _transition(self, mapping: Mapping) -> None:
        with mapping.lock:
            deleting = mapping.config["State"] == "Deleting"
            enabled = mapping.config["_enabled"] and not deleting
            kind = mapping.config["_poller"]
        with self._lock:
            running = self._pollers.get(mapping.uuid)
            stale = running if running is not None and not enabled else None
            start = None
            if enabled and running is None and not self._closed:
                start = self._pollers[mapping.uuid] = kind(self.engine, mapping)
            if stale is not None:
                del self._pollers[mapping.uuid]
        if stale is not None:
            stale.stop()
        if start is not None:
            start.start()
        with self._lock, mapping.lock:
            if mapping.config["State"] == "Deleting":
                if self._pollers.get(mapping.uuid) is None:
                    self._mappings.pop(mapping.uuid, None)
                    self._settling.pop(mapping.uuid, None)
                return
            if mapping.config["_enabled"] == enabled:
                mapping.config["State"] = "Enabled" if enabled else "Disabled"


# --- HTTP ----------------------------------------------------------------------------------

def _body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    return json_object(raw)


def respond(engine: Engine, environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    from .permissions import caller_from_environ

    method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
    caller, region = caller_from_environ(environ)
    account = caller.account
    registry = engine.event_sources
    item = ITEM_PATH.match(path)
    if item is None:
        if method == "POST":
            return json_response(202, registry.create(account, region, _body(environ)))
        query = parse_qs(environ.get("QUERY_STRING", ""))
        first = {k: v[0] for k, v in query.items() if v}
        max_items = first.get("MaxItems")
        if max_items is not None and (not max_items.isdigit() or not 1 <= int(max_items) <= 10000):
            raise ValidationException(
                f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to "
                "satisfy constraint: Member must have value less than or equal to 10000")
        return json_response(200, registry.list(account, region, first.get("EventSourceArn"),
                                                first.get("FunctionName"), first.get("Marker"),
                                                int(max_items) if max_items else None))
    uuid_ = unquote(item["uuid"])
    if method == "GET":
        return json_response(200, registry.get(account, region, uuid_))
    if method == "PUT":
        return json_response(202, registry.update(account, region, uuid_, _body(environ)))
    return json_response(202, registry.delete(account, region, uuid_))


def app(engine: Engine, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """WSGI application for the requests :func:`handles` accepts."""
    return serve(lambda: respond(engine, environ), start_response)
