"""Dataset images dropped on the review page: the same correction as a file manager's.

A drop does what the user would do by hand, then reads it with the same code
(`DatasetCorrections`), so a page correction and a file-manager one leave the same rows,
files and triplets. Onto a character: the image moves to `characters/<B>/dataset/`. "Not
this person": it leaves the dataset, which the database reads as a deletion, but the file is
kept under `.corrections/` in the library so the drop can be undone.

A drop is recorded before its files move and an undo before they move back; whoever takes
the lock next (the page again, the daemon at start) finishes either from the record. The
lock is the library's adoption lock: one change of the library's folders at a time.
"""

from __future__ import annotations

import contextlib
import secrets
from pathlib import Path, PurePosixPath

import structlog

from daemon.characters.adoption_lock import adoption_lock
from daemon.characters.corrections import DatasetCorrections
from daemon.characters.drop_requests import BadDropError, DropTarget, TargetKind
from daemon.characters.names import character_name
from daemon.repository import DropMove, DroppedImage, DropPlan, DropRecord, Repository
from daemon.store import DropState

KEPT_FOLDER = ".corrections"  # images taken out of a dataset, kept for an undo


class DropConflictError(RuntimeError):
    """The library is not as the page showed it; nothing was changed."""


class PageCorrections:
    def __init__(self, repo: Repository, library: Path, requeue: tuple[str, ...]) -> None:
        """`requeue`: the stages that read the labels, run again for a corrected movie."""
        self._repo, self._library, self._requeue = repo, library, requeue
        self._corrections = DatasetCorrections(repo, library, requeue)
        self._log = structlog.get_logger("corrections")

    def drop_images(self, image_ids: tuple[int, ...], target: DropTarget) -> DropRecord:
        """All of these dataset images onto `target`, or none (BadDropError, DropConflictError)."""
        with adoption_lock(self._library):
            self._finish_open()
            drop = self._repo.begin_drop(self._plan(image_ids, target))
            return self._apply(drop)

    def undo_last(self) -> DropRecord | None:
        """Undo the newest drop still in effect; None when there is none."""
        with adoption_lock(self._library):
            self._finish_open()
            drop = self._repo.last_drop()
            if drop is None:
                return None
            self._check_undoable(drop)
            return self._undo(self._repo.begin_undo(drop))

    def finish_open(self) -> list[DropRecord]:
        """Finish the drops and undos a killed process began; returns them."""
        with adoption_lock(self._library):
            return self._finish_open()

    def _finish_open(self) -> list[DropRecord]:
        drops = self._repo.open_drops()
        for drop in drops:
            self._log.warning("finishing a page correction that was interrupted", drop=drop.id,
                              state=drop.state.value)  # fmt: skip
            if drop.state is DropState.APPLYING:
                self._apply(drop)
            else:
                self._undo(drop)
        return drops

    def _plan(self, image_ids: tuple[int, ...], target: DropTarget) -> DropPlan:
        images = self._repo.dropped_images(image_ids)
        missing = sorted(set(image_ids) - {image.image_id for image in images})
        if missing:
            shown = ", ".join(str(i) for i in missing[:10])
            raise BadDropError(f"no dataset image with id {shown}; nothing was changed")
        kept = f"{KEPT_FOLDER}/{secrets.token_hex(8)}"
        moves = tuple(self._move(image, target, kept) for image in images)
        destinations = [m.file_after for m in moves if m.file_after is not None]
        if len(set(destinations)) != len(destinations):
            raise DropConflictError("two of these images have the same name; drop them apart")
        return DropPlan(target.text, moves)

    def _move(self, image: DroppedImage, target: DropTarget, kept: str) -> DropMove:
        if not (self._library / image.file).is_file():
            raise DropConflictError(f"{image.file} is not in the library any more; reload")
        if target.kind is TargetKind.NOT_THIS_PERSON:
            return DropMove(image, None, f"{kept}/{image.file}")
        name = self._character(target)
        if name == image.character:
            raise BadDropError(f"{image.file} is {name}'s already; nothing was changed")
        after = f"characters/{name}/dataset/{PurePosixPath(image.file).name}"
        if (self._library / after).exists():
            raise DropConflictError(f"{name}'s dataset has {after} already; nothing was changed")
        return DropMove(image, after, None)

    def _character(self, target: DropTarget) -> str:
        names = {t.name for t in self._repo.target_counts()}
        if target.kind is not TargetKind.CHARACTER or target.name not in names:
            raise BadDropError(f"no character named {target.name!r}; nothing was changed")
        if character_name(target.name) != target.name:
            raise BadDropError(f"{target.name!r} is not a folder name; nothing was changed")
        return target.name

    def _apply(self, drop: DropRecord) -> DropRecord:
        """Move the files as a user would (each step harmless to repeat), then read them."""
        for move in drop.moves:
            destination = move.file_after or move.kept_file
            assert destination is not None
            _move_file(self._library / move.image.file, self._library / destination)
        self._corrections.run(tuple(move.image.image_id for move in drop.moves))
        linked = self._repo.end_drop(drop.id)
        self._log.info("page correction", drop=drop.id, target=drop.target, images=linked)
        return drop

    def _check_undoable(self, drop: DropRecord) -> None:
        for move in drop.moves:
            now = move.file_after or move.kept_file
            if now is None or not (self._library / now).is_file():
                raise DropConflictError(f"cannot undo: {now} has changed since the drop")
            if (self._library / move.image.file).exists():
                raise DropConflictError(f"cannot undo: {move.image.file} exists again")

    def _undo(self, drop: DropRecord) -> DropRecord:
        for move in drop.moves:
            now = move.file_after or move.kept_file
            assert now is not None
            _move_file(self._library / now, self._library / move.image.file)
        self._repo.end_undo(drop, self._requeue)
        for move in drop.moves:
            if move.kept_file is not None:
                _remove_empty_parents(self._library / move.kept_file, self._library)
        self._log.info("page correction undone", drop=drop.id, target=drop.target)
        return drop


def _move_file(source: Path, destination: Path) -> None:
    """Move unless it has moved already (a repeat after a kill) or would overwrite."""
    if source.is_file() and not destination.exists():
        destination.parent.mkdir(parents=True, exist_ok=True)
        source.replace(destination)


def _remove_empty_parents(file: Path, library: Path) -> None:
    """The folders under .corrections/ an undone image leaves empty."""
    kept = library / KEPT_FOLDER
    folder = file.parent
    while folder != kept and kept in folder.parents:
        with contextlib.suppress(OSError):
            folder.rmdir()  # only when empty
        folder = folder.parent
