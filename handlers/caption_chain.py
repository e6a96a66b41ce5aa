"""The caption providers in the configured order, and what to do when one cannot answer.

Each API provider is a client from daemon/clients/ wrapped once in `GuardedClient`, so
retries, the breaker and the rate limit live there and nowhere here. The chain only decides
what an error means for the image:

- the provider is unavailable (breaker open, retries spent, key refused): with
  `when_unavailable: next` the next provider is asked; with `wait` the image waits for this
  one, and the stage is deferred, not failed;
- the provider refused this request (a malformed reply, a rejected image): the next
  provider is asked, whatever `when_unavailable` says, since waiting would not help.

The template provider never fails, so a chain ending with it always gives a caption.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from daemon.clients.bedrock import BedrockCaptionClient
from daemon.clients.caption_client import CaptionClient, CaptionRequest
from daemon.clients.openai_compatible import OpenAICompatibleClient
from daemon.config import CaptionsConfig, ProviderLimits
from daemon.resilience import (
    BreakerBoard,
    GuardedClient,
    ProviderRefusedError,
    ProviderUnavailableError,
)
from handlers.caption_template import CaptionFacts, TemplateProvider


class CaptionProvider(Protocol):
    name: str

    def caption(self, request: CaptionRequest, facts: CaptionFacts) -> str: ...


class CaptionsWaitingError(Exception):
    """No provider may caption now; the image waits `retry_after` seconds and is asked again."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


@dataclass(frozen=True)
class Captioned:
    text: str
    provider: str


class ClientProvider:
    """An API client as a chain link: it sends the image and the prompt, not the facts."""

    def __init__(self, client: CaptionClient, limits: ProviderLimits) -> None:
        self.name = client.name
        self.limits = limits
        self._client = client

    def caption(self, request: CaptionRequest, _facts: CaptionFacts) -> str:
        return self._client.caption(request)


class CaptionChain:
    def __init__(self, providers: Sequence[CaptionProvider], when_unavailable: str) -> None:
        self.providers = list(providers)
        self._wait = when_unavailable == "wait"

    @property
    def concurrency(self) -> int:
        """Requests worth having in flight at once: the most any provider allows."""
        limits = [p.limits.concurrency for p in self.providers if isinstance(p, ClientProvider)]
        return max(limits, default=1)

    def caption(self, request: CaptionRequest, facts: CaptionFacts) -> Captioned:
        problems: list[str] = []
        retry_after = 60.0
        for provider in self.providers:
            try:
                return Captioned(provider.caption(request, facts), provider.name)
            except ProviderUnavailableError as exc:
                if isinstance(provider, ClientProvider):
                    retry_after = provider.limits.breaker_reset_seconds
                if self._wait:
                    raise CaptionsWaitingError(str(exc), retry_after) from exc
                problems.append(str(exc))
            except ProviderRefusedError as exc:
                problems.append(str(exc))
        raise CaptionsWaitingError("no provider could caption: " + "; ".join(problems), retry_after)


def build_caption_chain(config: CaptionsConfig, board: BreakerBoard) -> CaptionChain:
    """The configured providers, each API client guarded by the process's breaker board."""
    providers: list[CaptionProvider] = []
    for name in config.providers:
        if name == "template":
            providers.append(TemplateProvider())
        elif name == "bedrock":
            limits = config.bedrock.limits
            client = GuardedClient(BedrockCaptionClient(config.bedrock), limits, board)
            providers.append(ClientProvider(client, limits))
        else:
            limits = config.openai.limits
            client = GuardedClient(OpenAICompatibleClient(config.openai), limits, board)
            providers.append(ClientProvider(client, limits))
    return CaptionChain(providers, config.when_unavailable)
