"""A pure-Python Lambda runtime client, for machines where awslambdaric cannot install.

It speaks the Lambda Runtime API (2018-06-01) exactly as AWS's runtime
interface client does: the same context object, the same error payloads
(``errorMessage``, ``errorType``, ``requestId``, ``stackTrace``), the same
``Runtime.*`` error types and the same log line formats.

With LoggingConfig's JSON format (``AWS_LAMBDA_LOG_FORMAT=JSON``) it does the minimal
thing awslambdaric does: ``logging`` records and the ``[ERROR]`` report of an exception
become one JSON object per line (``timestamp``, ``level``, ``message``, ``logger``,
``requestId``, and ``errorType`` / ``errorMessage`` / ``stackTrace`` for exceptions), and
``AWS_LAMBDA_LOG_LEVEL`` sets the root logger's level. It does not add a record's ``extra``
fields, log dict messages as objects, or write awslambdaric's telemetry frames.
"""
import decimal
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

API = "/2018-06-01/runtime"


class Fault(Exception):
    """A runtime-level failure with a ``Runtime.*`` error type."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type, self.message, self.trace = error_type, message, trace or []


class _Fields:
    """An object with fixed attributes read from a dict (missing ones are None)."""

    __slots__ = ()

    @classmethod
    def from_dict(cls, data):
        if data is None:
            return None
        obj = cls()
        for field in cls.__slots__:
            setattr(obj, field, data.get(field) if isinstance(data, dict) else None)
        return obj


class Client(_Fields):
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code",
                 "app_package_name"]


class ClientContext(_Fields):
    __slots__ = ["custom", "env", "client"]


class CognitoIdentity(_Fields):
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]


class LambdaContext:
    """What AWS passes as the handler's second argument (shaped as awslambdaric's)."""

    def __init__(self, request_id, deadline_ms, invoked_arn, client_context, identity):
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.client_context = ClientContext.from_dict(client_context)
        if self.client_context is not None:
            self.client_context.client = Client.from_dict(self.client_context.client)
        self.identity = CognitoIdentity.from_dict(identity or {})
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self._deadline_ms = int(deadline_ms or 0)

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(time.time() * 1000), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (f"LambdaContext([aws_request_id={self.aws_request_id},"
                f"function_name={self.function_name},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn}])")


def load_handler(name):
    """Import ``module.function`` as awslambdaric does, with its error types."""
    try:
        modname, fname = name.rsplit(".", 1)
    except ValueError as e:
        raise Fault("Runtime.MalformedHandlerName", f"Bad handler '{name}': {e}")
    if modname.split(".")[0] in sys.builtin_module_names:
        raise Fault("Runtime.BuiltInModuleConflict",
                    f"Cannot use built-in module {modname} as a handler module")
    try:
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise Fault("Runtime.ImportModuleError", f"Unable to import module '{modname}': {e}")
    except SyntaxError as e:
        trace = [f'  File "{e.filename}" Line {e.lineno}\n    {e.text}']
        raise Fault("Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {e}", trace)
    try:
        return getattr(module, fname)
    except AttributeError:
        raise Fault("Runtime.HandlerNotFound", f"Handler '{fname}' missing on module '{modname}'")


def error_from_exception(exc, request_id=""):
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if not f.filename.endswith("lk_pyruntime.py")] or frames
    return {"errorMessage": str(exc), "errorType": type(exc).__name__,
            "requestId": request_id, "stackTrace": traceback.format_list(frames)}


_JSON_LOGS = (os.environ.get("AWS_LAMBDA_LOG_FORMAT") or "").upper() == "JSON"


def _utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def log_error(error):
    """Print an error as awslambdaric does: one log event, lines joined by CR (or one JSON line)."""
    if _JSON_LOGS:
        sys.stdout.write(json.dumps({"timestamp": _utc_now(), "level": "ERROR", **error}) + "\n")
        return
    lines = [f"[ERROR] {error['errorType']}: {error['errorMessage']}"]
    if error.get("stackTrace") is not None:
        lines.append("Traceback (most recent call last):")
        for entry in error["stackTrace"]:
            lines.extend(entry.splitlines())
    sys.stdout.write("\r".join(lines) + "\n")


def _json_default(obj):
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class RuntimeClient:
    """One keep-alive HTTP/1.1 connection to the Runtime API.

    A few lines over a socket instead of ``http.client``, whose imports (email,
    ssl) would add over 10 ms to every cold start. The server always answers
    with a Content-Length, which is all this client needs to understand.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.sock = socket.create_connection((host, int(port)))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def call(self, method, path, body=None, headers=None):
        body = body or b""
        lines = [f"{method} {API}{path} HTTP/1.1", "Host: runtime", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        status = self.reader.readline()
        if not status:
            raise ConnectionError("the Runtime API closed the connection")
        response_headers = {}
        while True:
            line = self.reader.readline().decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _, value = line.partition(":")
            response_headers[name.strip()] = value.strip()
        length = int(response_headers.get("Content-Length", 0))
        return self.reader.read(length) if length else b"", response_headers

    def post_error(self, path, error):
        self.call("POST", path, json.dumps(error).encode(),
                  {"Content-Type": "application/json",
                   "Lambda-Runtime-Function-Error-Type": error["errorType"]})


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


class _JsonFormatter(logging.Formatter):
    """One JSON object per record, with awslambdaric's field names."""

    def format(self, record):
        level = min(50, max(0, record.levelno)) // 10 * 10
        entry = {"timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
                 "level": logging.getLevelName(level),
                 "message": record.getMessage(), "logger": record.name,
                 "requestId": getattr(record, "aws_request_id", None)}
        if record.exc_info:
            entry["errorType"] = record.exc_info[0].__name__
            entry["errorMessage"] = str(record.exc_info[1])
            entry["stackTrace"] = traceback.format_tb(record.exc_info[2])
        return json.dumps(entry, default=str) + "\n"


def _setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    if _JSON_LOGS:
        handler.setFormatter(_JsonFormatter())
        level = {"TRACE": "DEBUG"}.get(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper(),
                                       os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper())
        if level in logging._nameToLevel:
            logging.getLogger().setLevel(level)
    else:
        handler.setFormatter(logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S"))
    handler.terminator = ""
    logging.Formatter.converter = time.gmtime
    request_filter = _RequestIdFilter()
    handler.addFilter(request_filter)
    logging.getLogger().addHandler(handler)
    return request_filter


def run(handler_name):
    """Init (import the handler), then serve invocations until the process is stopped."""
    client = RuntimeClient(os.environ["AWS_LAMBDA_RUNTIME_API"])
    request_filter = _setup_logging()
    try:
        handler = load_handler(handler_name)
    except Fault as fault:
        error = {"errorMessage": fault.message, "errorType": fault.error_type,
                 "requestId": "", "stackTrace": fault.trace}
        log_error(error)
        client.post_error("/init/error", error)
        sys.exit(1)
    except Exception as exc:  # an exception raised by the module's own init code
        error = error_from_exception(exc)
        log_error(error)
        client.post_error("/init/error", error)
        sys.exit(1)
    while True:
        body, headers = client.call("GET", "/invocation/next")
        request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        request_filter.request_id = request_id
        if headers.get("Lambda-Runtime-Trace-Id"):
            os.environ["_X_AMZN_TRACE_ID"] = headers["Lambda-Runtime-Trace-Id"]
        try:
            client_context = headers.get("Lambda-Runtime-Client-Context")
            identity = headers.get("Lambda-Runtime-Cognito-Identity")
            context = LambdaContext(request_id, headers.get("Lambda-Runtime-Deadline-Ms"),
                                    headers.get("Lambda-Runtime-Invoked-Function-Arn"),
                                    json.loads(client_context) if client_context else None,
                                    json.loads(identity) if identity else None)
            try:
                event = json.loads(body)
            except ValueError as e:
                raise Fault("Runtime.UnmarshalError", f"Unable to unmarshal input: {e}")
            result = handler(event, context)
            if isinstance(result, bytes):
                payload, content_type = result, "application/unknown"
            else:
                try:
                    payload = json.dumps(result, default=_json_default).encode()
                except (TypeError, ValueError) as e:
                    raise Fault("Runtime.MarshalError", f"Unable to marshal response: {e}")
                content_type = "application/json"
        except Fault as fault:
            error = {"errorMessage": fault.message, "errorType": fault.error_type,
                     "requestId": request_id, "stackTrace": fault.trace}
        except Exception as exc:
            error = error_from_exception(exc, request_id)
        else:
            client.call("POST", f"/invocation/{request_id}/response", payload,
                        {"Content-Type": content_type})
            continue
        log_error(error)
        client.post_error(f"/invocation/{request_id}/error", error)
