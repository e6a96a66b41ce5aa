"""The inbox folders and the only ways a user's file is ever moved: aside, or to done/.

Nothing here deletes a user's file. A symbolic link is moved as a link; its target is
never touched.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from daemon.atomic import write_text_atomic
from daemon.display_text import REASON_LIMIT, escaped, shown

NAME_MAX_BYTES = 255
REASON_SUFFIX = ".reason.txt"
# write_text_atomic writes ".<name>.tmp" first: that name must fit the limit too.
ATOMIC_TEMP_EXTRA = len(".") + len(".tmp")
HASH_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class InboxLayout:
    root: Path

    @property
    def movies(self) -> Path:
        return self.root / "movies"

    @property
    def faces(self) -> Path:
        return self.root / "faces"

    @property
    def rejected(self) -> Path:
        return self.root / "rejected"

    @property
    def done(self) -> Path:
        return self.root / "done"

    def create(self) -> None:
        for folder in (self.movies, self.faces):
            folder.mkdir(parents=True, exist_ok=True)


def is_temporary_name(path: Path, temp_suffixes: tuple[str, ...]) -> bool:
    """Dot-files and names of downloads or copies still in progress are not taken."""
    name = path.name.lower()
    return name.startswith(".") or any(name.endswith(s.lower()) for s in temp_suffixes)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def move_aside(path: Path, folder: Path, reason: str) -> Path:
    """Move `path` into `folder` with `<name>.reason.txt` beside it; return the new path."""
    target = move_into(path, folder)
    reason_file = target.with_name(_fit_name(target.name, REASON_SUFFIX, ATOMIC_TEMP_EXTRA))
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_text_atomic(
        reason_file,
        f"file: {escaped(target.name)}\nfrom: {escaped(str(path))}\nwhen: {stamp}\n"
        f"reason: {shown(reason, REASON_LIMIT)}\n",
    )
    return target


def move_into(path: Path, folder: Path) -> Path:
    """Move a file (or a link, not its target) into `folder` under a free name."""
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder, path.name)
    relative_link = path.is_symlink() and not path.readlink().is_absolute()
    pointed_at = path.parent / path.readlink() if relative_link else None
    try:
        path.replace(target)
    except OSError:
        # Another file system (the inbox on a share, the library local): copy, then remove.
        shutil.move(str(path), str(target))
    if pointed_at is not None:
        # A relative link would point elsewhere from its new folder: keep it on its target.
        target.unlink()
        target.symlink_to(pointed_at.resolve())
    return target


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, ""
    else:
        suffix = "." + suffix
    number = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = folder / _fit_name(stem, f" ({number}){suffix}")
        number += 1
    return candidate


def _fit_name(stem: str, suffix: str, reserve: int = 0) -> str:
    """`stem + suffix`, with the stem shortened so the name (+ `reserve` bytes) fits."""
    room = NAME_MAX_BYTES - reserve - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")
    if len(encoded) <= room:
        return stem + suffix
    tag = "~" + hashlib.sha1(encoded).hexdigest()[:8]
    cut = encoded[: room - len(tag)].decode("utf-8", errors="ignore")
    return cut + tag + suffix
