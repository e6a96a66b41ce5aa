"""Whose faces these are: every stored or found face's 128-d encoding against the references
of all characters, vectorised, with the rule for faces too doubtful for the usual tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from handlers.face_box import FaceBox

Vectors = npt.NDArray[np.float64]

ENCODING_SIZE = 128
# dlib's reference threshold: its model separates LFW pairs at 0.6 with 99.38% accuracy.
DEFAULT_TOLERANCE = 0.6
# A face nearly as close to a second character is ambiguous, so it is left unknown.
DEFAULT_MARGIN = 0.05
# Faces the encoder has little to go on: smaller than this, or turned away (face_pose).
DOUBTFUL_FACE_PIXELS = 48
# ...are named only this close. The labelled photos of ../shared/media (59 faces of 13
# people, each scaled down to 20-64 px): below 48 px a stranger came within 0.564-0.599 of
# someone else's reference (5 times), never within 0.55; from 48 px up, never within 0.6. At
# 24 px and up 55-59 of the 59 faces still lie within 0.55 of their own reference.
DOUBTFUL_TOLERANCE = 0.55
# Bounds the m x n distance matrix of match_many to about 32 MB of float64 at a time.
DISTANCES_PER_CHUNK = 4_000_000


class MatchableFace(Protocol):
    """A face as found (DetectedFace) or as stored (the repository's StoredFace)."""

    @property
    def box(self) -> FaceBox: ...
    @property
    def encoding(self) -> tuple[float, ...]: ...
    @property
    def turned_away(self) -> bool: ...


def is_doubtful(box: FaceBox, turned_away: bool, below_pixels: int = DOUBTFUL_FACE_PIXELS) -> bool:
    """Whether a face gives the encoder too little to trust its usual tolerance: a small face,
    or one seen from the side, which dlib's aligner was not trained on."""
    return turned_away or box.height < below_pixels


@dataclass(frozen=True)
class Match:
    character: str | None  # None: unknown
    distance: float  # to the nearest reference of the best character; inf without references
    runner_up: float  # nearest distance of the second-best character; inf when there is none


def _as_vectors(encodings: Vectors | Sequence[Sequence[float]]) -> Vectors:
    vectors = np.asarray(encodings, dtype=np.float64)
    if vectors.size == 0:
        return np.empty((0, ENCODING_SIZE))
    if vectors.ndim != 2:
        raise ValueError(f"expected a list of encodings, got an array of shape {vectors.shape}")
    return vectors


class ReferenceSet:
    """Reference encodings of all characters, matched vectorised (numpy), never a Python loop.

    References are kept sorted by character, so each character's references are one run of
    columns in the distance matrix and np.minimum.reduceat takes every character's nearest at
    once. The best character matches when its distance is within `tolerance` (for a doubtful
    face, see is_doubtful: `doubtful_tolerance`) and the second-best character is at least
    `margin` further away.
    """

    def __init__(
        self,
        names: Sequence[str],
        encodings: Vectors | Sequence[Sequence[float]],
        tolerance: float = DEFAULT_TOLERANCE,
        margin: float = DEFAULT_MARGIN,
        doubtful_tolerance: float = DOUBTFUL_TOLERANCE,
    ) -> None:
        vectors = _as_vectors(encodings)
        if len(names) != len(vectors):
            raise ValueError(f"{len(names)} names for {len(vectors)} encodings")
        labels = np.asarray(names, dtype=str)
        order = np.argsort(labels, kind="stable")
        ordered = labels[order]
        self.tolerance = tolerance
        self.margin = margin
        self.doubtful_tolerance = min(tolerance, doubtful_tolerance)
        self._vectors = vectors[order]
        # Squared norms once, so distances come from one matrix product: |a-b|² = a² + b² - 2ab.
        self._squares = np.einsum("ij,ij->i", self._vectors, self._vectors)
        changes = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        self._starts = np.concatenate(([0], changes)) if len(ordered) else changes
        self._characters = tuple(str(name) for name in ordered[self._starts])

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def characters(self) -> tuple[str, ...]:
        return self._characters

    def match(self, encoding: Sequence[float] | Vectors) -> Match:
        return self.match_many(np.asarray(encoding, dtype=np.float64).reshape(1, -1))[0]

    def match_many(
        self,
        encodings: Vectors | Sequence[Sequence[float]],
        doubtful: Sequence[bool] | None = None,
    ) -> list[Match]:
        """One match per encoding; `doubtful[i]` holds encoding i to doubtful_tolerance."""
        queries = _as_vectors(encodings)
        if len(queries) == 0:
            return []
        if queries.shape[1] != self._vectors.shape[1]:
            size = self._vectors.shape[1]
            raise ValueError(f"encodings of {queries.shape[1]} values, references of {size}")
        flags = np.zeros(len(queries), bool) if doubtful is None else np.asarray(doubtful, bool)
        if flags.shape != (len(queries),):
            raise ValueError(f"{flags.size} doubtful flags for {len(queries)} encodings")
        tolerances = np.where(flags, self.doubtful_tolerance, self.tolerance)
        rows = max(1, DISTANCES_PER_CHUNK // max(1, len(self)))
        return [
            match
            for start in range(0, len(queries), rows)
            for match in self._match_rows(
                queries[start : start + rows], tolerances[start : start + rows]
            )
        ]

    def match_faces(
        self, faces: Sequence[MatchableFace], doubtful_below: int = DOUBTFUL_FACE_PIXELS
    ) -> list[Match]:
        """One match per face, each doubtful one (see is_doubtful) held to doubtful_tolerance."""
        doubtful = [is_doubtful(f.box, f.turned_away, doubtful_below) for f in faces]
        return self.match_many([f.encoding for f in faces], doubtful)

    def _nearest_per_character(self, queries: Vectors) -> Vectors:
        if not self._characters:
            return np.empty((len(queries), 0))
        # In place, and the square root after the minimum: the m x n matrix is the whole cost.
        squared = queries @ self._vectors.T
        squared *= -2.0
        squared += self._squares
        nearest = np.minimum.reduceat(squared, self._starts, axis=1)
        nearest += np.einsum("ij,ij->i", queries, queries)[:, None]
        return np.sqrt(np.maximum(nearest, 0.0))

    def _match_rows(self, queries: Vectors, tolerances: Vectors) -> list[Match]:
        # Two columns of inf stand in for missing characters: no references, or only one.
        nearest = np.hstack(
            [self._nearest_per_character(queries), np.full((len(queries), 2), np.inf)]
        )
        best = np.argmin(nearest, axis=1)
        two = np.partition(nearest, 1, axis=1)
        known = (two[:, 0] <= tolerances) & (two[:, 1] >= two[:, 0] + self.margin)
        return [
            Match(self._characters[b] if k else None, float(d), float(r))
            for b, d, r, k in zip(best, two[:, 0], two[:, 1], known, strict=True)
        ]
