"""The real boto3 bedrock-runtime client against a local server playing Bedrock's Converse API."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest

from daemon.clients.bedrock import BedrockCaptionClient
from daemon.clients.caption_client import CaptionRequest
from daemon.config import BedrockConfig, ProviderLimits
from daemon.resilience import (
    BreakerState,
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
)

ACCESS_KEY = "AKIAFAKEFAKEFAKE1234"
SECRET_KEY = "fake/Secret+Key/do-not-log-0123456789abcd"
SESSION_TOKEN = "FakeSessionTokenThatMustNeverBeLogged0987"
MODEL = "amazon.nova-lite-v1:0"
REQUEST = CaptionRequest(image_jpeg=JPEG, prompt="Describe ohwx man.", max_tokens=60)

OK = Reply.json(
    200,
    {
        "output": {"message": {"role": "assistant", "content": [{"text": "ohwx man, smiling"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 10, "outputTokens": 4, "totalTokens": 14},
        "metrics": {"latencyMs": 12},
    },
)


def error(status: int, code: str, message: str) -> Reply:
    return Reply.json(
        status,
        {"message": message},
        ("x-amzn-ErrorType", f"{code}:http://internal.amazon.com/coral/com.amazon.bedrock/"),
    )


THROTTLED = error(429, "ThrottlingException", "Too many requests, please wait.")
BROKEN = error(500, "InternalServerException", "Internal server error")
FORBIDDEN = error(403, "AccessDeniedException", "You don't have access to the model.")
INVALID = error(400, "ValidationException", "The image is too large.")
MALFORMED = Reply(200, b"<html>a captive portal</html>", (("Content-Type", "text/html"),))


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


class Setup(GuardedSetup):
    def __init__(self, server: ScriptedServer, provider_limits: ProviderLimits) -> None:
        config = BedrockConfig(model_id=MODEL, endpoint_url=server.url, limits=provider_limits)
        super().__init__(server, BedrockCaptionClient(config), provider_limits)


@pytest.fixture
def bedrock(serve: Callable[[Reply], ScriptedServer]) -> Callable[..., Setup]:
    def make(**changes: float) -> Setup:
        return Setup(serve(OK), fast_limits(**changes))

    return make


def test_converse_request_carries_image_prompt_and_model(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock()
    assert setup.client.caption(REQUEST) == "ohwx man, smiling"
    (seen,) = setup.server.requests
    assert unquote(seen.path) == f"/model/{MODEL}/converse"
    body = seen.json()
    (message,) = body["messages"]
    image, text = message["content"]
    assert base64.b64decode(image["image"]["source"]["bytes"]) == JPEG
    assert image["image"]["format"] == "jpeg"
    assert text == {"text": "Describe ohwx man."}
    assert body["inferenceConfig"] == {"maxTokens": 60}
    assert f"Credential={ACCESS_KEY}/" in seen.headers["Authorization"]  # signed, from the env
    assert SECRET_KEY not in str(seen.headers)


def test_throttling_storm_is_retried_with_growing_waits(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock(attempts=5)
    setup.server.script(THROTTLED, THROTTLED, THROTTLED)
    assert setup.client.caption(REQUEST) == "ohwx man, smiling"
    assert len(setup.server.requests) == 4  # botocore made no retries of its own
    assert len(setup.sleeps) == 3
    assert setup.sleeps == sorted(setup.sleeps) and setup.sleeps[-1] > setup.sleeps[0]
    assert all(0.01 <= wait <= 0.2 for wait in setup.sleeps)
    gaps = [b.at - a.at for a, b in itertools.pairwise(setup.server.requests)]
    assert all(gap >= wait for gap, wait in zip(gaps, setup.sleeps, strict=True))
    assert setup.state() is BreakerState.CLOSED


def test_server_errors_exhaust_the_attempts(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock(attempts=3, breaker_failures=5)
    setup.server.default = BROKEN
    with pytest.raises(ProviderUnavailableError) as caught:
        setup.client.caption(REQUEST)
    assert caught.value.reason == "retries_exhausted"
    assert "InternalServerException" in str(caught.value)
    assert len(setup.server.requests) == 3
    assert len(setup.sleeps) == 2


def test_a_timeout_is_retried(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock(timeout_seconds=0.2)
    setup.server.script(Reply(OK.status, OK.body, OK.headers, delay=3.0))
    started = time.monotonic()
    assert setup.client.caption(REQUEST) == "ohwx man, smiling"
    assert time.monotonic() - started < 2.0
    assert len(setup.server.requests) == 2


def test_a_malformed_reply_is_refused_without_retry(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock()
    setup.server.default = MALFORMED
    with pytest.raises(ProviderRefusedError, match="malformed"):
        setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 1
    assert setup.sleeps == []


def test_a_reply_with_no_text_is_refused(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock()
    empty = {"output": {"message": {"role": "assistant", "content": []}}}
    setup.server.default = Reply.json(200, {**empty, "stopReason": "content_filtered"})
    for _ in range(3):
        with pytest.raises(ProviderRefusedError, match="content_filtered"):
            setup.client.caption(REQUEST)
    assert setup.state() is BreakerState.CLOSED  # the image's fault, not the provider's


def test_a_bad_request_is_refused_and_does_not_trip(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock()
    setup.server.default = INVALID
    for _ in range(4):
        with pytest.raises(ProviderRefusedError, match="ValidationException"):
            setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 4
    assert setup.state() is BreakerState.CLOSED


def test_access_denied_is_not_retried_and_opens_the_breaker(
    bedrock: Callable[..., Setup],
) -> None:
    setup = bedrock()
    setup.server.default = FORBIDDEN
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError) as caught:
            setup.client.caption(REQUEST)
        assert caught.value.reason == "access_refused"
    assert len(setup.server.requests) == 2 and setup.sleeps == []
    assert setup.state() is BreakerState.OPEN
    with pytest.raises(ProviderUnavailableError) as caught:
        setup.client.caption(REQUEST)
    assert caught.value.reason == "breaker_open"
    assert len(setup.server.requests) == 2


def test_breaker_opens_then_half_opens_and_closes(bedrock: Callable[..., Setup]) -> None:
    setup = bedrock(attempts=2)
    setup.server.default = BROKEN
    for _ in range(2):
        with pytest.raises(ProviderUnavailableError, match="retries_exhausted"):
            setup.client.caption(REQUEST)
    assert len(setup.server.requests) == 4  # one breaker failure per call, not per attempt
    assert setup.states == [BreakerState.CLOSED, BreakerState.OPEN]

    started = time.monotonic()
    with pytest.raises(ProviderUnavailableError) as caught:
        setup.client.caption(REQUEST)
    assert caught.value.reason == "breaker_open"
    assert time.monotonic() - started < 0.1  # fails fast
    assert len(setup.server.requests) == 4  # without reaching the server

    time.sleep(0.35)
    setup.server.default = OK
    assert setup.client.caption(REQUEST) == "ohwx man, smiling"
    assert len(setup.server.requests) == 5  # the one trial call
    assert setup.states[1:] == [BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED]
    assert setup.state() is BreakerState.CLOSED


def test_missing_credentials_count_as_access_refused(
    bedrock: Callable[..., Setup], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    setup = bedrock()
    with pytest.raises(ProviderUnavailableError) as caught:
        setup.client.caption(REQUEST)
    assert caught.value.reason == "access_refused"
    assert setup.server.requests == []


def test_no_credential_appears_in_the_log(bedrock: Callable[..., Setup], daemon_log: Path) -> None:
    setup = bedrock(attempts=2, breaker_failures=10)
    setup.server.script(THROTTLED, OK, BROKEN, BROKEN, FORBIDDEN, MALFORMED, INVALID)
    outcomes = []
    for _ in range(5):
        try:
            outcomes.append(setup.client.caption(REQUEST))
        except (ProviderUnavailableError, ProviderRefusedError) as exc:
            outcomes.append(type(exc).__name__)
            assert SECRET_KEY not in str(exc) and SESSION_TOKEN not in str(exc)
    assert outcomes == [
        "ohwx man, smiling",
        "ProviderUnavailableError",
        "ProviderUnavailableError",
        "ProviderRefusedError",
        "ProviderRefusedError",
    ]
    text = read_log(daemon_log)
    assert "retrying" in text and "provider unavailable" in text and "provider refused" in text
    for secret in (SECRET_KEY, SESSION_TOKEN, ACCESS_KEY):
        assert secret not in text
