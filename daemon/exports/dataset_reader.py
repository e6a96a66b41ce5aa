"""A character's dataset as an export takes it: its captioned images and their captions."""

from __future__ import annotations

from pathlib import Path

from daemon.exports.formats import CharacterDataset, ExportImage
from handlers.caption_files import caption_path, captioned_images


def read_dataset(library: Path, name: str, trigger_word: str, class_word: str) -> CharacterDataset:
    """Only reads. An image whose caption is empty or unreadable is left out, as training's
    dataset freeze leaves it out."""
    folder = library / "characters" / name / "dataset"
    images = []
    for file in captioned_images(folder) if folder.is_dir() else []:
        try:
            text = caption_path(folder / file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        caption = " ".join(text.split())
        if caption:
            images.append(ExportImage(folder / file, caption))
    return CharacterDataset(name, trigger_word, class_word, tuple(images))
