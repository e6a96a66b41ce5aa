"""Retry, circuit breaker and rate limit for the calls to the outside world, defined once.

Clients (daemon/clients/) make one request and classify a failure: `TransientError` (retried),
`AccessRefusedError` (the provider refuses *us*: bad key, no permission, unknown model) or
`PermanentError` (this request never works). `GuardedClient` wraps a client and raises
`ProviderUnavailableError` (breaker open, retries spent, access refused: ask the next provider
or let the frame wait) or `ProviderRefusedError` (this request failed for good here).

- tenacity: `attempts` tries of transient errors only, exponential back-off with jitter, at
  least any Retry-After the server sent and at most `backoff_max_seconds`.
- pybreaker, one breaker per provider on the process's `BreakerBoard`: one failure per call
  *after* its retries (retries spent, access refused, malformed reply, unexpected error). A
  wrong key is never retried and opens the breaker after `breaker_failures` calls: then the
  provider sees one trial request per `breaker_reset_seconds` until the key is fixed.
- a rate limiter per provider (requests per second, requests in flight) paces every try.

pybreaker holds its lock for the whole guarded call (one request at a time), so calls are
admitted here (fail fast while open, a single trial when half-open) and only their outcome is
handed to the breaker, which counts, opens, closes and tells the listeners.
"""

from __future__ import annotations

import contextlib
import enum
import threading
import time
from collections.abc import Callable
from typing import Any, NoReturn

import pybreaker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from daemon.clients.caption_client import CaptionClient, CaptionRequest
from daemon.config import ProviderLimits
from daemon.log import get_logger

log = get_logger("bunny.resilience")


class TransientError(Exception):
    """Raised by a client: worth another try later (`retry_after`: seconds the server asked)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Raised by a client: this request fails for good; `counts` if the provider is at fault."""

    def __init__(self, message: str, counts: bool = False) -> None:
        super().__init__(message)
        self.counts = counts


class AccessRefusedError(PermanentError):
    """Raised by a client: the provider refuses us (401, 403, 404); no retry, counted."""

    def __init__(self, message: str) -> None:
        super().__init__(message, counts=True)


class ProviderError(Exception):
    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


class ProviderUnavailableError(ProviderError):
    """Not now: `reason` is breaker_open, retries_exhausted or access_refused."""

    def __init__(self, provider: str, reason: str, message: str) -> None:
        super().__init__(provider, f"{reason}: {message}")
        self.reason = reason


class ProviderRefusedError(ProviderError):
    """This request failed for good with this provider (bad request, empty or malformed reply)."""


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


StateListener = Callable[[str, BreakerState], None]
_STATES = {
    pybreaker.STATE_CLOSED: BreakerState.CLOSED,
    pybreaker.STATE_OPEN: BreakerState.OPEN,
    pybreaker.STATE_HALF_OPEN: BreakerState.HALF_OPEN,
}


class RateLimiter:
    """At most `concurrency` calls inside, started at least 1/`requests_per_second` apart.

    Starts are taken one at a time and each is measured from when the last one really
    started: a sleep that overshoots (a busy machine) never lets the next start come early.
    `clock` and `sleep` are the time the limiter reads and waits on (tests give their own).
    """

    def __init__(
        self,
        requests_per_second: float,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / requests_per_second
        self._slots = threading.BoundedSemaphore(concurrency)
        self._starting = threading.Lock()
        self._clock, self._sleep = clock, sleep
        self._last: float | None = None

    def __enter__(self) -> None:
        self._slots.acquire()
        with self._starting:
            if self._last is not None:
                wait = self._last + self._interval - self._clock()
                if wait > 0:
                    self._sleep(wait)
            self._last = self._clock()

    def __exit__(self, *_: object) -> None:
        self._slots.release()


class _Gate(pybreaker.CircuitBreakerListener):
    """One provider's breaker, admission and rate limiter."""

    def __init__(self, name: str, limits: ProviderLimits, board: BreakerBoard) -> None:
        self.name, self.board, self.reset = name, board, limits.breaker_reset_seconds
        self.limiter = RateLimiter(limits.requests_per_second, limits.concurrency)
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=limits.breaker_failures,
            reset_timeout=limits.breaker_reset_seconds,
            throw_new_error_on_trip=False,
            listeners=[self],
            name=name,
        )
        self.lock = threading.Lock()
        self.opened_at = 0.0
        self.trial = False

    def state_change(self, _: Any, __: Any, new: Any) -> None:
        state = _STATES[new.name]
        if state is BreakerState.OPEN:
            self.opened_at = time.monotonic()
        self.board.notify(self.name, state)

    def admit(self) -> bool:
        """Let a call through (True: the half-open trial) or raise ProviderUnavailableError."""
        with self.lock:
            state, wait = self.breaker.current_state, self.opened_at + self.reset - time.monotonic()
            if state == pybreaker.STATE_OPEN and wait <= 0:
                self.breaker.half_open()
                state = pybreaker.STATE_HALF_OPEN
            if state == pybreaker.STATE_OPEN or (state == pybreaker.STATE_HALF_OPEN and self.trial):
                why = f"next trial in {wait:.1f} s" if wait > 0 else "trial call in flight"
                raise ProviderUnavailableError(self.name, "breaker_open", why)
            if state == pybreaker.STATE_HALF_OPEN:
                self.trial = True
            return state == pybreaker.STATE_HALF_OPEN

    def record(self, failure: BaseException | None, trial: bool) -> None:
        """Tell the breaker how an admitted call ended (after its retries)."""

        def outcome() -> None:
            if failure is not None:
                raise failure

        with self.lock:
            self.release(trial)
            if trial or self.breaker.current_state == pybreaker.STATE_CLOSED:
                # (a late outcome of a call admitted before the breaker opened is dropped)
                with contextlib.suppress(Exception):
                    self.breaker.call(outcome)

    def release(self, trial: bool) -> None:
        if trial:
            self.trial = False


class BreakerBoard:
    """The breakers and rate limiters of all providers; make one per process, at start."""

    def __init__(self, on_state: StateListener | None = None) -> None:
        self._gates: dict[str, _Gate] = {}
        self._listeners: list[StateListener] = [on_state] if on_state else []
        self._lock = threading.Lock()

    def add_listener(self, on_state: StateListener) -> None:
        """`on_state(provider, state)` on every change, and CLOSED when a provider is added."""
        self._listeners.append(on_state)

    def states(self) -> dict[str, BreakerState]:
        with self._lock:
            return {name: _STATES[g.breaker.current_state] for name, g in self._gates.items()}

    def gate(self, provider: str, limits: ProviderLimits) -> _Gate:
        """The provider's gate, made on first use (later `limits` are ignored)."""
        with self._lock:
            gate, made = self._gates.get(provider), False
            if gate is None:
                gate = self._gates[provider] = _Gate(provider, limits, self)
                made = True
        if made:
            self.notify(provider, BreakerState.CLOSED)
        return gate

    def notify(self, provider: str, state: BreakerState) -> None:
        level = log.info if state is BreakerState.CLOSED else log.warning
        level("provider breaker", provider=provider, state=state.value)
        for listener in list(self._listeners):
            try:
                listener(provider, state)
            except Exception as exc:  # a listener must never break a call
                log.error("breaker listener failed", provider=provider, error=repr(exc))


class GuardedClient:
    """A CaptionClient behind its provider's breaker, rate limiter and retry policy."""

    def __init__(
        self,
        client: CaptionClient,
        limits: ProviderLimits,
        board: BreakerBoard,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = client.name
        self._client = client
        self._gate = board.gate(client.name, limits)
        initial = limits.backoff_initial_seconds
        self._backoff = wait_exponential_jitter(
            multiplier=initial, max=limits.backoff_max_seconds, jitter=initial
        )
        self._retrying = Retrying(
            stop=stop_after_attempt(limits.attempts),
            wait=self._wait,
            retry=retry_if_exception_type(TransientError),
            sleep=sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        self._max_wait = limits.backoff_max_seconds

    def caption(self, request: CaptionRequest) -> str:
        trial = self._gate.admit()
        try:
            text = self._retrying.copy()(self._attempt, request)  # a copy: state per call
        except TransientError as exc:
            self._fail(exc, trial, "retries_exhausted")
        except AccessRefusedError as exc:
            self._fail(exc, trial, "access_refused")
        except PermanentError as exc:
            self._gate.record(exc if exc.counts else None, trial)
            log.warning("provider refused request", provider=self.name, error=str(exc))
            raise ProviderRefusedError(self.name, str(exc)) from exc
        except Exception as exc:  # unclassified (a bug or an unknown failure): counted, raised
            self._gate.record(exc, trial)
            raise
        except BaseException:  # interrupted: nothing learnt about the provider
            self._gate.release(trial)
            raise
        self._gate.record(None, trial)
        return text

    def _attempt(self, request: CaptionRequest) -> str:
        with self._gate.limiter:
            return self._client.caption(request)

    def _fail(self, exc: Exception, trial: bool, reason: str) -> NoReturn:
        self._gate.record(exc, trial)
        log.warning("provider unavailable", provider=self.name, reason=reason, error=str(exc))
        raise ProviderUnavailableError(self.name, reason, str(exc)) from exc

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        asked = getattr(error, "retry_after", None) or 0.0
        return min(max(self._backoff(state), asked), self._max_wait)

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.info(
            "provider call failed, retrying",
            provider=self.name,
            attempt=state.attempt_number,
            wait_seconds=round(wait, 3),
            error=str(error),
        )
