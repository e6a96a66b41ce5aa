"""The OpenAI-compatible client (requests) against a local server playing /v1/chat/completions."""

from __future__ import annotations

import base64
import itertools
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from daemon.clients.caption_client import CaptionRequest
from daemon.clients.openai_compatible import OpenAICompatibleClient, retry_after
from daemon.config import OpenAIConfig, ProviderLimits
from daemon.resilience import (
    BreakerBoard,
    BreakerState,
    GuardedClient,
    ProviderRefusedError,
    ProviderUnavailableError,
)
from tests.daemon.clients.scripted_server import (
    JPEG,
    GuardedSetup,
    Reply,
    ScriptedServer,
    fast_limits,
    read_log,
    recording_sleep,
)

KEY_ENV = "BUNNY_TEST_LLM"  # a name the log redactor would not recognise as a secret
KEY = "sk-test-0123456789abcdefDoNotLogMe"
REQUEST = CaptionRequest(image_jpeg=JPEG, prompt="Describe ohwx woman.", max_tokens=50)


def completion(content: object) -> Reply:
    return Reply.json(
        200,
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
        },
    )


def error(status: int, message: str, *headers: tuple[str, str]) -> Reply:
    return Reply.json(status, {"error": {"message": message, "type": "error"}}, *headers)


OK = completion("ohwx woman, laughing, close-up")
THROTTLED = error(429, "Rate limit reached", ("Retry-After", "0.05"))
BROKEN = error(502, "Bad gateway")
UNAUTHORIZED = error(401, f"Incorrect API key provided: {KEY}.")
INVALID = error(400, "Invalid image")
MALFORMED = Reply(200, b"{'not': json", (("Content-Type", "application/json"),))


class Setup(GuardedSetup):
    def __init__(self, server: ScriptedServer, provider_limits: ProviderLimits, key: bool) -> None:
        config = OpenAIConfig(
            base_url=f"{server.url}/v1/", model="llava", api_key_env=KEY_ENV, limits=provider_limits
        )
        self.raw = OpenAICompatibleClient(config, environ={KEY_ENV: KEY} if key else {})
        super().__init__(server, self.raw, provider_limits)


@pytest.fixture
def openai(serve: Callable[[Reply], ScriptedServer]) -> Callable[..., Setup]:
    def make(key: bool = True, **changes: float) -> Setup:
        return Setup(serve(OK), fast_limits(**changes), key)

    return make


def test_request_carries_image_prompt_model_and_key(openai: Callable[..., Setup]) -> None:
    setup = openai()
    assert setup.client.caption(REQUEST) == "ohwx woman, laughing, close-up"
    (seen,) = setup.server.requests
    assert seen.path == "/v1/chat/completions"
    assert seen.headers["Authorization"] == f"Bearer {KEY}"
    body = seen.json()
    assert body["model"] == "llava" and body["max_tokens"] == 50
    (message,) = body["messages"]
    text, image = message["content"]
    assert text == {"type": "text", "text": "Describe ohwx woman."}
    prefix, data = image["image_url"]["url"].split(",", 1)
    assert prefix == "data:image/jpeg;base64"
    assert base64.b64decode(data) == JPEG


def test_a_local_server_without_a_key_gets_no_authorization(
    openai: Callable[..., Setup],
) -> None:
    setup = openai(key=False)
    assert setup.client.caption(REQUEST) == "ohwx woman, laughing, close-up"
    assert "Authorization" not in setup.server.requests[0].headers


def test_content_given_as_parts_is_joined(openai: Callable[..., Setup]) -> None:
    setup = openai()
    setup.server.default = completion([{"type": "text", "text": "ohwx woman, outdoors"}])
    assert setup.client.caption(REQUEST) == "ohwx woman, outdoors"


def test_rate_limit_storm_is_retried_with_growing_waits(openai: Callable[..., Setup]) -> None:
    setup = openai(attempts=5)
    setup.server.script(error(429, "slow down"), error(429, "slow down"), error(429, "slow down"))
    assert setup.client.caption(REQUEST) == "ohwx woman, laughing, close-up"
    assert len(setup.server.requests) == 4
    assert len(setup.sleeps) == 3
    assert setup.sleeps == sorted(setup.sleeps) and setup.sleeps[-1] > setup.sleeps[0]
    gaps = [b.at - a.at for a, b in itertools.pairwise(setup.server.requests)]
    assert all(gap >= wait for gap, wait in zip(gaps, setup.sleeps, strict=True))


def test_retry_after_is_honoured_up_to_the_longest_wait(openai: Callable[..., Setup]) -> None:
    setup = openai()
    setup.server.script(THROTTLED, error(429, "later", ("Retry-After", "3600")))
    setup.client.caption(REQUEST)
    assert setup.sleeps[0] >= 0.05
    assert setup.sleeps[1] == pytest.approx(0.2)  # capped at backoff_max_seconds
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after("soon") is None


def test_server_errors_exhaust_the_attempts(openai: Callable[..., Setup]) -> None:
    setup = openai(attempts=3, breaker_failures=5)
    setup.server.default = BROKEN
    with pytest.raises(ProviderUnavailableError, match="HTTP 502: Bad gateway") as caught:
        setup.client.caption(REQUEST)
    assert caught.value.reason == "retries_exhausted"
    assert len(setup.server.requests) == 3


def test_a_timeout_is_retried(openai: Callable[..., Setup]) -> None:
    setup = openai(timeout_seconds=0.2)
    setup.server.script(Reply(OK.status, OK.body, OK.headers, delay=3.0))
    started = time.monotonic()
    assert setup.client.caption(REQUEST) == "ohwx woman, laughing, close-up"
    assert time.monotonic() - started < 2.0
    assert len(setup.server.requests) == 2


def test_connection_refused_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    provider_limits = fast_limits(attempts=2)
    config = OpenAIConfig(base_url=f"http://127.0.0.1:{port}/v1", limits=provider_limits)
    sleeps: list[float] = []
    client = GuardedClient(
        OpenAICompatibleClient(config, environ={}),
        provider_limits,
        BreakerBoard(),
        recording_sleep(sleeps),
    )
    with pytest.raises(ProviderUnavailableError, match="ConnectionError") as caught:
        client.caption(REQUEST)
    assert caught.value.reason == "retries_exhausted" and len(sleeps) == 1


def test_malformed_json_is_refused_without_retry(openai: Callable[..., Setup]) -> None:
    setup = openai()
    setup.server.default = MALFORMED
    with pytest.raises(ProviderRefusedError, match="not JSON"):
        setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 1 and setup.sleeps == []


def test_bad_request_and_empty_reply_are_refused_and_do_not_trip(
    openai: Callable[..., Setup],
) -> None:
    setup = openai()
    setup.server.script(INVALID, INVALID, completion(""), completion(None))
    for expected in ("Invalid image", "Invalid image", "no text", "content is NoneType"):
        with pytest.raises(ProviderRefusedError, match=expected):
            setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 4 and setup.sleeps == []
    assert setup.state() is BreakerState.CLOSED  # empty/400: this image; malformed counts


def test_a_wrong_key_is_not_retried_and_opens_the_breaker(openai: Callable[..., Setup]) -> None:
    setup = openai()
    setup.server.default = UNAUTHORIZED
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError) as caught:
            setup.client.caption(REQUEST)
        assert caught.value.reason == "access_refused"
        assert KEY not in str(caught.value)  # the server echoed it; the message does not
    assert len(setup.server.requests) == 2 and setup.sleeps == []
    assert setup.state() is BreakerState.OPEN
    with pytest.raises(ProviderUnavailableError, match="breaker_open"):
        setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 2


def test_breaker_opens_then_half_opens_and_closes(openai: Callable[..., Setup]) -> None:
    setup = openai(attempts=2)
    setup.server.default = BROKEN
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError, match="retries_exhausted"):
            setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 4
    assert setup.state() is BreakerState.OPEN
    with pytest.raises(ProviderUnavailableError, match="breaker_open"):
        setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 4

    time.sleep(0.35)
    setup.server.default = OK
    assert setup.client.caption(REQUEST) == "ohwx woman, laughing, close-up"
    assert len(setup.server.requests) == 5
    assert setup.states == [
        BreakerState.CLOSED,
        BreakerState.OPEN,
        BreakerState.HALF_OPEN,
        BreakerState.CLOSED,
    ]


def test_the_key_appears_in_no_log_line(openai: Callable[..., Setup], daemon_log: Path) -> None:
    setup = openai(attempts=2, breaker_failures=10)
    setup.server.script(THROTTLED, OK, BROKEN, BROKEN, UNAUTHORIZED, MALFORMED, INVALID)
    outcomes = []
    for _ in range(5):
        try:
            outcomes.append(setup.client.caption(REQUEST))
        except (ProviderUnavailableError, ProviderRefusedError) as exc:
            outcomes.append(type(exc).__name__)
    assert outcomes[0] == "ohwx woman, laughing, close-up"
    assert outcomes[1:] == ["ProviderUnavailableError"] * 2 + ["ProviderRefusedError"] * 2
    text = read_log(daemon_log)
    assert "retrying" in text and "Incorrect API key provided: ***" in text
    assert KEY not in text
    assert KEY not in repr(setup.raw)
