"""daemon/resilience.py: retry, breaker, admission and rate limit, with a scripted provider.

The provider here stands in for a remote API; the real clients against a real local server
are in tests/daemon/clients/.
"""

from __future__ import annotations

import itertools
import threading
import time
from typing import Any

import pytest

from daemon.clients.caption_client import CaptionRequest
from daemon.config import ProviderLimits
from daemon.resilience import (
    AccessRefusedError,
    BreakerBoard,
    BreakerState,
    GuardedClient,
    PermanentError,
    ProviderRefusedError,
    ProviderUnavailableError,
    RateLimiter,
    TransientError,
)
from tests.daemon.clients.scripted_server import fast_limits

REQUEST = CaptionRequest(image_jpeg=b"\xff\xd8 jpeg \xff\xd9", prompt="p", max_tokens=20)


class Scripted:
    """A provider that raises or answers what it is told, in order, then `default`."""

    def __init__(self, name: str = "remote", *script: Any, default: Any = "a caption") -> None:
        self.name = name
        self.script = list(script)
        self.default = default
        self.calls = 0

    def caption(self, request: CaptionRequest) -> str:
        self.calls += 1
        outcome = self.script.pop(0) if self.script else self.default
        if callable(outcome):
            outcome = outcome()
        if isinstance(outcome, BaseException):
            raise outcome
        return str(outcome)


def limits(**changes: float) -> ProviderLimits:
    defaults = {"concurrency": 4, "attempts": 3, "backoff_max_seconds": 0.5}
    return fast_limits(**{**defaults, "breaker_reset_seconds": 0.2, **changes})


def guarded(
    provider: Scripted, board: BreakerBoard | None = None, **changes: float
) -> tuple[GuardedClient, list[float]]:
    sleeps: list[float] = []
    client = GuardedClient(provider, limits(**changes), board or BreakerBoard(), sleeps.append)
    return client, sleeps


def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum() -> None:
    provider = Scripted("remote", *[TransientError("busy")] * 6)
    client, sleeps = guarded(provider, attempts=7, backoff_initial_seconds=0.1)
    assert client.caption(REQUEST) == "a caption"
    assert provider.calls == 7
    for wait, base in zip(sleeps, [0.1, 0.2, 0.4, 0.5, 0.5, 0.5], strict=True):
        assert base <= wait <= min(base + 0.1, 0.5)
    assert len({round(w, 6) for w in sleeps[:3]}) == 3


def test_retry_after_lengthens_a_wait_but_never_past_the_maximum() -> None:
    provider = Scripted("remote", TransientError("busy", 0.3), TransientError("busy", 99))
    client, sleeps = guarded(provider)
    client.caption(REQUEST)
    assert sleeps == [0.3, 0.5]


def test_permanent_errors_are_not_retried_and_do_not_trip() -> None:
    provider = Scripted("remote", default=PermanentError("bad image"))
    client, sleeps = guarded(provider)
    for _ in range(5):
        with pytest.raises(ProviderRefusedError, match="remote: bad image"):
            client.caption(REQUEST)
    assert provider.calls == 5 and sleeps == []


def test_a_malformed_reply_counts_against_the_breaker() -> None:
    board = BreakerBoard()
    provider = Scripted("remote", default=PermanentError("malformed", counts=True))
    client, _ = guarded(provider, board)
    for _ in range(2):
        with pytest.raises(ProviderRefusedError):
            client.caption(REQUEST)
    assert board.states() == {"remote": BreakerState.OPEN}


def test_one_breaker_failure_per_call_after_its_retries() -> None:
    board = BreakerBoard()
    provider = Scripted("remote", default=TransientError("down"))
    client, _ = guarded(provider, board, attempts=3, breaker_failures=2)
    with pytest.raises(ProviderUnavailableError, match="retries_exhausted"):
        client.caption(REQUEST)
    assert provider.calls == 3
    assert board.states() == {"remote": BreakerState.CLOSED}
    with pytest.raises(ProviderUnavailableError, match="retries_exhausted"):
        client.caption(REQUEST)
    assert board.states() == {"remote": BreakerState.OPEN}


def test_a_success_resets_the_count_of_failures() -> None:
    board = BreakerBoard()
    provider = Scripted("remote", AccessRefusedError("403"), "ok", AccessRefusedError("403"))
    client, _ = guarded(provider, board)
    for expected in (ProviderUnavailableError, None, ProviderUnavailableError):
        if expected is None:
            assert client.caption(REQUEST) == "ok"
        else:
            with pytest.raises(expected):
                client.caption(REQUEST)
    assert board.states() == {"remote": BreakerState.CLOSED}


def test_a_failed_trial_opens_the_breaker_again() -> None:
    states: list[tuple[str, BreakerState]] = []
    board = BreakerBoard(on_state=lambda name, state: states.append((name, state)))
    provider = Scripted("remote", default=AccessRefusedError("401"))
    client, _ = guarded(provider, board, breaker_failures=1, breaker_reset_seconds=0.1)
    with pytest.raises(ProviderUnavailableError, match="access_refused"):
        client.caption(REQUEST)
    with pytest.raises(ProviderUnavailableError, match="breaker_open"):
        client.caption(REQUEST)
    time.sleep(0.12)
    with pytest.raises(ProviderUnavailableError, match="access_refused"):
        client.caption(REQUEST)
    with pytest.raises(ProviderUnavailableError, match="breaker_open"):
        client.caption(REQUEST)  # the reset time starts again from the failed trial
    assert provider.calls == 2
    assert [state for _, state in states] == [
        BreakerState.CLOSED,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.OPEN,
    ]
    assert {name for name, _ in states} == {"remote"}


def test_half_open_lets_one_trial_call_through_at_a_time() -> None:
    board = BreakerBoard()
    entered, release = threading.Event(), threading.Event()

    def slow_success() -> str:
        entered.set()
        release.wait(5)
        return "trial ok"

    provider = Scripted("remote", TransientError("x"), slow_success, default="after")
    client, _ = guarded(provider, board, attempts=1, breaker_failures=1, breaker_reset_seconds=0.05)
    with pytest.raises(ProviderUnavailableError):
        client.caption(REQUEST)
    time.sleep(0.06)
    results: list[str] = []
    trial = threading.Thread(target=lambda: results.append(client.caption(REQUEST)))
    trial.start()
    assert entered.wait(5)
    assert board.states() == {"remote": BreakerState.HALF_OPEN}
    with pytest.raises(ProviderUnavailableError, match="trial call in flight"):
        client.caption(REQUEST)
    release.set()
    trial.join(5)
    assert results == ["trial ok"]
    assert board.states() == {"remote": BreakerState.CLOSED}
    assert client.caption(REQUEST) == "after"


def test_an_interrupted_trial_frees_the_trial_slot() -> None:
    provider = Scripted("remote", TransientError("x"), KeyboardInterrupt(), default="ok")
    client, _ = guarded(provider, attempts=1, breaker_failures=1, breaker_reset_seconds=0.05)
    with pytest.raises(ProviderUnavailableError):
        client.caption(REQUEST)
    time.sleep(0.06)
    with pytest.raises(KeyboardInterrupt):
        client.caption(REQUEST)
    assert client.caption(REQUEST) == "ok"


def test_an_unexpected_error_propagates_unchanged_and_counts() -> None:
    board = BreakerBoard()
    provider = Scripted("remote", default=KeyError("bug"))
    client, sleeps = guarded(provider, board)
    for _ in range(2):
        with pytest.raises(KeyError):
            client.caption(REQUEST)
    assert sleeps == [] and board.states() == {"remote": BreakerState.OPEN}


def test_clients_of_one_provider_share_its_breaker_others_do_not() -> None:
    board = BreakerBoard()
    first, _ = guarded(Scripted("a", default=AccessRefusedError("no")), board)
    second, _ = guarded(Scripted("a", default="fine"), board)
    other, _ = guarded(Scripted("b", default="fine"), board)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError):
            first.caption(REQUEST)
    with pytest.raises(ProviderUnavailableError, match="breaker_open"):
        second.caption(REQUEST)
    assert other.caption(REQUEST) == "fine"
    assert board.states() == {"a": BreakerState.OPEN, "b": BreakerState.CLOSED}


def test_a_failing_listener_never_breaks_a_call() -> None:
    seen: list[BreakerState] = []

    def broken(_: str, state: BreakerState) -> None:
        raise RuntimeError("database is locked")

    board = BreakerBoard(on_state=broken)
    board.add_listener(lambda _, state: seen.append(state))
    client, _ = guarded(Scripted("remote", default=AccessRefusedError("no")), board)
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError, match="access_refused"):
            client.caption(REQUEST)
    assert seen == [BreakerState.CLOSED, BreakerState.OPEN]


class OvershootingClock:
    """Time that moves only when slept on, and every sleep wakes late, by turns more and less
    (as on a busy machine): what the limiter reads, not our code."""

    def __init__(self) -> None:
        self.now = 100.0
        self.overshoots = itertools.cycle([0.015, 0.0, 0.004])

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds + next(self.overshoots)


def test_rate_limiter_spaces_request_starts_even_when_sleeps_wake_late() -> None:
    clock = OvershootingClock()
    limiter = RateLimiter(requests_per_second=50, concurrency=4, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(8):
        with limiter:
            starts.append(clock())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.02 - 1e-9, gaps


def test_rate_limiter_spaces_request_starts_in_real_time() -> None:
    limiter = RateLimiter(requests_per_second=50, concurrency=4)
    starts = []
    for _ in range(6):
        with limiter:
            starts.append(time.monotonic())
    # Each start is at least 20 ms after the one before, measured inside the limiter; the
    # test reads the clock a moment later, so it allows a scheduler's few ms on top.
    assert starts[-1] - starts[0] >= 5 * 0.02 - 0.005


def test_rate_limiter_caps_calls_in_flight() -> None:
    limiter = RateLimiter(requests_per_second=1000, concurrency=2)
    inside, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        with limiter:
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert most == 2


def test_every_attempt_passes_the_rate_limiter() -> None:
    provider = Scripted("remote", TransientError("a"), TransientError("b"))
    client, _ = guarded(provider, requests_per_second=20, backoff_initial_seconds=0)
    started = time.monotonic()
    assert client.caption(REQUEST) == "a caption"
    assert time.monotonic() - started >= 0.09  # three tries, 1/20 s apart


def test_a_caption_request_repr_leaves_out_the_image() -> None:
    request = CaptionRequest(image_jpeg=b"x" * 100_000, prompt="p", max_tokens=8)
    assert repr(request) == "CaptionRequest(image_jpeg=<100000 bytes>, prompt='p', max_tokens=8)"
