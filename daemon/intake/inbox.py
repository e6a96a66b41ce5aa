"""The inbox folders and the only ways a user's file is ever moved: aside, or to done/.

Nothing here deletes a user's file. A symbolic link is moved as a link; its target is
never touched. The daemon's own folders are real folders inside the inbox: anyone who can
write to the inbox could otherwise make one a link, and have files moved anywhere the
daemon can write.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from daemon.atomic import write_text_atomic
from daemon.display_text import REASON_LIMIT, escaped, shown

# Intake threads and pipeline workers move files at once: a free name is claimed, the file
# moved onto it and its reason file written as one step, or two files named alike could
# take the same name and one would replace the other.
_MOVING = threading.RLock()
NAME_MAX_BYTES = 255
REASON_SUFFIX = ".reason.txt"
# write_text_atomic writes ".<name>.tmp" first: that name must fit the limit too.
ATOMIC_TEMP_EXTRA = len(".") + len(".tmp")
HASH_CHUNK = 1024 * 1024


class UnsafeFolderError(OSError):
    """One of the daemon's folders is a link or not a folder; the message says which."""


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
    def images(self) -> Path:
        return self.root / "images"

    @property
    def rejected(self) -> Path:
        return self.root / "rejected"

    @property
    def done(self) -> Path:
        return self.root / "done"

    def create(self) -> None:
        """Makes the drop folders; UnsafeFolderError when one of the daemon's folders is a
        link or a file (the daemon refuses to start: a person must look)."""
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in (self.movies, self.images, self.faces, self.rejected, self.done):
            if is_present(folder):
                require_real_folder(folder)
        for folder in (self.movies, self.images, self.faces):
            folder.mkdir(exist_ok=True)


def require_real_folder(folder: Path) -> None:
    """UnsafeFolderError unless `folder` is a folder itself, not a link to one."""
    mode = os.lstat(folder).st_mode
    if stat.S_ISLNK(mode):
        raise UnsafeFolderError(
            f"{escaped(str(folder))} is a symbolic link (to {escaped(str(folder.readlink()))}); "
            "the daemon's folders must be real folders inside the inbox: replace it with a "
            "folder"
        )
    if not stat.S_ISDIR(mode):
        raise UnsafeFolderError(f"{escaped(str(folder))} is not a folder; move it away")


def is_temporary_name(path: Path, temp_suffixes: tuple[str, ...]) -> bool:
    """Dot-files and names of downloads or copies still in progress are not taken."""
    name = path.name.lower()
    return name.startswith(".") or any(name.endswith(s.lower()) for s in temp_suffixes)


def move_aside(path: Path, folder: Path, reason: str, name: str | None = None) -> Path:
    """Move `path` into `folder` with `<name>.reason.txt` beside it; return the new path.
    `name`: the name it gets there (a free one like it) when not its own."""
    with _MOVING:
        target = move_into(path, folder, name)
        _write_reason(target, path, reason)
    return target


def move_into(path: Path, folder: Path, name: str | None = None) -> Path:
    """Move a file (or a link, not its target) into `folder` under a free name (like `name`,
    else like its own).

    `folder` must be a real folder: a link put in its place is refused, not followed."""
    folder.mkdir(parents=True, exist_ok=True)
    require_real_folder(folder)
    with _MOVING:
        target = _free_name(folder, name or path.name)
        _move(path, target)
    return target


def free_place(folder: Path, name: str) -> Path:
    """A free name like `name` in `folder` (made if missing, and a real folder): where a move
    recorded before it is made will go (see move_to_place)."""
    folder.mkdir(parents=True, exist_ok=True)
    require_real_folder(folder)
    with _MOVING:
        return _free_name(folder, name)


def move_to_place(path: Path, place: Path, reason: str | None = None) -> Path:
    """Move `path` to `place` (from free_place, recorded before), with its reason beside it
    when given; returns where it is. Run again after a kill, it does what is left: a file
    already there is not moved twice, a missing reason file is written."""
    with _MOVING:
        if is_present(path) and path != place:
            if is_present(place):  # taken meanwhile by another file: the next free name
                place = _free_name(place.parent, place.name)
            place.parent.mkdir(parents=True, exist_ok=True)
            require_real_folder(place.parent)
            _move(path, place)
        reason_file = _reason_file(place)
        if reason is not None and is_present(place) and not reason_file.exists():
            _write_reason(place, path, reason)
    return place


def _move(path: Path, target: Path) -> None:
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


def _reason_file(target: Path) -> Path:
    return target.with_name(_fit_name(target.name, REASON_SUFFIX, ATOMIC_TEMP_EXTRA))


def _write_reason(target: Path, source: Path, reason: str) -> None:
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_text_atomic(
        _reason_file(target),
        f"file: {escaped(target.name)}\nfrom: {escaped(str(source))}\nwhen: {stamp}\n"
        f"reason: {shown(reason, REASON_LIMIT)}\n",
    )


def is_present(path: Path) -> bool:
    """A file, a folder or a link (a broken one too) is at `path`."""
    return path.exists() or path.is_symlink()


def _free_name(folder: Path, name: str) -> Path:
    candidate = folder / name
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, ""
    else:
        suffix = "." + suffix
    number = 2
    while is_present(candidate):
        candidate = folder / _fit_name(stem, f" ({number}){suffix}")
        number += 1
    return candidate


def _fit_name(stem: str, suffix: str, reserve: int = 0) -> str:
    """`stem + suffix`, with the stem shortened so the name (+ `reserve` bytes) fits."""
    room = NAME_MAX_BYTES - reserve - len(os.fsencode(suffix))
    encoded = os.fsencode(stem)  # a name that is not UTF-8 keeps its bytes
    if len(encoded) <= room:
        return stem + suffix
    tag = "~" + hashlib.sha1(encoded).hexdigest()[:8]
    cut = encoded[: room - len(tag)].decode("utf-8", errors="ignore")
    return cut + tag + suffix
