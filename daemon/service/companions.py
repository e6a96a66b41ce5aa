"""Services that run beside the daemon's work for as long as it runs (the review page).

The daemon knows them only by this protocol: whoever starts the daemon (`bunny run`) passes
them in, so nothing here imports the layers above (DESIGN.md's arrows point down).
"""

from __future__ import annotations

from typing import Protocol

from daemon.repository import Repository


class Companion(Protocol):
    def start(self, repo: Repository) -> None:
        """Start on a thread of its own; a failure to start is logged, never raised: the
        daemon's work goes on without it."""

    def stop(self) -> None:
        """Stop and wait a bounded time; called once, while `repo` is still open."""
