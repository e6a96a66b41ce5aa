"""Reads for the unknown faces page, a page at a time and without the faces' encodings: the
clusters waiting for a name, a cluster's faces, and the noise bucket.

The noise bucket is three lists (NoiseReason), each read in its order from an index of its
own (store.py, v12), so a deep page costs no sort of the whole bucket:
- unsure matches: faces matched to a character (not by the user) whose next character is
  less than `noise_margin` further away, most unsure first;
- faces taken out of a cluster by hand, oldest first;
- loose faces: unknown faces in no group large enough to be a cluster, oldest first.
Ignored faces are in none of them and in no cluster.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import peewee as pw

from daemon.repository.face_review_records import FaceTile, NoiseReason
from daemon.repository.records import MOVIE_KEY_LENGTH, UnknownCluster
from daemon.repository.rows import box_of, name_of
from daemon.store import Character, FaceReviewState, FaceRow, Movie

# Written as the partial index face_small_margin is (store.py): SQLite uses a partial index
# only for a query that states its conditions in the same words, not as bound parameters.
MARGIN = pw.SQL('("t1"."runner_up" - "t1"."distance")')
SMALL_MARGIN_ROWS = pw.SQL(
    '"t1"."runner_up" >= 0 AND "t1"."character_id" IS NOT NULL AND "t1"."confirmed" = 0'
)
UNCLUSTERED = FaceRow.cluster.is_null() & FaceRow.character.is_null()
IN_BUCKET = {
    NoiseReason.TAKEN_OUT: UNCLUSTERED & (FaceRow.review == FaceReviewState.SET_ASIDE.value),
    NoiseReason.LOOSE: UNCLUSTERED & FaceRow.review.is_null(),
}
WAITING = FaceRow.cluster.is_null(False) & FaceRow.character.is_null()


class UnknownViews:
    def cluster_count(self) -> int:
        query = FaceRow.select(pw.fn.COUNT(pw.fn.DISTINCT(FaceRow.cluster))).where(WAITING)
        return int(query.scalar() or 0)

    def clusters_page(self, offset: int, limit: int) -> list[UnknownCluster]:
        """The clusters waiting for a name, largest first (then by id)."""
        size = pw.fn.COUNT(FaceRow.id)
        rows = (
            FaceRow.select(FaceRow.cluster, size)
            .where(WAITING)
            .group_by(FaceRow.cluster)
            .order_by(size.desc(), FaceRow.cluster)
            .offset(offset)
            .limit(limit)
            .tuples()
        )
        pairs = cast(Iterable[tuple[str, int]], rows)
        return [UnknownCluster(str(cluster), int(count)) for cluster, count in pairs]

    def cluster_size(self, cluster: str) -> int:
        return int(FaceRow.select().where(WAITING & (FaceRow.cluster == cluster)).count())

    def cluster_tiles(self, cluster: str, offset: int, limit: int) -> list[FaceTile]:
        """A cluster's faces nobody is matched to, oldest first."""
        where = WAITING & (FaceRow.cluster == cluster)
        return _tiles(_tile_query(where).order_by(FaceRow.id).offset(offset).limit(limit))

    def noise_count(self, reason: NoiseReason, noise_margin: float) -> int:
        if reason is NoiseReason.UNSURE:
            query = FaceRow.select(pw.fn.COUNT(FaceRow.id)).where(
                SMALL_MARGIN_ROWS, _under(noise_margin)
            )
        else:
            query = FaceRow.select(pw.fn.COUNT(FaceRow.id)).where(IN_BUCKET[reason])
        return int(query.scalar() or 0)

    def noise_tiles(
        self, reason: NoiseReason, noise_margin: float, offset: int, limit: int
    ) -> list[FaceTile]:
        """Unsure matches the smallest margin first; the other lists oldest first."""
        if reason is NoiseReason.UNSURE:
            query = _tile_query(SMALL_MARGIN_ROWS).where(_under(noise_margin))
            query = query.order_by(MARGIN, FaceRow.id)
        else:
            query = _tile_query(IN_BUCKET[reason]).order_by(FaceRow.id)
        return _tiles(query.offset(offset).limit(limit))

    def face_tile(self, face_id: int) -> FaceTile | None:
        """Any face that is not ignored (its crop is what the page shows of it)."""
        shown = (FaceRow.id == face_id) & (
            FaceRow.review.is_null() | (FaceRow.review != FaceReviewState.IGNORED.value)
        )
        return next(iter(_tiles(_tile_query(shown))), None)


def _under(noise_margin: float) -> pw.Expression:
    return pw.Expression(MARGIN, pw.OP.LT, noise_margin)


def _tile_query(where: pw.Expression | pw.SQL) -> pw.ModelSelect[FaceRow]:
    # The columns of a tile only: never the 1 KB encoding of each face.
    return (
        FaceRow.select(
            FaceRow.id, FaceRow.frame, FaceRow.number, FaceRow.top, FaceRow.right,
            FaceRow.bottom, FaceRow.left, FaceRow.distance, FaceRow.runner_up, FaceRow.cluster,
            Movie.sha256, Character.name,
        )
        .join(Movie)
        .switch(FaceRow)
        .join(Character, pw.JOIN.LEFT_OUTER)
        .where(where)
    )  # fmt: skip


def _tiles(query: pw.ModelSelect[FaceRow]) -> list[FaceTile]:
    return [
        FaceTile(
            id=r.id,
            movie_key=r.movie.sha256[:MOVIE_KEY_LENGTH],
            frame=r.frame,
            number=r.number,
            box=box_of(r),
            character=name_of(r.character),
            distance=r.distance if r.distance >= 0 else None,
            runner_up=r.runner_up if r.runner_up >= 0 else None,
            cluster=r.cluster,
        )
        for r in query
    ]
