"""How fast NearDuplicateIndex answers at library scale, beside a brute-force scan.

The baseline is numpy: XOR the query into every stored hash, popcount, argmin. It is the fastest
way to scan from Python (a pure-Python loop over a million ints is ~50x slower), so the speedup
is the index's gain over a scan done well, not over a slow one. The two are timed in
alternating rounds; the speedup is the median of the per-round ratios, with their range.

    .venv/bin/python benchmarks/near_duplicates.py [--entries 1000000] [--distance 6] [--rounds 7]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.rounds import Spread, alternating, ratios, rounds_argument
from handlers.near_duplicates import DuplicateMatch, IndexedFrame, NearDuplicateIndex

QUERIES = 2000
BRUTE_FORCE_QUERIES = 50
FRAMES_PER_MOVIE = 2000
Hashes = npt.NDArray[np.uint64]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def make_queries(stored: list[int], distance: int, rng: np.random.Generator) -> list[int]:
    """Even positions are a stored hash with 0..distance bits flipped, odd ones are random."""
    queries: list[int] = rng.integers(0, 2**64, size=QUERIES, dtype=np.uint64).tolist()
    for position in range(0, QUERIES, 2):
        flipped = rng.choice(64, size=int(rng.integers(0, distance + 1)), replace=False)
        planted = stored[int(rng.integers(len(stored)))]
        queries[position] = planted ^ sum(1 << int(bit) for bit in flipped)
    return queries


def timed_queries(
    index: NearDuplicateIndex, queries: list[int]
) -> tuple[list[DuplicateMatch | None], float]:
    """The answers, and the mean microseconds per query."""
    started = time.perf_counter()
    answers = [index.nearest(query) for query in queries]
    return answers, (time.perf_counter() - started) / len(queries) * 1e6


def brute_force(hashes: Hashes, query: int, distance: int) -> tuple[int, int] | None:
    """(entry, distance) of the nearest within `distance`, the earliest on a tie."""
    distances = np.bitwise_count(hashes ^ np.uint64(query))
    entry = int(np.argmin(distances))
    return (entry, int(distances[entry])) if distances[entry] <= distance else None


def as_entry(match: DuplicateMatch | None) -> tuple[int, int] | None:
    if match is None:
        return None
    movie_number = int(match.frame.movie.removeprefix("movie-"))
    return movie_number * FRAMES_PER_MOVIE + int(match.frame.seconds), match.distance


def built_index(stored: list[int], distance: int) -> NearDuplicateIndex:
    index = NearDuplicateIndex(distance)
    started = time.perf_counter()
    for entry, phash in enumerate(stored):
        movie, second = divmod(entry, FRAMES_PER_MOVIE)
        index.add(phash, IndexedFrame(f"movie-{movie}", float(second)))
    print(f"build: {time.perf_counter() - started:.2f} s")
    print(f"peak RSS after building: {peak_rss_mb():.0f} MB")
    return index


def brute_force_us(
    hashes: Hashes, queries: list[int], distance: int, kept: list[tuple[int, int] | None]
) -> float:
    """Mean microseconds per query of the scan; its answers replace `kept`'s."""
    started = time.perf_counter()
    kept[:] = [brute_force(hashes, query, distance) for query in queries]
    return (time.perf_counter() - started) / len(queries) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--distance", type=int, default=6)
    rounds_argument(parser)
    args = parser.parse_args()
    rng = np.random.default_rng(20240601)
    hashes: Hashes = rng.integers(0, 2**64, size=args.entries, dtype=np.uint64)
    stored: list[int] = hashes.tolist()
    queries = make_queries(stored, args.distance, rng)
    print(f"{args.entries:,} entries, max distance {args.distance}")
    print(f"peak RSS before building: {peak_rss_mb():.0f} MB")
    index = built_index(stored, args.distance)

    answers: list[DuplicateMatch | None] = []
    sample = queries[:: QUERIES // BRUTE_FORCE_QUERIES]
    expected: list[tuple[int, int] | None] = []

    def indexed() -> float:
        found, us = timed_queries(index, queries)
        answers[:] = found
        return us

    index_us, brute_us = alternating(
        args.rounds, [indexed, lambda: brute_force_us(hashes, sample, args.distance, expected)]
    )
    found = sum(answer is not None for answer in answers)
    print(f"{args.rounds} rounds, index and scan alternating; median (min-max) over the rounds")
    print(f"index: {Spread.of(index_us).text(1)} us/query over {QUERIES} queries ({found} found)")
    _, planted_us = timed_queries(index, queries[0::2])
    _, random_us = timed_queries(index, queries[1::2])
    print(f"  planted neighbour: {planted_us:.1f} us/query, random: {random_us:.1f} us/query")
    print(
        f"brute force (numpy XOR + bitwise_count + argmin): {Spread.of(brute_us).text(1)} us/query"
    )
    print(f"speedup: {Spread.of(ratios(brute_us, index_us)).text(1)}x")
    mismatches = sum(
        as_entry(answer) != want
        for answer, want in zip(answers[:: QUERIES // BRUTE_FORCE_QUERIES], expected, strict=True)
    )
    print(f"answers differing from brute force: {mismatches} of {len(sample)}")


if __name__ == "__main__":
    main()
