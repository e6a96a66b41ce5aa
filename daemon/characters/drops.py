"""The one door for a drop from the review page: each kind of drop to the code that makes it.

Dataset images onto a character or onto "not this person" are file-manager corrections
(`PageCorrections`). Faces, and drops onto a cluster or into the noise bucket, belong to the
face review (`FaceReview`, built on another branch): until it is wired in here, they are
refused with `NotWiredError` and nothing changes.
"""

from __future__ import annotations

from pathlib import Path

from daemon.characters.drop_requests import DropRequest, ItemKind, TargetKind
from daemon.characters.page_corrections import PageCorrections
from daemon.repository import DropRecord, Repository

FACE_REVIEW_TARGETS = (TargetKind.CLUSTER, TargetKind.NOISE)


class NotWiredError(RuntimeError):
    """A drop this version cannot make yet; nothing was changed."""


class Drops:
    def __init__(self, repo: Repository, library: Path, requeue: tuple[str, ...]) -> None:
        self._images = PageCorrections(repo, library, requeue)

    def apply(self, request: DropRequest) -> DropRecord:
        if request.ids_of(ItemKind.FACE) or request.target.kind in FACE_REVIEW_TARGETS:
            # The face review's door: FaceReview.to_character / to_cluster / to_noise.
            raise NotWiredError(
                "dropping faces, or onto a cluster or the noise bucket, is not available in "
                "this version yet; nothing was changed"
            )
        return self._images.drop_images(request.ids_of(ItemKind.IMAGE), request.target)

    def undo_last(self) -> DropRecord | None:
        return self._images.undo_last()
