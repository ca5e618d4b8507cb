"""Servers that misbehave on purpose, on 127.0.0.1: silence, a drip, a bomb, a refusal.

Each runs in a daemon thread and answers like a real but hostile or broken host would, so the
transport is tested on real sockets (no mock of the HTTP layer).
"""

from __future__ import annotations

import functools
import socket
import threading
import time
import zlib
from collections.abc import Callable
from types import TracebackType


def closed_port() -> int:
    """A port on 127.0.0.1 that refuses connections (bound, then closed)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class RawServer:
    """Accepts connections and hands each socket to ``handle`` in its own thread."""

    def __init__(self, handle: Callable[[socket.socket], None]) -> None:
        self._handle = handle
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RawServer:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        for client in self._clients:
            try:
                client.close()
            except OSError:
                pass
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            self._clients.append(client)
            threading.Thread(target=self._run, args=(client,), daemon=True).start()

    def _run(self, client: socket.socket) -> None:
        try:
            client.recv(65536)  # the request
            self._handle(client)
        except OSError:
            pass

    def stopped(self) -> bool:
        return self._stop.is_set()


def silent(seconds: float = 600.0) -> RawServer:
    """Accepts, reads the request, never answers."""
    return RawServer(lambda client: time.sleep(seconds))


def drip(head: bytes, body: bytes = b"", *, every: float = 1.0, in_headers: bool = False
         ) -> RawServer:
    """Sends a complete-looking answer one byte per ``every`` seconds (headers or body)."""
    def handle(client: socket.socket) -> None:
        if in_headers:
            for i in range(len(head)):
                client.sendall(head[i:i + 1])
                time.sleep(every)
            return
        client.sendall(head)
        for i in range(len(body)):
            client.sendall(body[i:i + 1])
            time.sleep(every)
    return RawServer(handle)


@functools.cache
def bomb_bytes(inflated: int) -> bytes:
    """gzip of ``inflated`` bytes of ``0``, compressed as a stream (never held inflated)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: a gzip header
    chunk = b"0" * (1 << 20)
    parts = [packer.compress(chunk) for _ in range(inflated // len(chunk))]
    return b"".join(parts) + packer.flush()


def gzip_bomb(inflated: int = 256 << 20, *, status: int = 200,
              content_type: str = "application/json") -> RawServer:
    """A small gzip answer that inflates to ``inflated`` bytes of zeros."""
    buf = bomb_bytes(inflated)
    head = (f"HTTP/1.1 {status} OK\r\nContent-Type: {content_type}\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {len(buf)}\r\n"
            "Connection: close\r\n\r\n").encode()

    def handle(client: socket.socket) -> None:
        client.sendall(head + buf)
    return RawServer(handle)
