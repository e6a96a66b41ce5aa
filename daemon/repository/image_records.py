"""Still images of the image inbox, as the repository hands them out (see images.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from daemon.store import ImageRow, ImageState
from handlers.base import SourceImage
from handlers.frame_capture import timestamp_seconds


@dataclass(frozen=True)
class ImageRecord:
    id: int
    sha256: str
    path: Path
    batch: str
    size: int
    mtime_ns: int
    state: ImageState
    reason: str | None
    part_id: int | None
    frame: str | None
    moving_to: Path | None = None  # a move recorded before it is made


@dataclass(frozen=True)
class WaitingBatch:
    batch: str
    last_settled_at: datetime


@dataclass(frozen=True)
class BatchProgress:
    batch: str
    waiting: int
    batched: int
    done: int
    rejected: int
    duplicate: int

    @property
    def total(self) -> int:
        return self.waiting + self.batched + self.done + self.rejected + self.duplicate


@dataclass(frozen=True)
class NewImage:
    path: Path
    sha256: str
    batch: str
    size: int
    mtime_ns: int


def image_record(row: ImageRow) -> ImageRecord:
    return ImageRecord(
        id=row.id,
        sha256=row.sha256,
        path=Path(row.path),
        batch=row.batch,
        size=row.size,
        mtime_ns=row.mtime_ns,
        state=ImageState(row.state),
        reason=row.reason,
        part_id=row.part_id,  # type: ignore[attr-defined]  # peewee adds <fk>_id
        frame=row.frame,
        moving_to=Path(row.moving_to) if row.moving_to else None,
    )


def source_image(record: ImageRecord) -> SourceImage:
    """An image of a part as its stages see it: the frame its part named it (form_part)."""
    if record.frame is None:
        raise ValueError(f"image {record.id} is in no part")
    frame = record.frame
    return SourceImage(record.path, frame, timestamp_seconds(frame), record.sha256)
