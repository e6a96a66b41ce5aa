"""Captions from any OpenAI-compatible chat endpoint with image input (OpenAI, Ollama, vLLM,
LM Studio): POST {base_url}/chat/completions with the prompt and the JPEG as a data URL.

The key is read from the environment variable the config names; with none set (a local
server) no Authorization header is sent. The key never appears in an error message.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from daemon.clients.caption_client import CaptionRequest
from daemon.config import OpenAIConfig
from daemon.resilience import AccessRefusedError, PermanentError, TransientError


class OpenAICompatibleClient:
    name = "openai"

    def __init__(self, config: OpenAIConfig, environ: Mapping[str, str] | None = None) -> None:
        self._config = config
        self._url = config.base_url.rstrip("/") + "/chat/completions"
        key = (os.environ if environ is None else environ).get(config.api_key_env, "").strip()
        self._key = key
        self._session = requests.Session()
        if key:
            self._session.headers["Authorization"] = f"Bearer {key}"

    def __repr__(self) -> str:
        return f"OpenAICompatibleClient(url={self._url!r}, model={self._config.model!r})"

    def caption(self, request: CaptionRequest) -> str:
        image = base64.b64encode(request.image_jpeg).decode("ascii")
        body: dict[str, Any] = {
            "model": self._config.model,
            "max_tokens": request.max_tokens,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": request.prompt},
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:image/jpeg;base64,{image}"},
                        },
                    ],
                }
            ],
        }
        timeout = self._config.limits.timeout_seconds
        # `from None` throughout: a requests exception holds the request, Authorization included.
        try:
            response = self._session.post(self._url, json=body, timeout=(timeout, timeout))
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(self._hide(f"{type(exc).__name__}: {exc}")) from None
        except requests.RequestException as exc:  # an invalid URL and the like
            raise PermanentError(self._hide(f"{type(exc).__name__}: {exc}"), counts=True) from None
        status = response.status_code
        if status >= 400:
            message = self._hide(f"HTTP {status}: {error_message(response)}")
            if status in (408, 429) or status >= 500:
                raise TransientError(message, retry_after(response.headers.get("Retry-After")))
            if status in (401, 403, 404):
                raise AccessRefusedError(message)
            raise PermanentError(message)
        try:
            return reply_text(response.json())
        except ValueError:
            raise PermanentError(
                self._hide(f"malformed reply: not JSON: {response.text[:100]!r}"), counts=True
            ) from None

    def _hide(self, message: str) -> str:
        return message.replace(self._key, "***") if self._key else message


def reply_text(document: Any) -> str:
    """The caption in a chat completion; a reply without one is a permanent error."""
    try:
        content = document["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise PermanentError(f"malformed reply: no {exc}", counts=True) from None
    if isinstance(content, list):  # content parts, as some servers answer
        content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    if not isinstance(content, str):
        raise PermanentError(f"malformed reply: content is {type(content).__name__}", counts=True)
    if not content.strip():
        raise PermanentError("reply with no text")
    return content.strip()


def error_message(response: requests.Response) -> str:
    try:
        error = response.json().get("error", "")
        text = error.get("message", "") if isinstance(error, dict) else error
    except (ValueError, AttributeError):
        text = response.text
    return str(text)[:200]


def retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
