"""A real local HTTP server that plays a remote caption API from a script of replies."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from daemon.clients.caption_client import CaptionClient
from daemon.config import ProviderLimits
from daemon.resilience import BreakerBoard, BreakerState, GuardedClient

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00fake jpeg bytes \x00\x01\x02\xff\xd9"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0

    @classmethod
    def json(cls, status: int, document: Any, *headers: tuple[str, str]) -> Reply:
        return cls(
            status, json.dumps(document).encode(), (*headers, ("Content-Type", "application/json"))
        )


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


class ScriptedServer:
    """Replies in script order, then `default` forever; records every request it saw."""

    def __init__(self, default: Reply) -> None:
        self.default = default
        self.requests: list[Seen] = []
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                with server._lock:
                    server.requests.append(Seen(self.path, dict(self.headers), body))
                    reply = server._script.pop(0) if server._script else server.default
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers:
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up (a timeout test)
                    pass

            def log_message(self, *_: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def read_log(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def recording_sleep(sleeps: list[float]) -> Any:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    return sleep


def fast_limits(**changes: float) -> ProviderLimits:
    """Provider limits with waits short enough for tests; `changes` override any of them."""
    settings: dict[str, float] = {
        "requests_per_second": 1000,
        "concurrency": 2,
        "attempts": 4,
        "backoff_initial_seconds": 0.01,
        "backoff_max_seconds": 0.2,
        "timeout_seconds": 2.0,
        "breaker_failures": 2,
        "breaker_reset_seconds": 0.3,
        **changes,
    }
    return ProviderLimits(**settings)  # type: ignore[arg-type]


class GuardedSetup:
    """A client behind a fresh breaker board, with its back-off waits and states recorded."""

    def __init__(self, server: ScriptedServer, raw: CaptionClient, limits: ProviderLimits) -> None:
        self.server = server
        self.sleeps: list[float] = []
        self.states: list[BreakerState] = []
        self.board = BreakerBoard(on_state=lambda _, state: self.states.append(state))
        self.client = GuardedClient(raw, limits, self.board, recording_sleep(self.sleeps))

    def state(self) -> BreakerState:
        return self.board.states()[self.client.name]
