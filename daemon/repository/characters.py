"""Characters, their reference faces and their dataset images."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

import peewee as pw

from daemon.characters.names import DEFAULT_CLASS_WORD, default_trigger_word
from daemon.repository.records import (
    CharacterSummary,
    StoredImage,
)
from daemon.repository.rows import (
    box_columns,
    character_record,
    encoding_blob,
    encoding_of,
    grouped_counts,
)
from daemon.store import (
    Character,
    DatasetImageRow,
    FaceRow,
    ReferenceFace,
    database,
)
from handlers.caption_records import CharacterRecord
from handlers.face_matching import FaceBox


class CharacterStore:
    def _character_ids(self) -> dict[str, int]:
        return {c.name: c.id for c in Character.select(Character.id, Character.name)}

    def characters(self) -> list[CharacterRecord]:
        """Characters with a reference, a face or a dataset image. A row without any was left
        by versions that made the character before its first photo was accepted; it is kept
        (it holds the words) but listed nowhere."""
        # EXISTS, one index probe per character: `IN (SELECT ...)` built the list of 300,000
        # faces' characters first (30 ms against 0.04 ms at issue 15's scale).
        in_use = (
            _any_row(ReferenceFace.select(ReferenceFace.id), ReferenceFace.character)
            | _any_row(FaceRow.select(FaceRow.id), FaceRow.character)
            | _any_row(DatasetImageRow.select(DatasetImageRow.id), DatasetImageRow.character)
        )
        query = Character.select().where(in_use).order_by(Character.name)
        return [character_record(c) for c in query]

    def character_summaries(self) -> list[CharacterSummary]:
        references = grouped_counts(
            ReferenceFace.select(ReferenceFace.character, pw.fn.COUNT(ReferenceFace.id))
            .group_by(ReferenceFace.character)
            .tuples()
        )
        frames = grouped_counts(
            FaceRow.select(
                FaceRow.character, pw.fn.COUNT(pw.fn.DISTINCT(FaceRow.movie.concat(FaceRow.frame)))
            )
            .where(FaceRow.character.is_null(False))
            .group_by(FaceRow.character)
            .tuples()
        )
        return [
            CharacterSummary(
                c.name, c.trigger_word, c.class_word, references.get(c.id, 0), frames.get(c.id, 0)
            )
            for c in self.characters()
        ]

    def character(self, name: str) -> CharacterRecord | None:
        row = Character.get_or_none(Character.name == name)
        return character_record(row) if row else None

    def save_character(self, name: str, trigger_word: str, class_word: str) -> CharacterRecord:
        """Create the character, or update its words when it exists."""
        with database.atomic("IMMEDIATE"):  # a read, then a write: take the lock first
            row = Character.get_or_none(Character.name == name)
            if row is None:
                row = Character.create(name=name, trigger_word=trigger_word, class_word=class_word)
            else:
                row.trigger_word, row.class_word = trigger_word, class_word
                row.save()
            return character_record(row)

    def save_character_if_new(self, name: str) -> None:
        if Character.get_or_none(Character.name == name) is None:
            self.save_character(name, default_trigger_word(name), DEFAULT_CLASS_WORD)

    def has_reference(self, character_id: int, sha256: str) -> bool:
        query = ReferenceFace.select().where(
            (ReferenceFace.character == character_id) & (ReferenceFace.sha256 == sha256)
        )
        return bool(query.exists())

    def add_reference(
        self, character_id: int, sha256: str, file: str, box: FaceBox, encoding: tuple[float, ...]
    ) -> None:
        ReferenceFace.insert(
            character=character_id,
            sha256=sha256,
            file=file,
            **box_columns(box),
            encoding=encoding_blob(encoding),
        ).on_conflict_ignore().execute()

    def forget_missing_references(self, library: Path) -> list[str]:
        """References whose copy the user deleted from the library; returns their files."""
        gone = [r for r in ReferenceFace.select() if not (library / r.file).exists()]
        if gone:
            ReferenceFace.delete().where(ReferenceFace.id.in_([r.id for r in gone])).execute()
        return [r.file for r in gone]

    def reference_files(self) -> set[str]:
        return {row.file for row in ReferenceFace.select(ReferenceFace.file)}

    def reference_encodings(self) -> tuple[list[str], list[tuple[float, ...]]]:
        """Every reference's character name and encoding, for a ReferenceSet."""
        query = (
            ReferenceFace.select(Character.name, ReferenceFace.encoding)
            .join(Character)
            .order_by(ReferenceFace.id)
            .tuples()
        )
        rows = cast(list[tuple[str, bytes]], list(query))
        return [name for name, _ in rows], [encoding_of(blob) for _, blob in rows]

    def references_stamp(self) -> tuple[int, int]:
        """Changes whenever a reference is added or removed, by this process or another."""
        row = ReferenceFace.select(
            pw.fn.COUNT(ReferenceFace.id), pw.fn.MAX(ReferenceFace.id)
        ).tuples()
        count, highest = cast(tuple[int, int | None], row.get())
        return int(count), int(highest or 0)

    def dataset_files(self, character: str) -> list[str]:
        query = (
            DatasetImageRow.select(DatasetImageRow.file)
            .join(Character)
            .where(Character.name == character)
            .order_by(DatasetImageRow.file)
        )
        return [row.file for row in query]

    def dataset_images(self, ids: Iterable[int] | None = None) -> list[StoredImage]:
        """Every dataset image, or those of these ids (that exist)."""
        # Tuples, not models: the corrections job reads every image each minute.
        query = (
            DatasetImageRow.select(
                DatasetImageRow.id,
                DatasetImageRow.movie,
                DatasetImageRow.frame,
                Character.name,
                DatasetImageRow.file,
            )
            .join(Character)
            .order_by(DatasetImageRow.id)
            .tuples()
        )
        if ids is None:
            return [StoredImage(*cast(tuple[int, int, str, str, str], row)) for row in query]
        return [
            StoredImage(*cast(tuple[int, int, str, str, str], row))
            for batch in pw.chunked(sorted(set(ids)), 500)
            for row in query.where(DatasetImageRow.id.in_(batch))
        ]


def _any_row(query: pw.ModelSelect[Any], character: pw.ForeignKeyField) -> pw.Function:
    """The character has a row in `query`'s table, found by the index on `character`."""
    return pw.fn.EXISTS(query.where(character == Character.id))
