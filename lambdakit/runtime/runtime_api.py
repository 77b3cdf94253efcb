"""The Lambda Runtime API (version 2018-06-01) for one execution environment.

The worker's runtime client long-polls ``GET /runtime/invocation/next`` and
answers with ``POST /runtime/invocation/{id}/response`` or ``.../error``; a
failed Init is reported with ``POST /runtime/init/error``. The server listens
on loopback with ``TCP_NODELAY`` (without it, Nagle's algorithm and delayed
ACKs add about 40 ms to every invocation).
"""
from __future__ import annotations

import http.server
import json
import re
import socket
import sys
import threading
from typing import Any, Protocol

PREFIX = "/2018-06-01/runtime"
_INVOCATION = re.compile(rf"^{PREFIX}/invocation/(?P<id>[^/]+)/(?P<what>response|error)$")


class RuntimeAPIListener(Protocol):
    """What the server reports to: the execution environment it belongs to."""

    def next_invocation(self) -> tuple[dict[str, str], bytes] | None: ...
    def invocation_result(self, request_id: str, ok: bool, body: bytes,
                          error_type: str | None) -> bool: ...
    def init_error(self, body: bytes, error_type: str | None) -> None: ...


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:  # silence stderr logging
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        lines = [f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
                 f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if self.path != f"{PREFIX}/invocation/next":
            return self._reply(404, b'{"errorType":"InvalidRequest"}')
        nxt = self.server.listener.next_invocation()
        if nxt is None:  # the environment is shutting down: drop the connection
            self.close_connection = True
            return self._reply(410, b'{"errorType":"Runtime.ShuttingDown"}')
        headers, payload = nxt
        self._reply(200, payload, headers)

    def do_POST(self) -> None:
        body = self._body()
        error_type = self.headers.get("Lambda-Runtime-Function-Error-Type")
        if self.path == f"{PREFIX}/init/error":
            self.server.listener.init_error(body, error_type)
            return self._reply(202, b'{"status":"OK"}')
        match = _INVOCATION.match(self.path)
        if not match:
            return self._reply(404, b'{"errorType":"InvalidRequest"}')
        accepted = self.server.listener.invocation_result(
            match["id"], match["what"] == "response", body, error_type)
        if not accepted:
            return self._reply(400, json.dumps({
                "errorMessage": f"Invalid request ID: {match['id']}",
                "errorType": "InvalidRequestID"}).encode())
        self._reply(202, b'{"status":"OK"}')


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    listener: RuntimeAPIListener

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A worker killed mid-request (a timeout, out of memory) drops its connection: that
        is the environment ending, not a fault; anything else is still reported."""
        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class RuntimeAPIServer:
    """Serves the Runtime API for one environment on ``127.0.0.1:<free port>``."""

    def __init__(self, listener: RuntimeAPIListener):
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.listener = listener
        self._closing = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name="lambdakit-runtime-api")
        self._thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, addr = self._server.socket.accept()
            except OSError:
                return
            if self._closing:
                conn.close()
                return
            self._server.process_request(conn, addr)  # one thread per connection

    @property
    def address(self) -> str:
        """The value of ``AWS_LAMBDA_RUNTIME_API`` for the worker: ``host:port``."""
        host, port = self._server.server_address[:2]
        return f"{host}:{port}"

    def close(self) -> None:
        """Stop accepting connections; connections already open end with their worker."""
        if self._closing:
            return
        self._closing = True
        try:  # wake the blocking accept() portably
            socket.create_connection(self._server.server_address[:2], timeout=1).close()
        except OSError:
            pass
        self._thread.join(timeout=5)
        self._server.server_close()
