"""Drops made on the review page, as units a kill cannot leave half done.

`begin_drop` records what each image was (its row, its face's label) before any file moves;
`end_drop` links the corrections the file-manager code then recorded. `begin_undo` records
the intent, and guards the files about to move back so the corrections job does not read
them as a user's move; `end_undo` restores the rows and labels in one transaction. Between
a begin and its end only files move, and a restart redoes them from the record.
"""

from __future__ import annotations

from collections.abc import Iterable

import peewee as pw

from daemon.repository.drop_records import (
    DropMove,
    DroppedImage,
    DropPlan,
    DropRecord,
    FaceLabel,
    TargetCount,
)
from daemon.repository.drop_rows import drop_record, dropped_image, item_columns
from daemon.repository.faces import FaceStore
from daemon.repository.records import Relabel
from daemon.repository.rows import grouped_counts
from daemon.store import (
    Character,
    Correction,
    DatasetImageRow,
    DropState,
    FaceRow,
    PageDrop,
    PageDropItem,
    PendingDeletion,
    database,
    utcnow,
)

UNDO_STAGE = "undo"  # names the pending deletions an undo records (no stage has that name)
OPEN_STATES = (DropState.APPLYING.value, DropState.UNDOING.value)


class PageDropJournal(FaceStore):
    def target_counts(self) -> list[TargetCount]:
        """Every character, by name, with its dataset's size."""
        counts = grouped_counts(
            DatasetImageRow.select(DatasetImageRow.character, pw.fn.COUNT(DatasetImageRow.id))
            .group_by(DatasetImageRow.character)
            .tuples()
        )
        rows = Character.select(Character.id, Character.name).order_by(Character.name)
        return [TargetCount(c.name, counts.get(c.id, 0)) for c in rows]

    def dropped_images(self, image_ids: Iterable[int]) -> list[DroppedImage]:
        """These dataset images as they are now (those that exist), each with its face."""
        found: list[DroppedImage] = []
        for batch in pw.chunked(sorted(set(image_ids)), 500):
            query = DatasetImageRow.select(DatasetImageRow, Character).join(Character)
            found += [dropped_image(row) for row in query.where(DatasetImageRow.id.in_(batch))]
        return found

    def begin_drop(self, plan: DropPlan) -> DropRecord:
        with database.atomic("IMMEDIATE"):
            last = Correction.select(pw.fn.MAX(Correction.id)).scalar()
            drop = PageDrop.create(
                target=plan.target, state=DropState.APPLYING.value, after_correction=last or 0
            )
            for move in plan.moves:
                PageDropItem.create(drop=drop, **item_columns(move))
        return drop_record(drop)

    def end_drop(self, drop_id: int) -> int:
        """The drop's files have moved and been read as corrections: link them; returns how
        many were (one per image, unless a stage took an image away meanwhile)."""
        linked = 0
        with database.atomic("IMMEDIATE"):
            drop = PageDrop.get_by_id(drop_id)
            for item in PageDropItem.select().where(PageDropItem.drop == drop_id):
                correction = (
                    Correction.select()
                    .where(
                        Correction.id > drop.after_correction,
                        Correction.file_before == item.file_before,
                    )
                    .order_by(Correction.id)
                    .first()
                )
                if correction is not None:
                    item.correction = correction
                    item.save()
                    linked += 1
            PageDrop.update(state=DropState.APPLIED.value).where(PageDrop.id == drop_id).execute()
        return linked

    def open_drops(self) -> list[DropRecord]:
        """Drops or undos a kill interrupted, oldest first."""
        query = PageDrop.select().where(PageDrop.state.in_(OPEN_STATES)).order_by(PageDrop.id)
        return [drop_record(drop) for drop in query]

    def last_drop(self) -> DropRecord | None:
        """The newest drop still in effect: what "Undo last correction" undoes."""
        query = PageDrop.select().where(PageDrop.state == DropState.APPLIED.value)
        drop = query.order_by(PageDrop.id.desc()).first()
        return drop_record(drop) if drop is not None else None

    def begin_undo(self, drop: DropRecord) -> DropRecord:
        with database.atomic("IMMEDIATE"):
            for move in drop.moves:
                if move.file_after is not None:
                    PendingDeletion.insert(
                        movie=move.image.movie_id, stage=UNDO_STAGE, file=move.file_after
                    ).on_conflict_ignore().execute()
            PageDrop.update(state=DropState.UNDOING.value).where(PageDrop.id == drop.id).execute()
        return drop_record(PageDrop.get_by_id(drop.id))

    def end_undo(self, drop: DropRecord, requeue: tuple[str, ...]) -> None:
        """The files are back: rows, labels and the log follow, and the movies run again."""
        with database.atomic("IMMEDIATE"):
            for move in drop.moves:
                self._restore(move, requeue)
            items = PageDropItem.select(PageDropItem.correction).where(PageDropItem.drop == drop.id)
            now = utcnow()
            Correction.update(undone_at=now).where(Correction.id.in_(items)).execute()
            PageDrop.update(state=DropState.UNDONE.value, undone_at=now).where(
                PageDrop.id == drop.id
            ).execute()

    def _restore(self, move: DropMove, requeue: tuple[str, ...]) -> None:
        image = move.image
        self.save_character_if_new(image.character)
        if move.file_after is not None:
            PendingDeletion.delete().where(
                PendingDeletion.file == move.file_after, PendingDeletion.stage == UNDO_STAGE
            ).execute()
        # The row as it was: a dataset stage that ran since may have replaced it.
        files = [image.file] + ([move.file_after] if move.file_after else [])
        DatasetImageRow.delete().where(DatasetImageRow.file.in_(files)).execute()
        taken = DatasetImageRow.get_or_none(DatasetImageRow.id == image.image_id) is not None
        DatasetImageRow.create(
            **({} if taken else {"id": image.image_id}),
            movie=image.movie_id,
            character=self._character_ids()[image.character],
            frame=image.frame,
            file=image.file,
            left=image.crop.left,
            top=image.crop.top,
            width=image.crop.width,
            height=image.crop.height,
            created_at=image.created_at,
        )
        if image.face is not None:
            self._restore_face(image.face, requeue)

    def _restore_face(self, label: FaceLabel, requeue: tuple[str, ...]) -> None:
        row = FaceRow.get_or_none(FaceRow.id == label.face_id)
        if row is None:
            return  # the faces stage ran again since: the dataset stage follows its labels
        self.relabel_faces(
            [Relabel(row.id, row.movie_id, row.frame, row.number,  # type: ignore[attr-defined]
                     label.character, label.distance, label.runner_up)],
            requeue,
        )  # fmt: skip
        FaceRow.update(cluster=label.cluster, confirmed=label.confirmed).where(
            FaceRow.id == row.id
        ).execute()
