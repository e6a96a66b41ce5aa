"""Serving an application with uvicorn on a socket bound here, so that a port in use is an
error at start (not a line lost on another thread) and port 0 reports the port it got."""

from __future__ import annotations

import os
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

from daemon.web_access import WebAccess, page_url

START_WAIT_SECONDS = 10.0
STOP_WAIT_SECONDS = 5.0


def bind(access: WebAccess) -> socket.socket:
    """A listening socket on the access's address; OSError when it cannot be had."""
    family, kind, proto, _, address = socket.getaddrinfo(
        access.host, access.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":  # on Windows the option would let two servers share the port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def bound_url(sock: socket.socket, access: WebAccess) -> str:
    return page_url(access.host, int(sock.getsockname()[1]))


def uvicorn_server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        log_config=None,  # the daemon's logging stays as it is
        log_level="warning",  # uvicorn's own start and stop lines say nothing the page's do not
        access_log=False,
        lifespan="off",
        loop="asyncio",
        server_header=False,
        timeout_graceful_shutdown=int(STOP_WAIT_SECONDS),
    )
    return uvicorn.Server(config)


class BackgroundServer:
    """The page on a thread of its own; uvicorn installs no signal handler off the main
    thread, so the daemon's main thread keeps answering SIGTERM and Ctrl-C."""

    def __init__(self, app: ASGIApp, access: WebAccess) -> None:
        self._server = uvicorn_server(app)
        self._access = access
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        """Bind, serve, and return the page's address; OSError when the port is taken."""
        sock = bind(self._access)
        url = bound_url(sock, self._access)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="web", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_WAIT_SECONDS
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        if not self._server.started:
            self._server.should_exit = True
            raise OSError(f"the page's server did not start at {url}")
        return url

    def stop(self) -> None:
        if self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(STOP_WAIT_SECONDS + 1)
