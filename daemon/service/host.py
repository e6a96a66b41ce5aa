"""The daemon as a service manager drives it: start, stop within a wait hint, wait for the end.

Platform-neutral, so that everything the Windows service does runs in the tests on Linux:
`windows_service.bunny_service` only turns service-control events into these calls, and
passes an `EventReporter` that writes the Windows event log. A start failure (a bad config,
a library held by another daemon, a crash early in the daemon's start) is reported there
with a message a person can act on, and `start()` raises `ServiceStartError`, which the
service turns into a stopped state with an error.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, Protocol

import structlog

from daemon.config import Config, ConfigError, PipelineConfig, load_config
from daemon.log import configure_daemon_logging
from daemon.service.companions import Companion
from daemon.service.daemon import Daemon
from daemon.service.instance_lock import AlreadyRunningError
from daemon.service.process import prepare_service_process
from daemon.service.windows_spec import DEFAULT_SERVICE_NAME

# Beyond the daemon's own stop timeout: the training stop's kill and the final bookkeeping.
STOP_MARGIN_SECONDS = 5.0
# A daemon thread that ends this soon after start failed to start (lock, folders, database);
# a later end is reported as a crash by wait().
STARTUP_GRACE_SECONDS = 5.0
EXIT_CRASHED = 1
# Beside the log: whatever is written to stdout or stderr in a process that has neither.
SERVICE_OUTPUT = "service-output.log"


class EventReporter(Protocol):
    """Where a service manager's operator looks: the Windows event log, or a test's list."""

    def info(self, text: str) -> None: ...

    def error(self, text: str) -> None: ...


class ServiceStartError(RuntimeError):
    """The daemon did not start; the reason has been reported."""


@dataclass(frozen=True)
class _Outcome:
    status: int
    error: BaseException | None = None


class ServiceHost:
    def __init__(
        self,
        config_path: Path | None,
        reporter: EventReporter,
        name: str = DEFAULT_SERVICE_NAME,
        startup_grace_seconds: float = STARTUP_GRACE_SECONDS,
        companions: Callable[[Config], Sequence[Companion]] = lambda _config: (),
    ) -> None:
        """`companions` makes what runs beside the daemon (the review page) from the config;
        the service wrapper passes it, so this module imports nothing of daemon/web/."""
        self.config_path = config_path
        self._companions = companions
        self.name = name
        self._reporter = reporter
        self._grace = startup_grace_seconds
        self._lock = threading.Lock()
        self._stop_requested = False
        self._config: Config | None = None
        self._daemon: Daemon | None = None
        self._thread: threading.Thread | None = None
        self._outcome: _Outcome | None = None
        self._reported = False  # an end already reported as a start failure
        self._log = structlog.get_logger("service")

    @property
    def stop_wait_seconds(self) -> float:
        """How long a stop may take: the wait hint a service reports while stopping."""
        pipeline = self._config.pipeline if self._config else PipelineConfig()
        return pipeline.stop_timeout_seconds + STOP_MARGIN_SECONDS

    def start(self) -> None:
        """Loads the config, sets up logging and runs the daemon on a thread.

        Returns once the daemon has lived through its start (or was stopped meanwhile);
        raises ServiceStartError, after reporting why, when it could not start."""
        config = self._load()
        self._config = config
        try:
            prepare_service_process(config.log_path.parent / SERVICE_OUTPUT)
            # A service has no console: its lines go to the log file only.
            configure_daemon_logging(
                dataclasses.replace(config, log=dataclasses.replace(config.log, console="off"))
            )
        except OSError as exc:
            self._fail(f"cannot write the log {config.log_path}: {exc}")
        try:
            daemon = Daemon(config, self._companions(config))
        except Exception as exc:
            self._log.exception("the daemon could not start")
            self._fail(_describe(exc))
        thread = self._launch(daemon)
        if thread is None:
            return  # stopped before it started
        thread.join(self._grace)
        outcome = self._outcome
        if outcome is not None and outcome.error is not None:
            self._reported = True
            self._fail(_describe(outcome.error))
        if outcome is None:
            self._reporter.info(
                f"{self.name} started: config {config.source}, inbox {config.inbox}, "
                f"library {config.library}, log {config.log_path}"
            )

    def stop(self, wait_hint_seconds: float) -> bool:
        """Asks the daemon to stop; True when it ended within `wait_hint_seconds`."""
        with self._lock:
            self._stop_requested = True
            daemon, thread = self._daemon, self._thread
        if daemon is not None:
            daemon.stop()
        if thread is None:
            return True
        thread.join(wait_hint_seconds)
        return not thread.is_alive()

    def wait(self) -> int:
        """Blocks until the daemon ends; its exit status (EXIT_CRASHED after a crash)."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return 0
        thread.join()
        outcome = self._outcome or _Outcome(EXIT_CRASHED)
        if outcome.error is not None and not self._reported:
            where = self._config.log_path if self._config else "the log"
            self._reporter.error(
                f"{self.name} stopped unexpectedly: {_describe(outcome.error)}; "
                f"the details are in {where}"
            )
        return outcome.status

    def _load(self) -> Config:
        if self.config_path is None:
            self._fail(
                "no config file is set for this service; install it again with "
                "`bunny service install --config FILE`"
            )
        try:
            return load_config(self.config_path)
        except ConfigError as exc:
            self._fail(_describe(exc))

    def _launch(self, daemon: Daemon) -> threading.Thread | None:
        # Under the lock, so that a stop arriving now either prevents the run or finds the
        # daemon to stop.
        with self._lock:
            if self._stop_requested:
                return None
            self._daemon = daemon
            self._thread = threading.Thread(
                target=self._run, args=(daemon,), name="bunny-service", daemon=True
            )
            self._thread.start()
            return self._thread

    def _run(self, daemon: Daemon) -> None:
        try:
            self._outcome = _Outcome(daemon.run())
        except BaseException as exc:
            self._log.exception("the daemon failed", error=str(exc))
            self._outcome = _Outcome(EXIT_CRASHED, exc)

    def _fail(self, reason: str) -> NoReturn:
        message = f"{self.name} could not start: {reason}"
        self._reporter.error(message)
        raise ServiceStartError(message)


def _describe(error: BaseException) -> str:
    if isinstance(error, ConfigError):
        return f"config error: {error}"
    if isinstance(error, AlreadyRunningError | OSError):
        return str(error)
    return f"{type(error).__name__}: {error}"
