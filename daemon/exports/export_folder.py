"""The folder one character is exported into: new or empty, filled by hard links (a copy
where links are not possible), never overwriting anything."""

from __future__ import annotations

import errno
import os
import shutil
from enum import Enum
from pathlib import Path

from daemon.exports.formats import ExportImage, ExportRefusedError

# A link across file systems, where links are not allowed, or a file with too many links.
_NO_LINK = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.EOPNOTSUPP}


class Placement(Enum):
    LINKED = "linked"
    COPIED = "copied"


class ExportFolder:
    def __init__(self, root: Path) -> None:
        if root.is_symlink() or (root.exists() and not root.is_dir()):
            raise ExportRefusedError(f"{root} is a link or a file, not a folder; choose another")
        if root.is_dir() and any(root.iterdir()):
            raise ExportRefusedError(
                f"{root} is not empty: an export writes only into a new or empty folder and "
                "never overwrites; remove it or choose another --to"
            )
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.linked = 0
        self.copied = 0

    def place(self, source: Path, relative: str) -> Placement:
        target = self._new_path(relative)
        try:
            os.link(source, target)
        except OSError as exc:
            if exc.errno not in _NO_LINK:
                raise
            shutil.copy2(source, target)
            self.copied += 1
            return Placement.COPIED
        self.linked += 1
        return Placement.LINKED

    def place_with_caption(self, image: ExportImage, folder: str) -> None:
        """The image and its caption as `<stem>.txt` beside it, as kohya, OneTrainer and
        ai-toolkit read them."""
        self.place(image.source, f"{folder}/{image.name}")
        self.write_text(f"{folder}/{image.source.stem}.txt", image.caption + "\n")

    def write_text(self, relative: str, text: str) -> Path:
        target = self._new_path(relative)
        with target.open("x", encoding="utf-8", newline="\n") as handle:  # never overwrites
            handle.write(text)
        return target

    def path(self, relative: str) -> Path:
        return self.root / relative

    def _new_path(self, relative: str) -> Path:
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target
