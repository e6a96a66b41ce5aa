"""What every caption provider client looks like."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CaptionRequest:
    image_jpeg: bytes
    prompt: str
    max_tokens: int

    def __repr__(self) -> str:  # never a few megabytes of JPEG in a log line or a traceback
        return (
            f"CaptionRequest(image_jpeg=<{len(self.image_jpeg)} bytes>, "
            f"prompt={self.prompt!r}, max_tokens={self.max_tokens})"
        )


class CaptionClient(Protocol):
    """One provider: `caption` makes one request and raises the errors of daemon.resilience."""

    name: str

    def caption(self, request: CaptionRequest) -> str: ...
