"""Changes to unknown faces made on the review page, each applied and recorded in one
transaction with every face's columns before and after it, so that it can be undone.

A change is applied as the faces' new states: the name (with its distances, and the
movie's `faces` result, through relabel_faces), the cluster, `confirmed` and the review
state. Undoing applies the states before it, and only while the faces are still as the
change left them: a later change (a name given, a clustering) is never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import peewee as pw

from daemon.repository.face_review_records import (
    FaceState,
    FolderMove,
    ReviewChange,
    ReviewRecord,
)
from daemon.repository.faces import FaceStore
from daemon.repository.records import Relabel
from daemon.repository.rows import name_of
from daemon.store import (
    Character,
    FaceReviewRow,
    FaceReviewState,
    FaceRow,
    ReviewAction,
    database,
    utcnow,
)


class FaceReviewLog(FaceStore):
    def face_states(self, face_ids: Iterable[int]) -> list[FaceState]:
        """The faces with these ids (those that exist), oldest first."""
        ids = sorted(set(face_ids))
        found: list[FaceState] = []
        for batch in pw.chunked(ids, 500):
            found.extend(_states(FaceRow.id.in_(batch)))
        return found

    def cluster_states(self, cluster: str) -> list[FaceState]:
        """The faces of a cluster that nobody is matched to (what the page shows of it)."""
        return _states((FaceRow.cluster == cluster) & FaceRow.character.is_null())

    def apply_review(self, change: ReviewChange, requeue: tuple[str, ...]) -> int:
        """The faces take their states after `change`; returns the record's id. Movies whose
        names changed run their `requeue` stages again, in the same transaction."""
        with database.atomic("IMMEDIATE"):
            self._apply(change.before, change.after, requeue)
            row = FaceReviewRow.create(
                action=change.action.value,
                target=change.target,
                before=_states_json(change.before),
                after=_states_json(change.after),
                folder_from=change.folder.source if change.folder else None,
                folder_to=change.folder.target if change.folder else None,
            )
        return int(row.id)

    def undo_review(self, record: ReviewRecord, requeue: tuple[str, ...]) -> None:
        """The faces go back to their states before the change. ValueError, and nothing
        changed, when it was undone already or its faces have changed since."""
        change = record.change
        with database.atomic("IMMEDIATE"):
            row = FaceReviewRow.get_or_none(FaceReviewRow.id == record.id)
            if row is None or row.undone_at is not None:
                raise ValueError(f"change {record.id} is undone already")
            now = {s.face_id: s for s in self.face_states(s.face_id for s in change.after)}
            if any(now.get(s.face_id) != s for s in change.after):
                raise ValueError(
                    f"the faces of change {record.id} have changed since; it cannot be undone"
                )
            self._apply(change.after, change.before, requeue)
            row.undone_at = utcnow()
            row.save()

    def last_review(self) -> ReviewRecord | None:
        """The newest change not undone yet."""
        row = (
            FaceReviewRow.select()
            .where(FaceReviewRow.undone_at.is_null())
            .order_by(FaceReviewRow.id.desc())
            .first()
        )
        return _record(row) if row is not None else None

    def review_record(self, record_id: int) -> ReviewRecord | None:
        row = FaceReviewRow.get_or_none(FaceReviewRow.id == record_id)
        return _record(row) if row is not None else None

    def _apply(
        self, old: tuple[FaceState, ...], new: tuple[FaceState, ...], requeue: tuple[str, ...]
    ) -> None:
        for name in {s.character for s in new if s.character is not None}:
            self.save_character_if_new(name)
        was = {s.face_id: s for s in old}
        renamed = [s for s in new if _label(was.get(s.face_id)) != _label(s)]
        self.relabel_faces(
            [
                Relabel(s.face_id, s.movie_id, s.frame, s.number, s.character, s.distance,
                        s.runner_up)
                for s in renamed
            ],
            requeue,
        )  # fmt: skip
        groups: dict[tuple[str | None, bool, FaceReviewState | None], list[int]] = {}
        for s in new:
            groups.setdefault((s.cluster, s.confirmed, s.review), []).append(s.face_id)
        for (cluster, confirmed, review), ids in groups.items():
            for batch in pw.chunked(ids, 500):
                FaceRow.update(
                    cluster=cluster,
                    confirmed=confirmed,
                    review=review.value if review is not None else None,
                ).where(FaceRow.id.in_(batch)).execute()


def _label(state: FaceState | None) -> tuple[str | None, float | None, float | None] | None:
    return (state.character, state.distance, state.runner_up) if state is not None else None


def _states(where: pw.Expression) -> list[FaceState]:
    query = (
        FaceRow.select(
            FaceRow.id, FaceRow.movie, FaceRow.frame, FaceRow.number, FaceRow.distance,
            FaceRow.runner_up, FaceRow.cluster, FaceRow.confirmed, FaceRow.review, Character.name,
        )
        .join(Character, pw.JOIN.LEFT_OUTER)
        .where(where)
        .order_by(FaceRow.id)
    )  # fmt: skip
    return [
        FaceState(
            face_id=r.id,
            movie_id=r.movie_id,  # type: ignore[attr-defined]  # peewee adds <fk>_id
            frame=r.frame,
            number=r.number,
            character=name_of(r.character),
            distance=r.distance if r.distance >= 0 else None,
            runner_up=r.runner_up if r.runner_up >= 0 else None,
            cluster=r.cluster,
            confirmed=bool(r.confirmed),
            review=FaceReviewState(r.review) if r.review else None,
        )
        for r in query
    ]


def _states_json(states: tuple[FaceState, ...]) -> str:
    return json.dumps(
        [
            [s.face_id, s.movie_id, s.frame, s.number, s.character, s.distance, s.runner_up,
             s.cluster, s.confirmed, s.review.value if s.review else None]
            for s in states
        ]
    )  # fmt: skip


def _states_of(text: str) -> tuple[FaceState, ...]:
    return tuple(
        FaceState(f, m, frame, n, ch, d, r, cl, bool(co), FaceReviewState(rv) if rv else None)
        for f, m, frame, n, ch, d, r, cl, co, rv in json.loads(text)
    )


def _record(row: FaceReviewRow) -> ReviewRecord:
    folder = (
        FolderMove(row.folder_from, row.folder_to)
        if row.folder_from is not None and row.folder_to is not None
        else None
    )
    change = ReviewChange(
        ReviewAction(row.action), row.target, _states_of(row.before), _states_of(row.after), folder
    )
    return ReviewRecord(row.id, change, row.at, row.undone_at)
