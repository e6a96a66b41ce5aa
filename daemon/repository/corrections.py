"""The user's corrections: recorded, listed, and exported as triplets."""

from __future__ import annotations

from typing import cast

import peewee as pw

from daemon.repository.faces import FaceStore
from daemon.repository.records import (
    CorrectionLogEntry,
    CorrectionRecord,
    Relabel,
)
from daemon.repository.stage_runs import requeue_stages
from daemon.store import (
    Correction,
    CorrectionKind,
    DatasetImageRow,
    FaceRow,
    PendingDeletion,
    database,
)


class CorrectionLog(FaceStore):
    def record_correction(
        self, correction: CorrectionRecord, requeue: tuple[str, ...] = ()
    ) -> bool:
        """A user's correction: the face relabelled (confirmed), the image row moved or gone,
        and the movie's `requeue` stages queued again in the same transaction.

        False, and nothing recorded, when the image is not the user's doing after all: a
        stage is deleting it, or has replaced its row since it was read.
        """
        face = correction.face
        with database.atomic("IMMEDIATE"):
            image = DatasetImageRow.get_or_none(DatasetImageRow.id == correction.image_id)
            deleting = PendingDeletion.get_or_none(PendingDeletion.file == correction.file_before)
            if image is None or image.file != correction.file_before or deleting is not None:
                return False
            if correction.to_character is not None:
                self.save_character_if_new(correction.to_character)
            if face is not None:
                self.relabel_faces(
                    [Relabel(face.id, face.movie_id, face.frame, face.number,
                             correction.to_character, 0.0 if correction.to_character else None,
                             None)],
                    requeue,
                )  # fmt: skip
                FaceRow.update(confirmed=True).where(FaceRow.id == face.id).execute()
            if correction.file_after is None:
                DatasetImageRow.delete_by_id(correction.image_id)
            else:
                DatasetImageRow.update(
                    file=correction.file_after,
                    character=self._character_ids()[correction.to_character or ""],
                ).where(DatasetImageRow.id == correction.image_id).execute()
            Correction.create(
                face=face.id if face else None,
                movie=correction.movie_id,
                frame=correction.frame,
                kind=correction.kind.value,
                file_before=correction.file_before,
                file_after=correction.file_after,
                from_character=correction.from_character,
                to_character=correction.to_character,
            )
            requeue_stages({correction.movie_id}, requeue, busy_too=False)
        return True

    def corrections_stamp(self) -> tuple[int, int, int]:
        """Changes whenever a correction is recorded or undone, by this process or another."""
        row = Correction.select(
            pw.fn.COUNT(Correction.id), pw.fn.MAX(Correction.id), pw.fn.COUNT(Correction.undone_at)
        ).tuples()
        count, highest, undone = cast(tuple[int, int | None, int], row.get())
        return int(count), int(highest or 0), int(undone)

    def claimed_files(self, files: list[str]) -> set[str]:
        """Which of these library files (relative) a dataset image's row names."""
        query = DatasetImageRow.select(DatasetImageRow.file).where(DatasetImageRow.file.in_(files))
        return {row.file for row in query}

    def corrections(self) -> list[CorrectionLogEntry]:
        return [correction_entry(r) for r in Correction.select().order_by(Correction.id)]

    def correction_triplets(self) -> list[dict[str, object]]:
        """(anchor, positive, negative) for metric learning: the corrected face, a reference
        of the character it is, a reference of the one it was taken for. A deletion says only
        what a face is not, so it gives a triplet only with a positive from a later move."""
        names, encodings = self.reference_encodings()
        examples: dict[str, list[tuple[float, ...]]] = {}
        for name, encoding in zip(names, encodings, strict=True):
            examples.setdefault(name, []).append(encoding)
        faces = {f.id: f for f in self.stored_faces()}
        for known in faces.values():  # confirmed faces are examples too, after the references
            if known.confirmed and known.character is not None:
                examples.setdefault(known.character, []).append(known.encoding)
        triplets: list[dict[str, object]] = []
        for entry in self.corrections():
            if entry.undone:
                continue
            face = faces.get(entry.face_id) if entry.face_id is not None else None
            anchor = face.encoding if face else ()
            positive = next(
                (e for e in examples.get(entry.to_character or "", []) if e != anchor), None
            )
            negative = next(iter(examples.get(entry.from_character, [])), None)
            if face is None or positive is None or negative is None:
                continue
            triplets.append(
                {
                    "anchor": list(face.encoding),
                    "positive": list(positive),
                    "negative": list(negative),
                    "character": entry.to_character,
                    "not": entry.from_character,
                    "frame": entry.frame,
                }
            )
        return triplets


def correction_entry(row: Correction) -> CorrectionLogEntry:
    return CorrectionLogEntry(
        at=row.at,
        kind=CorrectionKind(row.kind),
        frame=row.frame,
        from_character=row.from_character,
        to_character=row.to_character,
        file_before=row.file_before,
        file_after=row.file_after,
        face_id=row.face_id,  # type: ignore[attr-defined]
        undone=row.undone_at is not None,
    )
