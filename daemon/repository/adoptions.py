"""Cluster adoptions as one unit: begun in one transaction, ended in another.

`begin_adoption` names the faces and records what is left to do (the references' bytes,
the crops to file) in the same transaction; `end_adoption` adds the references and marks
it finished in one more (kept, so `bunny name` run twice can say what it did). Between the
two only files change, and a restart redoes them from the record.
"""

from __future__ import annotations

import json

from daemon.repository.adoption_records import (
    AdoptionPlan,
    CropFiling,
    FinishedAdoption,
    OpenAdoption,
    PlannedReference,
)
from daemon.repository.faces import FaceStore
from daemon.repository.rows import box_columns, encoding_blob, encoding_of
from daemon.repository.stage_runs import StageLedger
from daemon.store import AdoptionIntent, Character, PlannedReferenceRow, database, utcnow
from handlers.face_matching import FaceBox


class AdoptionJournal(StageLedger, FaceStore):
    def begin_adoption(self, plan: AdoptionPlan) -> OpenAdoption:
        """Name the faces, queue their movies' later stages and record the plan, at once."""
        with database.atomic("IMMEDIATE"):
            self.save_character_if_new(plan.character)
            movies = self.name_faces(list(plan.faces), plan.character)
            self.requeue_stages(movies, plan.later, busy_too=False)
            filing = plan.filing
            intent = AdoptionIntent.create(
                cluster=plan.cluster,
                character=self._character_ids()[plan.character],
                faces=len(plan.faces),
                filed_from=filing.folder if filing else None,
                filed_to=filing.target if filing else None,
                crops=json.dumps(list(filing.crops) if filing else []),
            )
            for reference in plan.references:
                PlannedReferenceRow.create(
                    intent=intent,
                    sha256=reference.sha256,
                    file=reference.file,
                    **box_columns(reference.box),
                    encoding=encoding_blob(reference.encoding),
                    data=reference.data,
                )
        return OpenAdoption(
            intent.id, plan.cluster, plan.character, len(plan.faces), plan.references, filing
        )

    def open_adoptions(self) -> list[OpenAdoption]:
        intents = (
            AdoptionIntent.select(AdoptionIntent, Character)
            .join(Character)
            .where(AdoptionIntent.finished_at.is_null())
            .order_by(AdoptionIntent.id)
        )
        return [_open_adoption(intent) for intent in intents]

    def adopted_as(self, cluster: str) -> FinishedAdoption | None:
        """The last finished adoption of `cluster`, if any."""
        intent = (
            AdoptionIntent.select(AdoptionIntent, Character)
            .join(Character)
            .where(AdoptionIntent.cluster == cluster, AdoptionIntent.finished_at.is_null(False))
            .order_by(AdoptionIntent.id.desc())
            .first()
        )
        return FinishedAdoption(intent.character.name, intent.faces) if intent else None

    def end_adoption(self, adoption: OpenAdoption) -> None:
        """Its reference files are in place: their rows are added, the adoption finished."""
        with database.atomic("IMMEDIATE"):
            character = self._character_ids()[adoption.character]
            for reference in adoption.references:
                self.add_reference(
                    character, reference.sha256, reference.file, reference.box, reference.encoding
                )
            PlannedReferenceRow.delete().where(PlannedReferenceRow.intent == adoption.id).execute()
            AdoptionIntent.update(finished_at=utcnow()).where(
                AdoptionIntent.id == adoption.id
            ).execute()


def _open_adoption(intent: AdoptionIntent) -> OpenAdoption:
    references = tuple(
        PlannedReference(
            r.file,
            r.sha256,
            FaceBox(r.top, r.right, r.bottom, r.left),
            encoding_of(r.encoding),
            bytes(r.data),
        )
        for r in PlannedReferenceRow.select()
        .where(PlannedReferenceRow.intent == intent.id)
        .order_by(PlannedReferenceRow.id)
    )
    filing = (
        CropFiling(intent.filed_from, intent.filed_to, tuple(json.loads(intent.crops)))
        if intent.filed_from is not None and intent.filed_to is not None
        else None
    )
    return OpenAdoption(
        intent.id, intent.cluster, intent.character.name, intent.faces, references, filing
    )
