"""SIGINT, SIGTERM (and SIGBREAK on Windows) ask the daemon to stop."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable

import structlog


def install_stop_handlers(stop: Callable[[], None]) -> None:
    """Only on the main thread: the Windows service runs the daemon on another one and
    stops it by calling `stop()` itself."""
    if threading.current_thread() is not threading.main_thread():
        return
    log = structlog.get_logger("daemon")

    def handle(signum: int, _frame: object) -> None:
        log.info("stop requested", signal=signal.Signals(signum).name)
        stop()

    signals = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGBREAK"):
        signals.append(signal.SIGBREAK)
    for signum in signals:
        signal.signal(signum, handle)
