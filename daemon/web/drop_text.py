"""A drop in words, as the page's undo button and its answers say it."""

from __future__ import annotations

from daemon.repository import DropRecord


def drop_text(drop: DropRecord) -> str:
    count = len(drop.moves)
    images = f"{count} image{'s' if count != 1 else ''}"
    sources = sorted({move.image.character for move in drop.moves})
    origin = ", ".join(sources)
    if drop.target.startswith("character:"):
        return f"{images} of {origin} moved to {drop.target.removeprefix('character:')}"
    return f"{images} taken out of {origin}'s dataset (not this person)"
