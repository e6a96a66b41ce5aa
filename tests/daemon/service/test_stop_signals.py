"""daemon/service/stop_signals.py: a stop signal is noted, never acted on inside the handler."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from daemon.service.stop_signals import StopSignals


@pytest.fixture
def restored_handlers() -> Iterator[None]:
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.timeout(20)
@pytest.mark.usefixtures("restored_handlers")
def test_a_signal_inside_the_stop_events_own_lock_is_noted_not_deadlocked() -> None:
    """The main loop waits on the stop event; `Event.wait` holds the event's plain lock on
    its way in and out. A handler that set the event there waited for itself for ever: the
    daemon logged "stop requested" and hung (seen twice in one CI run under load)."""
    signals = StopSignals()
    signals.install()
    stop = threading.Event()
    with stop._cond:  # where Event.wait stands when the signal lands in that window
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(1000):  # the handler runs between these bytecodes
            if signals.received() is not None:
                break
    assert signals.received() == "SIGTERM"
    assert not stop.is_set(), "the main loop, not the handler, sets the stop event"


@pytest.mark.usefixtures("restored_handlers")
def test_no_signal_means_no_stop() -> None:
    signals = StopSignals()
    signals.install()
    assert signals.received() is None
