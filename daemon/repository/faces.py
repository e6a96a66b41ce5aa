"""Stored faces: labels, clusters and the faces a user confirmed."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import cast

import peewee as pw

from daemon.repository.characters import CharacterStore
from daemon.repository.records import (
    MovieFace,
    Relabel,
    StoredFace,
    UnknownCluster,
)
from daemon.repository.rows import (
    box_of,
    encoding_of,
    name_of,
)
from daemon.repository.stage_runs import requeue_stages
from daemon.store import (
    Character,
    FaceReviewState,
    FaceRow,
    StageRun,
    database,
)


class FaceStore(CharacterStore):
    def stored_faces(self, where: pw.Expression | None = None) -> list[StoredFace]:
        """Stored faces, oldest first; `where` narrows them in SQL, not after loading all."""
        query = (
            FaceRow.select(FaceRow, Character.name)
            .join(Character, pw.JOIN.LEFT_OUTER)
            .order_by(FaceRow.id)
        )
        if where is not None:
            query = query.where(where)
        return [
            StoredFace(
                id=r.id,
                movie_id=r.movie_id,  # type: ignore[attr-defined]  # peewee adds <fk>_id
                frame=r.frame,
                number=r.number,
                box=box_of(r),
                character=name_of(r.character),
                encoding=encoding_of(r.encoding),
                confirmed=bool(r.confirmed),
                turned_away=bool(r.turned_away),
            )
            for r in query
        ]

    def faces_of_movie(self, movie_id: int) -> list[MovieFace]:
        query = (
            FaceRow.select(FaceRow, Character.name)
            .join(Character, pw.JOIN.LEFT_OUTER)
            .where(FaceRow.movie == movie_id)
            .order_by(FaceRow.frame, FaceRow.number)
        )
        return [
            MovieFace(
                frame=r.frame,
                box=box_of(r),
                character=name_of(r.character),
                distance=r.distance if r.distance >= 0 else None,
            )
            for r in query
        ]

    def face_in_frame(self, movie_id: int, frame: str, character: str) -> StoredFace | None:
        """The largest face of `character` in a frame (the one its dataset image shows)."""
        # By the frame's index, the name after: SQLite would rather walk all the character's faces.
        faces = self.stored_faces((FaceRow.movie == movie_id) & (FaceRow.frame == frame))
        return min((f for f in faces if f.character == character), key=lambda f: f.number,
                   default=None)  # fmt: skip

    def unknown_faces(self) -> list[StoredFace]:
        """The faces the clustering groups: unknown, and left to it (not reviewed by the user)."""
        return self.stored_faces(FaceRow.character.is_null() & FaceRow.review.is_null())

    def placed_clusters(self) -> dict[str, list[StoredFace]]:
        """The clusters the user made (a merge, faces moved in): the clustering keeps them."""
        placed = (
            (FaceRow.review == FaceReviewState.PLACED.value)
            & FaceRow.character.is_null()
            & FaceRow.cluster.is_null(False)
        )
        names = sorted({str(r.cluster) for r in FaceRow.select(FaceRow.cluster).where(placed)})
        return {name: self.stored_faces(placed & (FaceRow.cluster == name)) for name in names}

    def matchable_faces(self) -> list[StoredFace]:
        """The faces matching may name: not named by the user, nor ignored or placed by hand."""
        left_to_matching = FaceRow.review.is_null() | (
            FaceRow.review == FaceReviewState.SET_ASIDE.value
        )
        return self.stored_faces(~FaceRow.confirmed & left_to_matching)

    def confirmed_face_encodings(self) -> tuple[list[str], list[tuple[float, ...]]]:
        """Faces the user confirmed as a character: they count as its references."""
        faces = self.stored_faces(FaceRow.confirmed & FaceRow.character.is_null(False))
        return [f.character or "" for f in faces], [f.encoding for f in faces]

    def relabel_faces(self, changes: list[Relabel], requeue: tuple[str, ...] = ()) -> None:
        """New labels for stored faces, in their rows and in their movie's `faces` result;
        the `requeue` stages of their done movies run again, in the same transaction: no
        reader (`run --once`'s idle check) ever sees a movie done with labels it never used."""
        ids = self._character_ids()
        with database.atomic("IMMEDIATE"):
            for change in changes:
                FaceRow.update(
                    character=ids.get(change.character) if change.character else None,
                    distance=change.distance if change.distance is not None else -1.0,
                    runner_up=change.runner_up if change.runner_up is not None else -1.0,
                ).where(FaceRow.id == change.face_id).execute()
            by_movie: dict[int, dict[tuple[str, int], Relabel]] = {}
            for change in changes:
                by_movie.setdefault(change.movie_id, {})[(change.frame, change.number)] = change
            for movie_id, labels in by_movie.items():
                self._relabel_faces_result(movie_id, labels)
            requeue_stages(set(by_movie), requeue, busy_too=False)

    def _relabel_faces_result(self, movie_id: int, labels: dict[tuple[str, int], Relabel]) -> None:
        run = StageRun.get_or_none((StageRun.movie == movie_id) & (StageRun.stage == "faces"))
        if run is None or not run.result:
            return
        result = json.loads(run.result)
        for face in result.get("faces", []):
            change = labels.get((face["frame"], face["number"]))
            if change is not None:
                face["character"] = change.character
                face["distance"], face["runner_up"] = change.distance, change.runner_up
        run.result = json.dumps(result)
        run.save()

    def set_clusters(self, clusters: dict[int, str | None]) -> None:
        """The cluster of each unknown face (None: in none), replacing the earlier ones; the
        clusters the user made or changed (faces with a review state) are kept."""
        with database.atomic("IMMEDIATE"):
            FaceRow.update(cluster=None).where(
                FaceRow.cluster.is_null(False) & FaceRow.review.is_null()
            ).execute()
            by_cluster: dict[str, list[int]] = {}
            for face_id, cluster in clusters.items():
                if cluster is not None:
                    by_cluster.setdefault(cluster, []).append(face_id)
            for cluster, ids in by_cluster.items():
                for batch in pw.chunked(ids, 500):
                    # A face the user reviewed while this clustering ran keeps the user's word.
                    FaceRow.update(cluster=cluster).where(
                        FaceRow.id.in_(batch) & FaceRow.review.is_null()
                    ).execute()

    def unknown_clusters(self) -> list[UnknownCluster]:
        """The clusters waiting for a name: those with faces nobody has been matched to."""
        rows = (
            FaceRow.select(FaceRow.cluster, pw.fn.COUNT(FaceRow.id))
            .where(FaceRow.cluster.is_null(False) & FaceRow.character.is_null())
            .group_by(FaceRow.cluster)
            .order_by(FaceRow.cluster)
            .tuples()
        )
        pairs = cast(Iterable[tuple[str, int]], rows)
        return [UnknownCluster(str(cluster), int(count)) for cluster, count in pairs]

    def cluster_faces(self, cluster: str) -> list[StoredFace]:
        return self.stored_faces(FaceRow.cluster == cluster)

    def name_faces(self, faces: list[StoredFace], character: str) -> set[int]:
        """Faces the user named (a cluster adopted): theirs whatever matching says later.

        Returns the movies they are in.
        """
        self.relabel_faces(
            [Relabel(f.id, f.movie_id, f.frame, f.number, character, 0.0, None) for f in faces]
        )
        with database.atomic("IMMEDIATE"):
            for batch in pw.chunked([f.id for f in faces], 500):
                FaceRow.update(cluster=None, confirmed=True, review=None).where(
                    FaceRow.id.in_(batch)
                ).execute()
        return {f.movie_id for f in faces}
