"""Matching at scale, for benchmarks.faces: ReferenceSet one face at a time and in a batch,
beside a Python loop over characters, on random dlib-like encodings."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from benchmarks.rounds import Spread, alternating, ratios
from evaluation.table import print_table
from handlers.face_matching import DEFAULT_MARGIN, DEFAULT_TOLERANCE, Match, ReferenceSet

SCALES = ((10, 10), (1_000, 100), (100_000, 1_000))
BASELINE_FACES = 20  # the loop is slow at 1,000 characters; its per-face time is steady
SEED = 20240612
Vectors = npt.NDArray[np.float64]


def references(count: int, characters: int, rng: np.random.Generator) -> tuple[list[str], Vectors]:
    names = [f"character {i % characters:04d}" for i in range(count)]
    return names, rng.normal(0.0, 0.09, (count, 128))


def queries(encodings: Vectors, count: int, rng: np.random.Generator) -> Vectors:
    near = encodings[rng.integers(0, len(encodings), count // 2)]
    near = near + rng.normal(0.0, 0.02, near.shape)
    strangers = rng.normal(0.0, 0.09, (count - len(near), 128))
    return np.vstack([near, strangers])


def grouped(names: Sequence[str], encodings: Vectors) -> dict[str, Vectors]:
    rows: dict[str, list[int]] = {}
    for row, name in enumerate(names):
        rows.setdefault(name, []).append(row)
    return {name: encodings[indices] for name, indices in rows.items()}


def loop_over_characters(by_character: dict[str, Vectors], face: Vectors) -> Match:
    """The same rule, one character at a time."""
    nearest = {
        name: float(np.linalg.norm(stored - face, axis=1).min())
        for name, stored in by_character.items()
    }
    ranked = sorted(nearest.items(), key=lambda pair: pair[1])
    best, distance = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else float("inf")
    known = distance <= DEFAULT_TOLERANCE and runner_up - distance >= DEFAULT_MARGIN
    return Match(best if known else None, distance, runner_up)


def timed_per_face(run: Callable[[], list[Match]], faces: int, kept: list[Match]) -> float:
    """Microseconds per face of one call of `run`; its decisions replace `kept`'s."""
    started = time.perf_counter()
    matches = run()
    seconds = time.perf_counter() - started
    kept[:] = matches
    return seconds / faces * 1e6


def matching_row(
    count: int, characters: int, faces: int, rng: np.random.Generator, rounds: int
) -> list[str]:
    names, encodings = references(count, characters, rng)
    asked = queries(encodings, faces, rng)
    started = time.perf_counter()
    reference_set = ReferenceSet(names, encodings)
    build_ms = (time.perf_counter() - started) * 1000
    by_character = grouped(names, encodings)
    step = max(1, faces // BASELINE_FACES)
    sample = asked[::step]
    single: list[Match] = []
    batch: list[Match] = []
    loop: list[Match] = []
    single_us, batch_us, loop_us = alternating(
        rounds,
        [
            lambda: timed_per_face(lambda: [reference_set.match(f) for f in asked], faces, single),
            lambda: timed_per_face(lambda: reference_set.match_many(asked), faces, batch),
            lambda: timed_per_face(
                lambda: [loop_over_characters(by_character, f) for f in sample], len(sample), loop
            ),
        ],
    )
    differ = sum(a.character != b.character for a, b in zip(batch[::step], loop, strict=True))
    return [
        f"{count:,}",
        f"{characters:,}",
        f"{build_ms:.1f}",
        Spread.of(single_us).text(0),
        Spread.of(batch_us).text(1),
        Spread.of(loop_us).text(0),
        Spread.of(ratios(loop_us, single_us)).text(1),
        Spread.of(ratios(loop_us, batch_us)).text(1),
        f"{differ}/{len(sample)}",
    ]


def matching_section(faces: int, rounds: int) -> None:
    rng = np.random.default_rng(SEED)
    # OpenBLAS threads spin against other work on a small machine; the setting moves the figures.
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"\nmatching {faces} faces (half near a reference, half strangers), us per face")
    print(f"{rounds} rounds, the three alternating; median (min-max) over the rounds")
    print(f"numpy BLAS: OPENBLAS_NUM_THREADS={threads}, {os.cpu_count()} cores")
    rows = [matching_row(count, characters, faces, rng, rounds) for count, characters in SCALES]
    header = (
        "references",
        "characters",
        "build ms",
        "one at a time",
        "batch",
        "loop baseline",
        "gain x (one)",
        "gain x (batch)",
        "decisions differing",
    )
    print_table(header, rows)
