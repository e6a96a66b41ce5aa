"""SIGINT, SIGTERM (and SIGBREAK on Windows) ask the daemon to stop.

The handler only notes the signal; the main loop acts on it at its next turn. A handler
runs on the main thread between two bytecodes, possibly while that thread holds a lock a
stop needs: `Event.wait` holds its condition's plain lock on the way in and out of the wait,
so a handler that set the stop event there waited for itself for ever (seen under load:
the daemon logged "stop requested" and never stopped). Logging from the handler has the
same hazard with the log handler's lock.
"""

from __future__ import annotations

import signal
import threading


class StopSignals:
    def __init__(self) -> None:
        self._received: int | None = None

    def install(self) -> None:
        """Only on the main thread: the Windows service runs the daemon on another one and
        stops it by calling `stop()` itself."""
        if threading.current_thread() is not threading.main_thread():
            return
        signals = [signal.SIGINT, signal.SIGTERM]
        if hasattr(signal, "SIGBREAK"):
            signals.append(signal.SIGBREAK)
        for signum in signals:
            signal.signal(signum, self._note)

    def received(self) -> str | None:
        """The name of the stop signal received, if any; asked by the main loop."""
        return signal.Signals(self._received).name if self._received is not None else None

    def _note(self, signum: int, _frame: object) -> None:
        # A plain assignment: no lock, no I/O (see the module's docstring).
        self._received = signum
