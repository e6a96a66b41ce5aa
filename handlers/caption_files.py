"""Captions on disk, as LoRA trainers read them: `<image>.txt` beside each dataset image,
and `metadata.jsonl` (file_name, text) for the Hugging Face imagefolder loader.

`metadata.jsonl` is rebuilt from the folder as it is, so it follows the user's own changes
(a deleted or moved image, an edited `.txt`) and never names a missing file.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from daemon.atomic import write_text_atomic

METADATA_FILE = "metadata.jsonl"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
# The captions stage and the corrections job may rebuild one folder's file at the same time.
_METADATA_LOCK = threading.Lock()


def caption_path(image: Path) -> Path:
    return image.with_suffix(".txt")


def write_caption(image: Path, text: str) -> None:
    """Write the image's `.txt` unless it already says `text`."""
    path = caption_path(image)
    if not path.exists() or path.read_text(encoding="utf-8").strip() != text:
        write_text_atomic(path, text + "\n")


def restore_caption(image: Path, text: str) -> None:
    """Put a stored caption back where its `.txt` is missing; an existing one, perhaps
    edited by the user, is left as it is."""
    if not caption_path(image).exists():
        write_text_atomic(caption_path(image), text + "\n")


def remove_orphan_captions(dataset_dirs: list[Path], prefix: str) -> None:
    """Our `.txt` files (`prefix*`) whose image is gone: the dataset stage dropped it."""
    for folder in dataset_dirs:
        for path in folder.glob(f"{prefix}*.txt"):
            if not any(path.with_suffix(s).exists() for s in IMAGE_SUFFIXES):
                path.unlink()


def metadata_is_stale(dataset_dir: Path) -> bool:
    """metadata.jsonl does not list exactly the captioned images now in the folder, or a
    `.txt` was written after it (a caption edited by hand)."""
    metadata = dataset_dir / METADATA_FILE
    listed: set[str] = set()
    if not metadata.exists():
        return bool(_captioned_images(dataset_dir))
    for line in metadata.read_text(encoding="utf-8").splitlines():
        try:
            listed.add(str(json.loads(line)["file_name"]))
        except (ValueError, KeyError, TypeError):
            return True  # damaged: rebuild it
    captioned = _captioned_images(dataset_dir)
    if listed != set(captioned):
        return True
    written = metadata.stat().st_mtime_ns
    return any(caption_path(dataset_dir / name).stat().st_mtime_ns > written for name in captioned)


def refresh_stale_metadata(library: Path) -> list[Path]:
    """Rebuild every dataset folder's metadata.jsonl that no longer says what its folder
    holds (an image moved or a caption edited by hand); returns the folders rebuilt."""
    rebuilt = []
    for folder in sorted((library / "characters").glob("*/dataset")):
        if folder.is_dir() and not folder.is_symlink() and metadata_is_stale(folder):
            write_metadata(folder)
            rebuilt.append(folder)
    return rebuilt


def captioned_images(dataset_dir: Path) -> list[str]:
    """The names of the folder's images with a `.txt` beside them, sorted: what a trainer
    learns from."""
    return _captioned_images(dataset_dir)


def _captioned_images(dataset_dir: Path) -> list[str]:
    return [
        image.name
        for image in sorted(dataset_dir.iterdir())
        if image.suffix.lower() in IMAGE_SUFFIXES and caption_path(image).exists()
    ]


def write_metadata(dataset_dir: Path) -> int:
    """Rebuild the folder's metadata.jsonl from its captioned images; returns the lines."""
    with _METADATA_LOCK:
        return _write_metadata(dataset_dir)


def _write_metadata(dataset_dir: Path) -> int:
    lines = []
    for name in _captioned_images(dataset_dir):
        text = " ".join(caption_path(dataset_dir / name).read_text(encoding="utf-8").split())
        lines.append(json.dumps({"file_name": name, "text": text}, ensure_ascii=False))
    write_text_atomic(dataset_dir / METADATA_FILE, "".join(f"{line}\n" for line in lines))
    return len(lines)
