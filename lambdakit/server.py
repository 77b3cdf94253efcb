"""The local AWS endpoint: moto's APIs plus a Lambda that really runs code.

One HTTP server on loopback answers every API moto supports; Lambda's Invoke
goes to :mod:`lambdakit.invoke_api` and every other request to moto. The
:class:`Endpoint` owns the :class:`~lambdakit.engine.Engine` and stops every
worker process when it stops. Starting one points the process's own boto3 at it
(:func:`lambdakit.safety.isolate_process`): real credentials are dropped.
"""
from __future__ import annotations

import socket
import threading
from typing import Any, Callable, Iterable

from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from . import (concurrency_api, event_invoke_config, event_source_mappings, invoke_api,
               moto_cloudwatch, moto_logs, moto_sqs, motohooks, permissions_enforce, safety)
from .engine import Engine
from .settings import Settings


class _Handler(WSGIRequestHandler):
    """Request handler with TCP_NODELAY (no Nagle delay on small replies) and no access log."""

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def _front_app(moto_app: Callable[..., Iterable[bytes]], endpoint: Endpoint) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST" and invoke_api.INVOKE_PATH.match(environ["PATH_INFO"]):
            return invoke_api.app(endpoint.engine, environ, start_response)
        # A role session's calls are decided by the role's policies (returns at once otherwise).
        refused = permissions_enforce.check(environ)
        if refused is not None:
            status, headers, body = refused
            start_response(f"{status} {HTTP_STATUS_CODES.get(status, '')}", headers)
            return [body]
        if concurrency_api.handles(environ):
            return concurrency_api.app(moto_app, endpoint.engine.limits, environ, start_response)
        if event_invoke_config.handles(environ):
            return event_invoke_config.app(moto_app, endpoint.engine, environ, start_response)
        if event_source_mappings.handles(environ):
            return event_source_mappings.app(endpoint.engine, environ, start_response)
        return moto_app(environ, start_response)
    return app


class Endpoint:
    """A running local endpoint.

    >>> with Endpoint() as endpoint:          # doctest: +SKIP
    ...     print(endpoint.url)
    http://127.0.0.1:50231
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, force_host: bool = False,
                 settings: Settings | None = None):
        self.host = safety.check_bind_host(host, force_host)
        self.port = port
        self.settings = settings or Settings()
        self.engine: Engine | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> Endpoint:
        """Start serving in a background thread; return self once requests are accepted."""
        from moto.server import DomainDispatcherApplication, create_backend_app

        moto_app = DomainDispatcherApplication(create_backend_app)
        # Bind here so a busy port raises OSError (werkzeug would exit the process).
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.create_server((self.host, self.port), family=family, backlog=128)
        try:
            self._server = make_server(self.host, listener.getsockname()[1],
                                       _front_app(moto_app, self), threaded=True,
                                       request_handler=_Handler, fd=listener.fileno())
        finally:
            listener.close()
        self._server.daemon_threads = True
        self.port = self._server.socket.getsockname()[1]
        safety.isolate_process(self.url)
        self.engine = Engine(self.url, self.settings)
        motohooks.install(self.engine)
        moto_cloudwatch.install()
        moto_logs.install()
        moto_sqs.install()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="lambdakit-endpoint")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting requests and stop every worker process; safe to call twice."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.engine is not None:
            motohooks.uninstall(self.engine)
            self.engine.close()

    def __enter__(self) -> Endpoint:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()
