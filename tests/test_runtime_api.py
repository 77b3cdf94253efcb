"""The Runtime API server: a worker that dies mid-request is not reported as a fault (a
timeout or out-of-memory kill does that every time), while real faults still are."""
from __future__ import annotations

import http.client
import socket
import struct
import threading

from conftest import wait_for
from lambdakit.runtime.runtime_api import PREFIX, RuntimeAPIServer


class Listener:
    """Answers nothing: ``next_invocation`` fails, as a bug in the kit would."""

    def __init__(self):
        self.calls = 0

    def next_invocation(self):
        self.calls += 1
        raise RuntimeError("a fault in the kit")

    def invocation_result(self, request_id, ok, body, error_type):
        return False

    def init_error(self, body, error_type):
        pass


def _address(server):
    host, port = server.address.split(":")
    return host, int(port)


def _request_threads():
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def test_a_connection_reset_by_a_killed_worker_prints_nothing(capfd):
    server = RuntimeAPIServer(Listener())
    # other modules' kits may still be running, with request threads of their own
    others = set(_request_threads())
    try:
        conn = socket.create_connection(_address(server))
        # one whole request first: its answer proves the server thread now waits for the
        # next request on this connection
        conn.sendall(f"POST {PREFIX}/invocation/nope/response HTTP/1.1\r\n"
                     "Content-Length: 2\r\n\r\n{}".encode())
        answer = b""
        while b"InvalidRequestID" not in answer:
            answer += conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400")
        conn.sendall(f"GET {PREFIX}/invocation/next HTTP/1.1\r\nHost: x".encode())
        # SO_LINGER 0: close() sends a reset, as the kernel does when it kills a worker
        # whose connection has unread data
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        wait_for(lambda: not set(_request_threads()) - others, timeout=30,
                 message="the request thread ends")
    finally:
        server.close()
    assert "Traceback" not in capfd.readouterr().err


def test_a_fault_in_the_kit_is_still_reported(capfd):
    listener = Listener()
    server = RuntimeAPIServer(listener)
    try:
        client = http.client.HTTPConnection(*_address(server), timeout=5)
        client.request("GET", f"{PREFIX}/invocation/next")
        try:
            client.getresponse()
        except (http.client.HTTPException, ConnectionError):
            pass  # the handler died: no answer
        client.close()
        seen = []

        def reported():
            seen.append(capfd.readouterr().err)
            return "RuntimeError" in "".join(seen)

        wait_for(reported, timeout=10, message="the fault on stderr")
    finally:
        server.close()
    assert "a fault in the kit" in "".join(seen) and listener.calls == 1
