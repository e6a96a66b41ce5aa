"""Unknown faces moved by hand: to a character, to a cluster, to the noise bucket; a cluster
ignored, two clusters merged. What the review page (and its drag and drop) calls.

- to a character: the faces become the character's and are confirmed, exactly as an
  adopted cluster's faces are (matching never changes them, and they teach it);
- to a cluster: the faces join it, and the whole cluster is the user's from then on
  (PLACED): the clustering neither splits it nor takes its faces elsewhere;
- to the noise bucket: the faces leave their cluster (SET_ASIDE) and the clustering never
  puts them in one again; matching may still name them;
- ignore a cluster: its faces are never shown, clustered or matched again (IGNORED), and
  its folder is moved aside to unknown/.ignored/ with a reason file;
- merge two clusters: the faces of one join the other, which keeps its id (PLACED).

Each change is recorded with every face's columns before and after it in one transaction
(daemon/repository/face_review.py); `undo` puts the columns back while the faces are still
as the change left them, and the folders follow. Naming a whole cluster is `bunny name`'s
ClusterAdoption, not this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import structlog

from daemon.characters.adoption_lock import adoption_lock
from daemon.characters.cluster_folders import ClusterFolders
from daemon.characters.names import character_name
from daemon.repository import FaceState, Repository, ReviewChange, ReviewRecord
from daemon.store import FaceReviewState, ReviewAction

NOISE = "noise"
IGNORE_REASON = (
    "ignored on the review page: these faces are never shown, clustered or matched again "
    "(undo it on the page to bring the cluster back)"
)


@dataclass(frozen=True)
class ReviewDone:
    record: int  # its id in the review log: what `undo` takes
    action: ReviewAction
    target: str
    faces: int


class FaceReview:
    def __init__(self, repo: Repository, library: Path, later: tuple[str, ...]) -> None:
        """`later`: the stages that read the faces' names, run again where a name changed."""
        self._repo, self._library, self._later = repo, library, later
        self._folders = ClusterFolders(repo, library)
        self._log = structlog.get_logger("face_review")

    def to_character(self, face_ids: Iterable[int], raw_name: str) -> ReviewDone:
        name = character_name(raw_name)
        with adoption_lock(self._library):
            before = self._faces(face_ids)
            after = [_named(s, name) for s in before]
            return self._apply(ReviewAction.TO_CHARACTER, name, before, after)

    def to_cluster(self, face_ids: Iterable[int], cluster: str) -> ReviewDone:
        with adoption_lock(self._library):
            members = self._cluster(cluster)
            moved = [s for s in self._faces(face_ids) if s.face_id not in _ids(members)]
            before = members + moved
            after = [_placed(s, cluster) for s in before]
            return self._apply(ReviewAction.TO_CLUSTER, cluster, before, after)

    def to_noise(self, face_ids: Iterable[int]) -> ReviewDone:
        with adoption_lock(self._library):
            before = self._faces(face_ids)
            after = [_set_aside(s) for s in before]
            return self._apply(ReviewAction.TO_NOISE, NOISE, before, after)

    def ignore_cluster(self, cluster: str) -> ReviewDone:
        with adoption_lock(self._library):
            before = self._cluster(cluster)
            after = [_ignored(s) for s in before]
            move = self._folders.aside(cluster)
            change = ReviewChange(
                ReviewAction.IGNORE_CLUSTER, cluster, tuple(before), tuple(after), move
            )
            record = self._repo.apply_review(change, self._later)
            self._folders.move_aside(move, IGNORE_REASON)
            return self._done(record, change)

    def merge_clusters(self, kept: str, merged: str) -> ReviewDone:
        if kept == merged:
            raise ValueError(f"cluster '{kept}' cannot be merged into itself")
        with adoption_lock(self._library):
            before = self._cluster(kept) + self._cluster(merged)
            after = [_placed(s, kept) for s in before]
            return self._apply(ReviewAction.MERGE_CLUSTERS, kept, before, after)

    def undo(self, record_id: int) -> ReviewRecord:
        """The faces as they were before that change; ValueError when it cannot be undone."""
        with adoption_lock(self._library):
            record = self._repo.review_record(record_id)
            if record is None:
                raise ValueError(f"no change {record_id} to undo")
            self._repo.undo_review(record, self._later)
            if record.change.folder is not None:
                self._folders.move_back(record.change.folder)
            self._folders.refresh(_clusters(record.change))
        self._log.info("face review undone", record=record.id, action=record.change.action.value)
        return record

    def undo_last(self) -> ReviewRecord | None:
        """Undo the newest change not undone yet; None when there is none."""
        last = self._repo.last_review()
        return self.undo(last.id) if last is not None else None

    def _faces(self, face_ids: Iterable[int]) -> list[FaceState]:
        wanted = set(face_ids)
        found = self._repo.face_states(wanted)
        missing = wanted - _ids(found)
        if missing or not found:
            raise ValueError(f"no face with id {min(missing) if missing else '(none given)'}")
        ignored = [s.face_id for s in found if s.review is FaceReviewState.IGNORED]
        if ignored:
            raise ValueError(f"face {ignored[0]} is ignored")
        return found

    def _cluster(self, cluster: str) -> list[FaceState]:
        members = self._repo.cluster_states(cluster)
        if not members:
            raise ValueError(f"cluster '{cluster}' is not waiting for a name")
        return members

    def _apply(
        self, action: ReviewAction, target: str, before: list[FaceState], after: list[FaceState]
    ) -> ReviewDone:
        change = ReviewChange(action, target, tuple(before), tuple(after))
        record = self._repo.apply_review(change, self._later)
        self._folders.refresh(_clusters(change))
        return self._done(record, change)

    def _done(self, record: int, change: ReviewChange) -> ReviewDone:
        done = ReviewDone(record, change.action, change.target, len(change.after))
        self._log.info(
            "faces reviewed",
            action=done.action.value,
            target=done.target,
            faces=done.faces,
            record=record,
        )
        return done


def _ids(states: list[FaceState]) -> set[int]:
    return {s.face_id for s in states}


def _clusters(change: ReviewChange) -> set[str]:
    """The clusters whose folders a change touched."""
    states = change.before + change.after
    return {s.cluster for s in states if s.cluster is not None}


def _named(state: FaceState, name: str) -> FaceState:
    # What ClusterAdoption's name_faces leaves: named at distance 0, confirmed, in no cluster.
    return dataclasses.replace(
        state, character=name, distance=0.0, runner_up=None, cluster=None, confirmed=True,
        review=None,
    )  # fmt: skip


def _placed(state: FaceState, cluster: str) -> FaceState:
    return dataclasses.replace(
        state, character=None, cluster=cluster, confirmed=False, review=FaceReviewState.PLACED
    )


def _set_aside(state: FaceState) -> FaceState:
    return dataclasses.replace(
        state, character=None, cluster=None, confirmed=False, review=FaceReviewState.SET_ASIDE
    )


def _ignored(state: FaceState) -> FaceState:
    return dataclasses.replace(state, cluster=None, review=FaceReviewState.IGNORED)
