"""A character's dataset as the review page's grid, a page at a time: each image with the
caption training reads (its `.txt`, which the user may have edited by hand: the database
keeps the provider's), the stored caption beside it, and the movie and time it came from."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from daemon.display_text import REASON_LIMIT, bounded
from daemon.reports.paging import Page, PageRequest
from daemon.repository import DatasetEntry, Repository
from handlers.caption_files import caption_path


@dataclass(frozen=True)
class DatasetTile:
    image: DatasetEntry  # its `caption` is the stored one (provider, stale), text bounded
    text: str | None  # what training reads: the `.txt` (bounded), else the stored caption
    edited: bool  # the `.txt` says something else than the stored caption
    on_disk: bool  # the image file is there (the user may have moved it a moment ago)


def character_dataset(
    repo: Repository, library: Path, name: str, request: PageRequest
) -> Page[DatasetTile]:
    """In file order (movie, then time)."""
    entries = repo.dataset_page(name, request.offset, request.per_page)
    tiles = [_tile(entry, library) for entry in entries]
    return Page.of(tiles, request, repo.dataset_count(name))


def dataset_tile(repo: Repository, library: Path, name: str, image_id: int) -> DatasetTile | None:
    """One tile of the grid, as it is now (after its caption was edited)."""
    entry = repo.dataset_entry(name, image_id)
    return _tile(entry, library) if entry is not None else None


def _tile(entry: DatasetEntry, library: Path) -> DatasetTile:
    image = library / entry.file
    stored = entry.caption.text.strip() if entry.caption else None
    try:
        on_file: str | None = caption_path(image).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        on_file = None
    text = on_file if on_file is not None else stored
    edited = on_file is not None and stored is not None and on_file != stored
    shown = bounded(text, REASON_LIMIT) if text is not None else None
    return DatasetTile(_bounded_caption(entry), shown, edited, image.is_file())


def _bounded_caption(entry: DatasetEntry) -> DatasetEntry:
    if entry.caption is None:
        return entry
    caption = dataclasses.replace(entry.caption, text=bounded(entry.caption.text, REASON_LIMIT))
    return dataclasses.replace(entry, caption=caption)
