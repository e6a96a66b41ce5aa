"""Captions of dataset images, and the providers' breaker states for `bunny status`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import peewee as pw

from daemon.repository.rows import grouped_counts
from daemon.store import CaptionRow, Character, DatasetImageRow, Meta, Movie, database, utcnow
from handlers.caption_records import NewCaption, StoredCaption

BREAKERS_KEY = "breakers"


@dataclass(frozen=True)
class CaptionProgress:
    character: str
    images: int
    captioned: int


@dataclass(frozen=True)
class BreakerRecord:
    provider: str
    state: str
    since: datetime


class CaptionStore:
    def caption_of(self, file: str) -> StoredCaption | None:
        """The image's caption: a fresh one before a stale one, the newest first."""
        return self.captions_of([file]).get(file)

    def captions_of(self, files: list[str]) -> dict[str, StoredCaption]:
        """The caption of each of these images that has one, chosen as `caption_of` says."""
        best: dict[str, StoredCaption] = {}
        for batch in pw.chunked(files, 500):  # SQLite caps the variables in one statement
            query = (
                CaptionRow.select()
                .where(CaptionRow.file.in_(batch))
                .order_by(CaptionRow.stale, CaptionRow.created_at.desc(), CaptionRow.id.desc())
            )
            for row in query:
                best.setdefault(row.file, StoredCaption(row.text, row.provider, bool(row.stale)))
        return best

    def save_caption(self, caption: NewCaption) -> None:
        movie = Movie.select(Movie.id).where(Movie.sha256.startswith(caption.movie_key)).first()
        if movie is None:
            raise LookupError(f"no movie with key {caption.movie_key}")
        with database.atomic():
            CaptionRow.replace(
                file=caption.file,
                movie=movie.id,
                character=caption.character,
                provider=caption.provider,
                text=caption.text,
                prompt_sha=caption.prompt_sha,
                stale=False,
                created_at=utcnow(),
            ).execute()
            # The new caption replaces the image's others for good.
            CaptionRow.update(stale=True).where(
                (CaptionRow.file == caption.file) & (CaptionRow.provider != caption.provider)
            ).execute()

    def mark_captions_stale(self, character: str | None, provider: str | None) -> set[int]:
        """Captions `bunny recaption` asks for again; returns the movies they come from."""
        where = CaptionRow.stale == False  # noqa: E712  (peewee builds SQL from ==)
        if character is not None:
            where &= CaptionRow.character == character
        if provider is not None:
            where &= CaptionRow.provider == provider
        rows = CaptionRow.select(CaptionRow.movie).where(where)
        movies = {row.movie_id for row in rows}  # type: ignore[attr-defined]  # peewee's <fk>_id
        CaptionRow.update(stale=True).where(where).execute()
        return movies

    def caption_progress(self, only: str | None = None) -> list[CaptionProgress]:
        """Per character (or only the one named `only`): dataset images, and how many of
        them have a fresh caption."""
        chosen = Character.select(Character.id).where(Character.name == only)
        which = DatasetImageRow.character.in_(chosen) if only is not None else pw.SQL("1")
        images = grouped_counts(
            DatasetImageRow.select(DatasetImageRow.character, pw.fn.COUNT(DatasetImageRow.id))
            .where(which)
            .group_by(DatasetImageRow.character)
            .tuples()
        )
        # Each image looks up its own fresh caption: both sides by a covering index (v11).
        fresh = CaptionRow.select(CaptionRow.id).where(
            (CaptionRow.file == DatasetImageRow.file) & (CaptionRow.stale == False)  # noqa: E712
        )
        captioned = grouped_counts(
            DatasetImageRow.select(DatasetImageRow.character, pw.fn.COUNT(DatasetImageRow.id))
            .where(which & pw.fn.EXISTS(fresh))
            .group_by(DatasetImageRow.character)
            .tuples()
        )
        names = {c.id: c.name for c in Character.select(Character.id, Character.name)}
        return [
            CaptionProgress(names[cid], count, captioned.get(cid, 0))
            for cid, count in sorted(images.items(), key=lambda item: names[item[0]])
        ]

    def save_breaker_state(self, provider: str, state: str) -> None:
        """Kept in the database because `bunny status` runs in another process."""
        with database.atomic("IMMEDIATE"):
            row = Meta.get_or_none(Meta.key == BREAKERS_KEY)
            states = json.loads(row.value) if row else {}
            states[provider] = {"state": state, "since": utcnow().isoformat()}
            Meta.replace(key=BREAKERS_KEY, value=json.dumps(states)).execute()

    def breaker_states(self) -> list[BreakerRecord]:
        row = Meta.get_or_none(Meta.key == BREAKERS_KEY)
        states = json.loads(row.value) if row else {}
        return [
            BreakerRecord(name, value["state"], datetime.fromisoformat(value["since"]))
            for name, value in sorted(states.items())
        ]

    def clear_breaker_states(self) -> None:
        """At start: the breakers of a process that is gone say nothing of the new one."""
        Meta.delete().where(Meta.key == BREAKERS_KEY).execute()
