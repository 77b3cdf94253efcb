"""Where lambdakit plugs into moto: real execution and Lambda's state machine.

moto models Lambda's control plane (functions, versions, aliases) but runs
code in Docker. :func:`install` changes that in one place per concern:

* ``LambdaFunction._invoke_lambda``: the routes into a function that moto
  still owns (InvokeAsync, CloudFormation custom resources ...) end here; it now
  runs the handler in the kit's engine. S3, SNS and EventBridge deliveries go
  through :mod:`lambdakit.push_sources` (asynchronous, resource policy checked),
  and event source mappings are the kit's own (:mod:`lambdakit.event_source_mappings`).
* CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration: the
  package and runtime are checked as AWS checks them, ``State`` goes
  Pending -> Active and ``LastUpdateStatus`` InProgress -> Successful while the
  package is unpacked in the background, so boto3's ``function_active_v2`` and
  ``function_updated_v2`` waiters work.
* UpdateFunctionCode / UpdateFunctionConfiguration on a version or alias are
  refused: published versions are immutable (:mod:`lambdakit.function_rules`).
* CreateAlias / UpdateAlias: a RoutingConfig must follow Lambda's rules (one
  additional published version, a weight from 0.0 to 1.0, no $LATEST). An alias
  that exists already is AWS's ``ResourceConflictException`` (409; moto says
  ``ConflictException``).
* CreateFunction / UpdateFunctionConfiguration(Environment=...): at most 4 KB of
  variables, none of Lambda's reserved keys.
* CreateFunction / UpdateFunctionConfiguration(LoggingConfig=...): checked and
  stored as Lambda does (:func:`lambdakit.function_rules.logging_config`), and
  returned by GetFunction(Configuration) with Lambda's defaults; a published
  version keeps the configuration it was published with.
* A function's layers are extracted into the code cache (:mod:`lambdakit.layers`)
  as soon as it is created or updated; its workers see them as ``/opt``.
* Updates and DeleteFunction retire the execution environments of the old code.
* CreateFunction / UpdateFunctionConfiguration(Role=...): the execution role
  must exist and trust ``lambda.amazonaws.com``, and a caller other than the
  account's root user needs the lambda action and ``iam:PassRole``
  (:mod:`lambdakit.permissions_roles`); a refused request changes nothing.

The HTTP Invoke operation has its own fast path (:mod:`lambdakit.invoke_api`)
that shares :func:`code_dir` and the engine with these hooks.
"""
from __future__ import annotations

import base64
import functools
import json
import threading
from typing import TYPE_CHECKING, Any

from . import layers, sessions
from .function_rules import default_log_group
from .functions import FunctionVersion, is_valid_zip, unsupported_runtime_message

if TYPE_CHECKING:
    from .engine import Engine

BAD_ZIP_MESSAGE = "Could not unzip uploaded file. Please check your file, then try to upload again."
PENDING_REASON = ("The function is being created.", "Creating")

_engine: Engine | None = None  # the most recently installed engine still running
_engines: list[Engine] = []
_installed = False
_lock = threading.Lock()


def current_engine() -> Engine:
    """The engine that runs invocations; an AWS-shaped error if none is running."""
    engine = _engine
    if engine is None:
        from .errors import ServiceException
        raise ServiceException("lambdakit's engine is not running")
    return engine


def code_dir(fn: Any, engine: Engine | None = None) -> str:
    """The folder with ``fn``'s unpacked deployment package."""
    engine = engine or current_engine()
    return engine.code.unpack(fn.code_bytes, getattr(fn, "code_sha_256", None))


def install(engine: Engine) -> None:
    """Route moto's Lambda execution to ``engine`` (patching moto once per process)."""
    global _engine, _installed
    with _lock:
        _engines.append(engine)
        _engine = engine
        if not _installed:
            _patch_moto()
            _share_botocore_loader()
            _installed = True


def uninstall(engine: Engine) -> None:
    """Stop routing to ``engine``; the previously installed one (if running) takes over."""
    global _engine
    with _lock:
        if engine in _engines:
            _engines.remove(engine)
        _engine = _engines[-1] if _engines else None


def _invalid(message: str) -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException
    return InvalidParameterValueException(message)


def _check_runtime(runtime: str | None, package_type: str | None) -> None:
    if package_type == "Image":
        raise _invalid("lambdakit runs .zip deployment packages only; container images "
                       "(PackageType Image) need Docker, which the kit does not use")
    message = unsupported_runtime_message(runtime)
    if message:
        raise _invalid(message)


def _check_environment(environment: Any) -> None:
    """Lambda's limits on environment variables (:mod:`lambdakit.function_rules`), moto's form."""
    from .errors import LambdaError, as_moto
    from .function_rules import check_environment

    try:
        check_environment((environment or {}).get("Variables"))
    except LambdaError as error:
        raise as_moto(error) from None


def _tracing_config(requested: Any) -> dict[str, str]:
    """TracingConfig checked as AWS checks it (:mod:`lambdakit.function_rules`), moto's form."""
    from .errors import LambdaError, as_moto
    from .function_rules import tracing_config

    try:
        return tracing_config(requested)
    except LambdaError as error:
        raise as_moto(error) from None


def _logging_config(function_name: str, current: Any, requested: Any) -> dict[str, Any]:
    """The LoggingConfig after a request (:mod:`lambdakit.function_rules`), errors in moto's form."""
    from .errors import LambdaError, as_moto
    from .function_rules import logging_config

    try:
        return logging_config(function_name, current, requested)
    except LambdaError as error:
        raise as_moto(error) from None


def _check_role(role: Any, account: str) -> None:
    """Lambda's checks of an execution role, raised in moto's error form."""
    from .errors import LambdaError, as_moto
    from .permissions_roles import check_execution_role

    try:
        check_execution_role(role, account)
    except LambdaError as error:
        raise as_moto(error) from None


def _check_unpublished(storage: Any, function_name: str, qualifier: str | None) -> None:
    """Published versions are immutable (:mod:`lambdakit.function_rules`), in moto's error form."""
    from .errors import LambdaError, as_moto
    from .function_rules import check_unpublished

    try:
        check_unpublished(storage, function_name, qualifier)
    except LambdaError as error:
        raise as_moto(error) from None


def _check_alias(storage: Any, function_name: str, function_version: str,
                 routing_config: Any) -> None:
    """An alias's routing rules (:mod:`lambdakit.function_rules`), in moto's error form."""
    from .errors import LambdaError, as_moto
    from .function_rules import check_alias_routing

    try:
        check_alias_routing(storage, function_name, function_version, routing_config)
    except LambdaError as error:
        raise as_moto(error) from None


def _activate(fn: Any, flag: str) -> None:
    """Finish a create or update in the background: unpack the code, then clear ``flag``."""
    def work() -> None:
        engine = _engine
        try:
            if engine is not None and getattr(fn, "code_bytes", b""):
                engine.code.unpack(fn.code_bytes, fn.code_sha_256)
            if engine is not None and fn.layers:  # extract the layers now, while they exist
                layers.opt_dir(engine.code, FunctionVersion.from_moto(fn))
        except Exception:  # noqa: BLE001 - a bad layer is reported when a worker starts
            pass
        finally:
            setattr(fn, flag, False)
        # Old environments stop after the update is visible: an invocation in
        # between never reuses them, because their code-and-configuration key
        # no longer matches (Engine._acquire retires them itself).
        if engine is not None and flag == "_lk_updating":
            engine.retire(FunctionVersion.from_moto(fn).function_arn, "$LATEST")
    threading.Thread(target=work, daemon=True, name="lambdakit-activate").start()


def _run_for_moto(fn: Any, event: Any) -> tuple[str, bool, str]:
    """Run ``fn`` for one of moto's internal triggers; answer as ``_invoke_lambda`` does."""
    if isinstance(event, (bytes, bytearray)):
        payload = bytes(event)
    elif isinstance(event, str):
        try:
            json.loads(event)
            payload = event.encode()
        except ValueError:
            payload = json.dumps(event).encode()
    else:
        payload = json.dumps(event).encode()
    engine = current_engine()
    version = FunctionVersion.from_moto(fn)
    result = engine.invoke(version, code_dir(fn), payload,
                           invoked_arn=version.function_arn if version.version == "$LATEST"
                           else version.version_arn)
    logs = base64.b64decode(result.log_result).decode("utf-8", "replace")
    return result.payload.decode("utf-8", "replace"), result.function_error is not None, logs


def _share_botocore_loader() -> None:
    """Let moto's botocore sessions read AWS's models through the kit's one loader.

    moto keeps a botocore session of its own for region lists, and reads operation
    URLs through boto3's default session (the one plain ``boto3.client(...)`` in a
    notebook uses too); each read endpoints.json and service models again, about
    20 MB per kernel. Nothing is patched: the sessions get the shared loader as
    their data loader. A default session made before the kit started is left alone.
    """
    import boto3
    from moto.core.base_backend import AccountSpecificBackend

    AccountSpecificBackend.get_session()._session.register_component(  # a boto3 Session
        "data_loader", sessions.shared_loader())
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session(botocore_session=sessions.botocore_session())


def _patch_moto() -> None:
    from moto.awslambda import models

    function_cls, backend_cls, storage_cls = (models.LambdaFunction, models.LambdaBackend,
                                              models.LambdaStorage)

    def _invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        return _run_for_moto(self, event if event is not None else {})

    function_cls._invoke_lambda = _invoke_lambda

    original_configuration = function_cls.get_configuration

    @functools.wraps(original_configuration)
    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original_configuration(self, on_create)
        if on_create or getattr(self, "_lk_pending", False):
            config["State"] = "Pending"
            config["StateReason"], config["StateReasonCode"] = PENDING_REASON
        if not on_create:
            config["LastUpdateStatus"] = ("InProgress" if getattr(self, "_lk_updating", False)
                                          else "Successful")
        config["LoggingConfig"] = dict(getattr(self, "_lk_logging", None)
                                       or _logging_config(self.function_name, None, None))
        return config

    function_cls.get_configuration = get_configuration

    original_create = backend_cls.create_function

    @functools.wraps(original_create)
    def create_function(self: Any, spec: dict[str, Any]) -> Any:
        _check_runtime(spec.get("Runtime"), spec.get("PackageType"))
        _check_environment(spec.get("Environment"))
        if spec.get("TracingConfig") is not None:
            spec["TracingConfig"] = _tracing_config(spec["TracingConfig"])
        logging = _logging_config(spec.get("FunctionName") or "", None, spec.get("LoggingConfig"))
        _check_role(spec.get("Role"), self.account_id)
        fn = original_create(self, spec)
        latest = self._lambdas.get_function_by_name_or_arn_with_qualifier(fn.function_name)
        if logging["LogGroup"] == default_log_group(spec.get("FunctionName") or ""):
            logging["LogGroup"] = default_log_group(fn.function_name)  # FunctionName was an ARN
        fn._lk_logging = latest._lk_logging = logging
        if not is_valid_zip(latest.code_bytes):
            self._lambdas.del_function(fn.function_name)
            raise _invalid(BAD_ZIP_MESSAGE)
        latest._lk_pending = True
        _activate(latest, "_lk_pending")
        return fn

    backend_cls.create_function = create_function

    original_update_configuration = function_cls.update_configuration

    @functools.wraps(original_update_configuration)
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "Runtime" in config_updates:
            _check_runtime(config_updates["Runtime"], self.package_type)
        if "Environment" in config_updates:
            _check_environment(config_updates["Environment"])
        logging = None
        if "LoggingConfig" in config_updates:
            logging = _logging_config(self.function_name, getattr(self, "_lk_logging", None),
                                      config_updates["LoggingConfig"])
        tracing = None
        if "TracingConfig" in config_updates:  # moto drops it on update; AWS applies it
            tracing = _tracing_config(config_updates["TracingConfig"])
        if "Role" in config_updates:
            _check_role(config_updates["Role"], self.account_id)
        self._lk_updating = True
        if logging is not None:  # a new dict: published versions keep the one they share
            self._lk_logging = logging
        if tracing is not None:
            self.tracing_config = tracing
        config = original_update_configuration(self, config_updates)
        _activate(self, "_lk_updating")
        return config

    function_cls.update_configuration = update_configuration

    original_update_code = function_cls.update_function_code

    @functools.wraps(original_update_code)
    def update_function_code(self: Any, updated_spec: dict[str, Any]) -> dict[str, Any]:
        if "ZipFile" in updated_spec and not updated_spec.get("DryRun"):
            try:
                raw = base64.b64decode(updated_spec["ZipFile"])
            except (ValueError, TypeError):
                raw = b""
            if not is_valid_zip(raw):
                raise _invalid(BAD_ZIP_MESSAGE)
        self._lk_updating = True
        config = original_update_code(self, updated_spec)
        _activate(self, "_lk_updating")
        return config

    function_cls.update_function_code = update_function_code

    for operation in ("update_function_code", "update_function_configuration"):
        def unpublished_only(self: Any, function_name: str, qualifier: str | None, body: Any, *,
                             _original: Any = getattr(backend_cls, operation)) -> Any:
            _check_unpublished(self._lambdas, function_name, qualifier)
            return _original(self, function_name, qualifier, body)

        functools.update_wrapper(unpublished_only, getattr(backend_cls, operation))
        setattr(backend_cls, operation, unpublished_only)

    original_create_alias = backend_cls.create_alias

    @functools.wraps(original_create_alias)
    def create_alias(self: Any, name: str, function_name: str, function_version: str,
                     description: str, routing_config: Any) -> Any:
        from moto.awslambda.exceptions import ConflictException

        from .errors import ResourceConflictException, as_moto

        _check_alias(self._lambdas, function_name, function_version, routing_config)
        try:
            return original_create_alias(self, name, function_name, function_version,
                                         description, routing_config)
        except ConflictException as error:  # moto 5.2's code; AWS answers this one (409)
            raise as_moto(ResourceConflictException(error.message)) from None

    backend_cls.create_alias = create_alias

    original_update_alias = backend_cls.update_alias

    @functools.wraps(original_update_alias)
    def update_alias(self: Any, name: str, function_name: str, function_version: str | None,
                     description: str | None, routing_config: Any) -> Any:
        alias = self._lambdas.get_alias(name, function_name)  # or 404, as moto answers
        _check_alias(self._lambdas, function_name, function_version or alias.function_version,
                     alias.routing_config if routing_config is None else routing_config)
        return original_update_alias(self, name, function_name, function_version, description,
                                     routing_config)

    backend_cls.update_alias = update_alias

    original_publish = storage_cls.publish_version

    @functools.wraps(original_publish)
    def publish_version(self: Any, name_or_arn: str, description: str = "") -> Any:
        version = original_publish(self, name_or_arn, description)
        if version is not None:  # a published version is immutable and ready at once
            version._lk_pending = version._lk_updating = False
        return version

    storage_cls.publish_version = publish_version

    original_delete = backend_cls.delete_function

    @functools.wraps(original_delete)
    def delete_function(self: Any, function_name: str, qualifier: str | None = None) -> None:
        fn = self._lambdas.get_function_by_name_or_arn_with_qualifier(function_name, qualifier)
        arn = FunctionVersion.from_moto(fn).function_arn
        original_delete(self, function_name, qualifier)
        if _engine is not None:
            _engine.retire(arn, None if not qualifier else str(fn.version))

    backend_cls.delete_function = delete_function

    from . import permissions_moto
    permissions_moto.patch()  # function policies scoped per function, version and alias

    from moto.awslambda import responses

    from .permissions_roles import ACTIONS, authorize_request

    for operation in ACTIONS:  # who may create / reconfigure, and pass the role
        def authorized(self: Any, *, _original: Any = getattr(responses.LambdaResponse, operation),
                       _operation: str = operation) -> Any:
            authorize_request(self, _operation)
            return _original(self)

        functools.update_wrapper(authorized, getattr(responses.LambdaResponse, operation))
        setattr(responses.LambdaResponse, operation, authorized)

    from . import push_sources
    push_sources.patch()  # S3, SNS and EventBridge invoke asynchronously, if the policy allows
