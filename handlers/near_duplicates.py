"""An in-memory index of 64-bit perceptual hashes that finds the nearest one within a distance.

A linear scan costs a million XORs per frame, and a library gathers millions of frames, so the
index uses multi-index hashing (Norouzi, Punjani and Fleet, "Fast Search in Hamming Space with
Multi-Index Hashing", CVPR 2012): the hash is cut into 3 disjoint chunks, each chunk keys its own
table, and by the pigeonhole principle a hash within distance d of the query matches it in at
least one chunk within a small radius. A query looks up only the chunk values within that radius
and checks the full distance of the few entries it finds there, so it is exact, never a scan.
The work grows steeply with d: at a million entries it wins ~16x at d = 6 but loses to a numpy
scan from d = 11, where the probes and candidates run to thousands per query.

Each table is a flat array indexed by the chunk value, whose slot heads a chain of entry ids,
rather than a dict of lists: a million entries take about 70 MB here and nearly 500 MB as dicts
of lists.
"""

from __future__ import annotations

import functools
import itertools
import threading
from array import array
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MAX_DISTANCE = 16
HASH_BITS = 64
# Norouzi et al. find chunks of about log2(entries) bits best: 21-22 bits suits a million.
CHUNK_BITS = (22, 21, 21)
# Entry id 0 ends every chain, so ids start at 1; movie id 0 marks a discarded entry.
NO_ENTRY = 0
DISCARDED = 0


@dataclass(frozen=True)
class IndexedFrame:
    movie: str  # movie key
    seconds: float  # frame timestamp


@dataclass(frozen=True)
class DuplicateMatch:
    frame: IndexedFrame
    distance: int


@functools.cache
def flip_masks(bits: int, radius: int) -> npt.NDArray[np.uint32]:
    """Every value of `bits` bits with at most `radius` bits set: XORed in, the probes."""
    masks = np.array(
        [
            sum(1 << bit for bit in chosen)
            for count in range(radius + 1)
            for chosen in itertools.combinations(range(bits), count)
        ],
        dtype=np.uint32,
    )
    masks.flags.writeable = False  # shared by every index through the cache
    return masks


def chunk_radii(max_distance: int) -> tuple[int, ...]:
    """Per-chunk search radii whose (radius + 1) sum to max_distance + 1.

    If every chunk differed by more than its radius the hashes would differ by more than
    max_distance, so one chunk is always within radius. That needs fewer probes than giving
    every chunk floor(d / m); the larger radii go to the widest chunk, whose buckets are emptier.
    A radius of -1 means the chunk is not searched at all.
    """
    quotient, remainder = divmod(max_distance, len(CHUNK_BITS))
    return tuple(
        quotient if position <= remainder else quotient - 1 for position in range(len(CHUNK_BITS))
    )


def _check_hash(phash: int) -> None:
    if not 0 <= phash < 1 << HASH_BITS:
        raise ValueError(f"a perceptual hash is a {HASH_BITS}-bit unsigned int, not {phash}")


class _Chunk:
    """One chunk's table: `head[value]` is the newest entry with that value, `chain` the rest."""

    __slots__ = ("chain", "flips", "head", "mask", "shift")

    def __init__(self, shift: int, bits: int, radius: int) -> None:
        self.shift = shift
        self.mask = (1 << bits) - 1
        self.flips = flip_masks(bits, radius)
        # numpy, so a query probes thousands of values in one gather; np.zeros takes memory
        # from the OS only as values fill.
        self.head = np.zeros(1 << bits, dtype=np.uint32)
        self.chain = array("I", [NO_ENTRY])


class NearDuplicateIndex:
    """Perceptual hashes of frames, shared between worker threads."""

    def __init__(self, max_distance: int) -> None:
        if not 0 <= max_distance <= MAX_DISTANCE:
            raise ValueError(f"max_distance must be 0..{MAX_DISTANCE}, not {max_distance}")
        self._max_distance = max_distance
        self._lock = threading.Lock()
        # Movies are small ints per entry, not strings: 4 bytes rather than a pointer and a frame.
        self._movie_ids: dict[str, int] = {}
        self._movie_names: list[str] = [""]
        self._reset()

    def _reset(self) -> None:
        radii = chunk_radii(self._max_distance)
        shifts = itertools.accumulate(CHUNK_BITS[:-1], initial=0)
        self._chunks = [
            _Chunk(shift, bits, radius)
            for shift, bits, radius in zip(shifts, CHUNK_BITS, radii, strict=True)
        ]
        self._hashes = array("Q", [0])
        self._movies = array("I", [DISCARDED])
        self._seconds = array("d", [0.0])
        self._entries_of: dict[int, array[int]] = {}
        self._live = 0

    def add(self, phash: int, frame: IndexedFrame) -> None:
        _check_hash(phash)
        with self._lock:
            movie_id = self._movie_ids.setdefault(frame.movie, len(self._movie_names))
            if movie_id == len(self._movie_names):
                self._movie_names.append(frame.movie)
            self._append(phash, movie_id, frame.seconds)

    def _append(self, phash: int, movie_id: int, seconds: float) -> None:
        entry = len(self._hashes)
        self._hashes.append(phash)
        self._movies.append(movie_id)
        self._seconds.append(seconds)
        for chunk in self._chunks:
            key = (phash >> chunk.shift) & chunk.mask
            chunk.chain.append(int(chunk.head[key]))
            chunk.head[key] = entry
        self._entries_of.setdefault(movie_id, array("I")).append(entry)
        self._live += 1

    def nearest(self, phash: int, exclude_movie: str | None = None) -> DuplicateMatch | None:
        """The closest stored hash within max_distance; on a tie, the one added first."""
        _check_hash(phash)
        with self._lock:
            excluded = -1 if exclude_movie is None else self._movie_ids.get(exclude_movie, -1)
            entry, distance = self._search(phash, (DISCARDED, excluded))
            if entry == NO_ENTRY:
                return None
            movie = self._movie_names[self._movies[entry]]
            return DuplicateMatch(IndexedFrame(movie, self._seconds[entry]), distance)

    def _search(self, phash: int, skipped_movies: tuple[int, int]) -> tuple[int, int]:
        best_distance, best_entry = self._max_distance + 1, NO_ENTRY
        hashes, movies = self._hashes, self._movies
        for chunk in self._chunks:
            key = (phash >> chunk.shift) & chunk.mask
            chain = chunk.chain
            # Most probed values are empty: probing in Python costs ~0.2 us each, in numpy ~nil.
            # Chains are walked in Python, whose cost is per entry rather than per step.
            probed = chunk.head[chunk.flips ^ key]
            firsts: list[int] = probed[probed != NO_ENTRY].tolist()
            for first in firsts:
                entry = first
                while entry:
                    distance = (hashes[entry] ^ phash).bit_count()
                    if (
                        distance < best_distance
                        or (distance == best_distance and entry < best_entry)
                    ) and movies[entry] not in skipped_movies:
                        best_distance, best_entry = distance, entry
                    entry = chain[entry]
        return best_entry, best_distance

    def discard_movie(self, movie: str) -> int:
        """Remove every entry of `movie` (a re-run replaces them); returns how many."""
        with self._lock:
            entries = self._entries_of.pop(self._movie_ids.get(movie, DISCARDED), array("I"))
            for entry in entries:
                self._movies[entry] = DISCARDED
            self._live -= len(entries)
            self._compact_when_mostly_dead()
            return len(entries)

    def discard_frame(self, frame: IndexedFrame) -> bool:
        """Remove one frame's entry (a frame the per-minute limit left out after all)."""
        with self._lock:
            movie_id = self._movie_ids.get(frame.movie, DISCARDED)
            entries = self._entries_of.get(movie_id, array("I"))
            for position in reversed(range(len(entries))):  # the newest are the likeliest
                entry = entries[position]
                if self._seconds[entry] == frame.seconds:
                    self._movies[entry] = DISCARDED
                    del entries[position]
                    self._live -= 1
                    self._compact_when_mostly_dead()
                    return True
            return False

    def _compact_when_mostly_dead(self) -> None:
        # Discarded entries stay chained until more than half are dead, then all is rebuilt:
        # queries skip them meanwhile, and the rebuild's cost is paid for by the discards.
        if len(self._hashes) - 1 - self._live > self._live:
            self._compact()

    def _compact(self) -> None:
        hashes, movies, seconds = self._hashes, self._movies, self._seconds
        self._reset()
        for entry in range(1, len(hashes)):
            if movies[entry] != DISCARDED:
                self._append(hashes[entry], movies[entry], seconds[entry])

    def __len__(self) -> int:
        with self._lock:
            return self._live
