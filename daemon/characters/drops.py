"""The one door for a drop from the review page: each kind of drop to the code that makes it.

Dataset images onto a character or onto "not this person" are file-manager corrections
(`PageCorrections`). Faces go to the face review (`FaceReview`, the unknown faces' page's
code): onto a character (named and confirmed), a cluster, or the noise bucket ("not this
person" sets a face aside there too). A dataset image carries no cluster of its own, so
dropping one onto a cluster or the bucket is refused with the way to do it instead.

"Undo last correction" undoes the newest of the two logs' entries, so the page has one undo.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from daemon.characters.drop_requests import BadDropError, DropRequest, ItemKind, TargetKind
from daemon.characters.face_review import FaceReview, ReviewDone
from daemon.characters.page_corrections import PageCorrections
from daemon.repository import DropRecord, Repository, ReviewRecord

FACE_ONLY_TARGETS = (TargetKind.CLUSTER, TargetKind.NOISE)
IMAGES_ONTO_FACES = (
    "a dataset image goes onto a character or onto 'not this person' (its face then waits "
    "among the unknown faces); faces go onto clusters and the noise bucket"
)

Made = DropRecord | ReviewDone
Undone = DropRecord | ReviewRecord
T = TypeVar("T")


class Drops:
    def __init__(self, repo: Repository, library: Path, requeue: tuple[str, ...]) -> None:
        """`requeue`: the stages that read faces' names, run again for a corrected movie."""
        self._repo = repo
        self._images = PageCorrections(repo, library, requeue)
        self._faces = FaceReview(repo, library, requeue)

    def apply(self, request: DropRequest) -> Made:
        faces, images = request.ids_of(ItemKind.FACE), request.ids_of(ItemKind.IMAGE)
        if faces and images:
            raise BadDropError("drop dataset images and faces separately; nothing was changed")
        if faces:
            return _refused_as_bad_drop(lambda: self._drop_faces(faces, request))
        if request.target.kind in FACE_ONLY_TARGETS:
            raise BadDropError(f"{IMAGES_ONTO_FACES}; nothing was changed")
        return self._images.drop_images(images, request.target)

    def last(self) -> Undone | None:
        """The newest correction still in effect, of either log: what undo undoes."""
        drop, review = self._repo.last_drop(), self._repo.last_review()
        if review is not None and (drop is None or review.at >= drop.created_at):
            return review
        return drop

    def undo_last(self) -> Undone | None:
        last = self.last()
        if isinstance(last, ReviewRecord):
            return _refused_as_bad_drop(lambda: self._faces.undo(last.id))
        return self._images.undo_last() if last is not None else None

    def _drop_faces(self, faces: tuple[int, ...], request: DropRequest) -> ReviewDone:
        target = request.target
        if target.kind is TargetKind.CHARACTER and target.name is not None:
            return self._faces.to_character(faces, target.name)
        if target.kind is TargetKind.CLUSTER and target.name is not None:
            return self._faces.to_cluster(faces, target.name)
        return self._faces.to_noise(faces)  # the bucket, or "not this person"


def _refused_as_bad_drop(action: Callable[[], T]) -> T:
    """The face review says what it refuses with ValueError; the page answers those 400."""
    try:
        return action()
    except BadDropError:
        raise
    except ValueError as exc:
        raise BadDropError(f"{exc}; nothing was changed") from exc
