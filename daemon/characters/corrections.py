"""Corrections made with a file manager: dataset images the user moved or deleted.

A dataset image deleted from `characters/<A>/dataset/` says "this face is not A": the face
loses its name for good and the image is never written again. An image moved to
`characters/<B>/dataset/` says "this face is B": the face becomes B's for good (a new
folder makes a new character). Either way the correction is logged, and confirmed faces
count as references from then on, so matching learns from them.

The library is compared with the database rather than watched, so a change made while the
daemon was down is read just the same at the next start.
"""

from __future__ import annotations

from pathlib import Path

import structlog

from daemon.characters.names import character_name
from daemon.repository import CorrectionRecord, Repository, StoredImage
from daemon.store import CorrectionKind


class DatasetCorrections:
    def __init__(self, repo: Repository, library: Path, requeue: tuple[str, ...] = ()) -> None:
        """`requeue`: the stages that read the labels, run again for a corrected movie."""
        self._repo, self._library, self._requeue = repo, library, requeue
        self._log = structlog.get_logger("corrections")

    def run(self, only: tuple[int, ...] | None = None) -> list[CorrectionRecord]:
        """Read every change the user made to dataset folders since the last run; `only`:
        to these dataset images (the review page's drop reads just what it moved)."""
        found = []
        for image in self._repo.dataset_images(only):
            if (self._library / image.file).exists():
                continue
            correction = self._correction(image)
            if not self._repo.record_correction(correction, self._requeue):
                continue  # the dataset stage removed it, not the user
            self._log.info(
                "correction recorded",
                kind=correction.kind.value,
                image=image.file,
                from_character=correction.from_character,
                to_character=correction.to_character,
            )
            found.append(correction)
        return found

    def _correction(self, image: StoredImage) -> CorrectionRecord:
        name = Path(image.file).name
        found = sorted((self._library / "characters").glob(f"*/dataset/{name}"))
        # Another character's image of the same frame has this name too: not where it went.
        claimed = self._repo.claimed_files([self._relative(path) for path in found])
        moved = [path for path in found if self._relative(path) not in claimed]
        face = self._repo.face_in_frame(image.movie_id, image.frame, image.character)
        target = moved[0] if moved else None
        return CorrectionRecord(
            image_id=image.id,
            face=face,
            movie_id=image.movie_id,
            frame=image.frame,
            kind=CorrectionKind.MOVED if target else CorrectionKind.DELETED,
            file_before=image.file,
            file_after=self._relative(target) if target else None,
            from_character=image.character,
            to_character=character_name(target.parent.parent.name) if target else None,
        )

    def _relative(self, path: Path) -> str:
        return path.relative_to(self._library).as_posix()
