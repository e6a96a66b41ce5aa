"""How fast NearDuplicateIndex answers at library scale, beside a brute-force scan.

The baseline is numpy: XOR the query into every stored hash, popcount, argmin. It is the fastest
way to scan from Python (a pure-Python loop over a million ints is ~50x slower), so the speedup
is the index's gain over a scan done well, not over a slow one.

    .venv/bin/python benchmarks/near_duplicates.py [--entries 1000000] [--distance 6]
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--distance", type=int, default=6)
    args = parser.parse_args()
    rng = np.random.default_rng(20240601)
    hashes: Hashes = rng.integers(0, 2**64, size=args.entries, dtype=np.uint64)
    stored: list[int] = hashes.tolist()
    queries = make_queries(stored, args.distance, rng)
    print(f"{args.entries:,} entries, max distance {args.distance}")
    print(f"peak RSS before building: {peak_rss_mb():.0f} MB")

    index = NearDuplicateIndex(args.distance)
    started = time.perf_counter()
    for entry, phash in enumerate(stored):
        movie, second = divmod(entry, FRAMES_PER_MOVIE)
        index.add(phash, IndexedFrame(f"movie-{movie}", float(second)))
    print(f"build: {time.perf_counter() - started:.2f} s")
    print(f"peak RSS after building: {peak_rss_mb():.0f} MB")

    answers, index_us = timed_queries(index, queries)
    found = sum(answer is not None for answer in answers)
    print(f"index: {index_us:.1f} us/query over {QUERIES} queries ({found} found a match)")
    _, planted_us = timed_queries(index, queries[0::2])
    _, random_us = timed_queries(index, queries[1::2])
    print(f"  planted neighbour: {planted_us:.1f} us/query, random: {random_us:.1f} us/query")

    step = QUERIES // BRUTE_FORCE_QUERIES
    sample = range(0, QUERIES, step)
    started = time.perf_counter()
    expected = [brute_force(hashes, queries[position], args.distance) for position in sample]
    brute_us = (time.perf_counter() - started) / len(sample) * 1e6
    print(f"brute force (numpy XOR + bitwise_count + argmin): {brute_us:.1f} us/query")
    print(f"speedup: {brute_us / index_us:.1f}x")
    mismatches = sum(
        as_entry(answers[position]) != want for position, want in zip(sample, expected, strict=True)
    )
    print(f"answers differing from brute force: {mismatches} of {len(sample)}")


if __name__ == "__main__":
    main()
