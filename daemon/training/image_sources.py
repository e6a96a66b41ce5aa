"""Where a frozen dataset image came from, recorded beside it in the run's `dataset.json`.

So a run explains its images without the database: each item names the movie (its key) and
the frame it was cut from. An image from the image inbox names its source file and batch
too (the batch's part is a movie-like row, so `movie` and `frame` hold for it as well).
`dataset.json` files written before this have no source; readers then ask the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from daemon.store import SourceKind

__all__ = ["FrozenSource", "SourceKind"]


@dataclass(frozen=True)
class FrozenSource:
    kind: SourceKind
    movie: str  # the movie's key (first 12 hex digits of its sha256), or the batch part's
    frame: str  # the frame's name (its timestamp), or the name the inbox image became
    file: str | None = None  # an inbox image: the path of the file the user dropped
    batch: str | None = None  # an inbox image: its batch's name

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FrozenSource:
        return cls(
            kind=SourceKind(raw["kind"]),
            movie=str(raw["movie"]),
            frame=str(raw["frame"]),
            file=_text_or_none(raw.get("file")),
            batch=_text_or_none(raw.get("batch")),
        )


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)
