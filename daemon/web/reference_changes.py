"""A character's references changed from the review page, the way the inbox changes them.

An uploaded photo is checked by the inbox's own intake (`ReferenceIntake.take_upload`: a
regular, non-empty file, a photo's suffix, the size cap, a decodable image with one clear
face) and copied into `library/characters/<name>/reference/` as a dropped photo is. It is
staged first under the library's `.cache/uploads/` by a name of our own, so the name the
browser sent never reaches a path; a photo the intake refuses is moved aside to
`inbox/rejected/` under that name, made safe, with the reason beside it.

Removing a reference is what deleting its library copy does today (the corrections job
forgets references whose copy is gone), except that the copy is moved aside to
`inbox/rejected/` with a reason rather than deleted: the user's photo is never lost. A
running daemon sees either change by the references' stamp and matches every face again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from daemon.characters.references import ReferenceIntake
from daemon.config import Config
from daemon.display_text import NAME_LIMIT
from daemon.intake.inbox import InboxLayout, move_aside
from daemon.intake.inbox_open import UnusableFileError
from daemon.repository import Repository
from handlers.faces import ReferenceBook

UPLOADS = Path(".cache") / "uploads"
FALLBACK_NAME = "upload"


class ReferenceRefusedError(Exception):
    """The photo was not taken; the message says why (and where it was set aside)."""


class NoSuchReferenceError(Exception):
    """The character has no reference by that file."""


@dataclass(frozen=True)
class UploadedPhoto:
    file_name: str  # as the browser sent it: never used as a path
    data: bytes


class ReferenceChanges:
    def __init__(self, repo: Repository, config: Config) -> None:
        self._repo, self._library = repo, config.library
        self._inbox = InboxLayout(config.inbox)
        # Only `take_upload` is used: the book is the daemon's business (it reloads by stamp).
        self._intake = ReferenceIntake(
            repo, self._inbox, config.library, ReferenceBook(), config.faces.max_reference_mb
        )

    def upload(self, name: str, photo: UploadedPhoto) -> bool:
        """True when it became a reference, False when it already was one."""
        safe = safe_file_name(photo.file_name)
        staged = self._stage(photo.data, PurePosixPath(safe).suffix)
        try:
            added = self._intake.take_upload(name, staged)
        except UnusableFileError as exc:
            reason = f"uploaded on the review page as a reference of {name}: {exc}"
            moved = move_aside(staged, self._inbox.rejected, reason, safe)
            aside = f"set aside as inbox/rejected/{moved.name}"
            raise ReferenceRefusedError(f"{exc} ({aside})") from exc
        # Its bytes are the library copy now, named by their digest: the staged file goes.
        staged.unlink(missing_ok=True)
        return added

    def remove(self, name: str, file: str) -> Path | None:
        """Move the reference's copy aside; returns where it went (None: it was gone)."""
        if file not in {r.file for r in self._repo.references_of(name)}:
            raise NoSuchReferenceError(f"{name} has no reference {file}")
        copy = self._library / file
        moved = None
        if copy.is_file() and copy.resolve().is_relative_to(self._library.resolve()):
            reason = (
                f"removed from the references of {name} on the review page; drop it in "
                f"inbox/faces/{name}/ to make it a reference again"
            )
            moved = move_aside(copy, self._inbox.rejected, reason)
        # What the corrections job does when a copy is deleted by hand.
        self._repo.forget_missing_references(self._library)
        return moved

    def _stage(self, data: bytes, suffix: str) -> Path:
        folder = self._library / UPLOADS
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f"{secrets.token_hex(8)}{suffix}"
        with staged.open("xb") as handle:
            handle.write(data)
        return staged


def safe_file_name(sent: str) -> str:
    """The last part of the name the browser sent, without folders, controls or a leading
    dot, bounded; `upload` when nothing is left."""
    last = sent.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in last if c.isprintable() and c not in ':*?"<>|').strip(" .")
    if len(kept) > NAME_LIMIT:
        suffix = PurePosixPath(kept).suffix[:10]
        kept = kept[: NAME_LIMIT - len(suffix)] + suffix
    return kept or FALLBACK_NAME
