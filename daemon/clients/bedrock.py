"""AWS Bedrock captions: the boto3 `bedrock-runtime` Converse API with the image as JPEG bytes.

Credentials come from the usual AWS chain (environment, profile, SSO, instance role), never
from the config. botocore's own retries are off (one attempt per call): daemon.resilience
does the retrying, so that waits, attempts and the breaker follow one policy.
"""

from __future__ import annotations

import threading
from typing import Any

from daemon.clients.caption_client import CaptionRequest
from daemon.config import BedrockConfig
from daemon.resilience import AccessRefusedError, PermanentError, TransientError

TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "ServiceUnavailableException",
        "ServiceUnavailable",
        "InternalServerException",
        "InternalFailure",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
ACCESS_CODES = frozenset(
    {
        "AccessDeniedException",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ResourceNotFoundException",
        "ServiceQuotaExceededException",
    }
)


class BedrockCaptionClient:
    name = "bedrock"

    def __init__(self, config: BedrockConfig, session: Any = None) -> None:
        """`session`: a boto3 Session to take credentials from (default: a new one)."""
        self._config = config
        self._session = session
        self._client: Any = None
        self._lock = threading.Lock()

    def _runtime(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                session = self._session or boto3.session.Session()
                timeout = self._config.limits.timeout_seconds
                self._client = session.client(
                    "bedrock-runtime",
                    region_name=self._config.region,
                    endpoint_url=self._config.endpoint_url,
                    config=Config(
                        connect_timeout=timeout,
                        read_timeout=timeout,
                        retries={"total_max_attempts": 1, "mode": "standard"},
                    ),
                )
            return self._client

    def caption(self, request: CaptionRequest) -> str:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionError,
            HTTPClientError,
            NoCredentialsError,
            PartialCredentialsError,
        )
        from botocore.parsers import ResponseParserError

        try:
            response = self._runtime().converse(
                modelId=self._config.model_id,
                messages=[
                    {
                        "role": "user",
                        "content": [
                            {"image": {"format": "jpeg", "source": {"bytes": request.image_jpeg}}},
                            {"text": request.prompt},
                        ],
                    }
                ],
                inferenceConfig={"maxTokens": request.max_tokens},
            )
        except ClientError as exc:
            raise classify(exc.response) from exc
        except (ConnectionError, HTTPClientError) as exc:  # timeouts, refused, reset
            raise TransientError(f"{type(exc).__name__}: {exc}") from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise AccessRefusedError(f"no AWS credentials: {exc}") from exc
        except ResponseParserError as exc:
            raise PermanentError(f"malformed reply: {exc}"[:300], counts=True) from exc
        except BotoCoreError as exc:  # the request could not be made (region, parameters)
            raise PermanentError(f"{type(exc).__name__}: {exc}", counts=True) from exc
        return reply_text(response)


def classify(response: dict[str, Any]) -> Exception:
    """The error for a Bedrock error reply (botocore's ClientError.response)."""
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
    message = f"{code or 'error'} (HTTP {status}): {str(error.get('Message', ''))[:200]}"
    if code in TRANSIENT_CODES or status in (408, 429) or status >= 500:
        return TransientError(message)
    if code in ACCESS_CODES or status in (401, 403, 404):
        return AccessRefusedError(message)
    return PermanentError(message)


def reply_text(response: Any) -> str:
    """The caption in a Converse reply; a reply without one is a permanent error."""
    try:
        blocks = response["output"]["message"]["content"]
        text = " ".join(str(b["text"]).strip() for b in blocks if "text" in b).strip()
    except (KeyError, TypeError) as exc:
        raise PermanentError(f"malformed reply: no {exc}", counts=True) from None
    if not text:
        stop = response.get("stopReason", "unknown")
        raise PermanentError(f"reply with no text (stop reason {stop})")
    return text
