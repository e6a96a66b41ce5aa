"""`bunny status`: how far each batch of still images has got (see daemon/intake/images.py).

Each part of a batch also has its own line among the movies, with its stage and progress.
"""

from __future__ import annotations

from dataclasses import dataclass

from daemon.display_text import shown
from daemon.repository import Repository

LOOSE = "(loose images)"


@dataclass(frozen=True)
class BatchLine:
    batch: str  # the folder dropped into inbox/images/; "" for images dropped loose
    images: int
    done: int
    rejected: int
    duplicates: int
    in_parts: int  # in a part being processed (or queued)
    waiting: int  # settled, not yet in a part: the batch is still arriving


def batch_lines(repo: Repository) -> list[BatchLine]:
    return [
        BatchLine(
            batch=p.batch,
            images=p.total,
            done=p.done,
            rejected=p.rejected,
            duplicates=p.duplicate,
            in_parts=p.batched,
            waiting=p.waiting,
        )
        for p in repo.batch_progress()
    ]


def batch_rows(lines: list[BatchLine]) -> list[str]:
    if not lines:
        return []
    rows = ["image batches (finished / images):"]
    for line in lines:
        finished = line.done + line.rejected + line.duplicates
        rows.append(
            f"  {shown(line.batch or LOOSE):<24}  {finished}/{line.images}  "
            f"{line.done} done, {line.rejected} rejected, {line.duplicates} duplicates, "
            f"{line.in_parts} in parts, {line.waiting} arriving"
        )
    return rows
