"""A dataset image's caption edited on the review page: the same as editing its `.txt` by
hand, then rebuilding the folder's `metadata.jsonl` as the captions stage does.

The database keeps the provider's caption (a hand edit never changes it either): the grid
shows the `.txt`, marked edited, and later caption runs leave an edited `.txt` as it is.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from daemon.repository import Repository
from handlers.caption_files import write_caption, write_metadata

MAX_CAPTION_CHARACTERS = 1000
# Tabs and line breaks become spaces (a caption is one line); other controls are refused.
_FORMAT_OR_CONTROL = ("Cc", "Cf", "Cs", "Co", "Cn")


class CaptionRefusedError(ValueError):
    """The caption cannot be saved; the message says why."""


class NoSuchImageError(LookupError):
    """The character has no dataset image of that id, or its file is gone."""


def clean_caption_text(sent: str) -> str:
    text = " ".join(sent.split())
    if not text:
        raise CaptionRefusedError("the caption is empty; write what the image shows")
    if len(text) > MAX_CAPTION_CHARACTERS:
        raise CaptionRefusedError(
            f"the caption is {len(text)} characters; at most {MAX_CAPTION_CHARACTERS}"
        )
    bad = sorted({c for c in text if unicodedata.category(c) in _FORMAT_OR_CONTROL})
    if bad:
        named = ", ".join(f"U+{ord(c):04X}" for c in bad[:5])
        raise CaptionRefusedError(f"the caption holds control or format characters ({named})")
    return text


def save_caption(repo: Repository, library: Path, name: str, image_id: int, sent: str) -> None:
    """Write the caption to the image's `.txt` and rebuild its folder's metadata.jsonl."""
    text = clean_caption_text(sent)
    entry = repo.dataset_entry(name, image_id)
    if entry is None:
        raise NoSuchImageError(f"{name} has no dataset image {image_id}")
    image = library / entry.file
    dataset = (library / "characters" / name / "dataset").resolve()
    if not image.is_file() or image.resolve().parent != dataset:
        raise NoSuchImageError(f"{entry.file} is no longer in {name}'s dataset folder")
    write_caption(image, text)
    write_metadata(image.parent)
