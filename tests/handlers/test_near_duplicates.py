"""NearDuplicateIndex answers exactly as a brute-force scan does, and stays right under threads."""

from __future__ import annotations

import itertools
import random
import sys
import threading
from collections.abc import Iterator

import pytest

from handlers.near_duplicates import (
    CHUNK_BITS,
    MAX_DISTANCE,
    DuplicateMatch,
    IndexedFrame,
    NearDuplicateIndex,
    chunk_radii,
)

DISTANCES = (0, 1, 4, 6, 10, 16)
Entry = tuple[int, IndexedFrame]


def flipped(phash: int, bits: list[int]) -> int:
    return phash ^ sum(1 << bit for bit in bits)


def flip_random(phash: int, count: int, rng: random.Random) -> int:
    return flipped(phash, rng.sample(range(64), count))


def brute_force(
    entries: list[Entry], phash: int, max_distance: int, exclude_movie: str | None = None
) -> DuplicateMatch | None:
    """The reference: every entry in the order added, so a strict `<` keeps the earliest."""
    best: DuplicateMatch | None = None
    for stored, frame in entries:
        distance = (stored ^ phash).bit_count()
        closer = best is None or distance < best.distance
        if frame.movie != exclude_movie and distance <= max_distance and closer:
            best = DuplicateMatch(frame, distance)
    return best


def build(max_distance: int, entries: list[Entry]) -> NearDuplicateIndex:
    index = NearDuplicateIndex(max_distance)
    for phash, frame in entries:
        index.add(phash, frame)
    return index


def numbered(hashes: list[int], movies: int = 7) -> list[Entry]:
    """Each entry gets its own timestamp, so equal matches mean the same entry."""
    return [(phash, IndexedFrame(f"m{n % movies}", float(n))) for n, phash in enumerate(hashes)]


def random_entries(rng: random.Random, count: int = 2000) -> list[Entry]:
    return numbered([rng.getrandbits(64) for _ in range(count)])


def clustered_entries(rng: random.Random) -> list[Entry]:
    """Crowded chunks, exact duplicates and many ties: what frames of one scene look like."""
    centres = [rng.getrandbits(64) for _ in range(30)]
    return numbered(
        [flip_random(centre, rng.randint(0, 12), rng) for centre in centres for _ in range(40)]
    )


@pytest.mark.parametrize("max_distance", DISTANCES)
def test_random_hashes_match_brute_force(max_distance: int) -> None:
    rng = random.Random(max_distance)
    entries = random_entries(rng)
    index = build(max_distance, entries)
    planted = [stored for stored, _ in rng.sample(entries, 30)]
    at_limit = [flip_random(stored, max_distance, rng) for stored in planted]
    beyond = [flip_random(stored, max_distance + 1, rng) for stored in planted]
    for query in at_limit:
        assert index.nearest(query) is not None
    for query in at_limit + beyond + [rng.getrandbits(64) for _ in range(30)]:
        assert index.nearest(query) == brute_force(entries, query, max_distance)


@pytest.mark.parametrize("max_distance", DISTANCES)
def test_clustered_hashes_match_brute_force(max_distance: int) -> None:
    rng = random.Random(100 + max_distance)
    entries = clustered_entries(rng)
    index = build(max_distance, entries)
    for stored, frame in rng.sample(entries, 40):
        query = flip_random(stored, rng.randint(0, max_distance + 2), rng)
        assert index.nearest(query) == brute_force(entries, query, max_distance)
        excluded = index.nearest(query, exclude_movie=frame.movie)
        assert excluded == brute_force(entries, query, max_distance, frame.movie)


def spreads(total: int) -> Iterator[tuple[int, ...]]:
    """Every way to share `total` flipped bits between the chunks."""
    for counts in itertools.product(*(range(min(bits, total) + 1) for bits in CHUNK_BITS)):
        if sum(counts) == total:
            yield counts


def spread_flips(counts: tuple[int, ...]) -> list[int]:
    starts = itertools.accumulate(CHUNK_BITS[:-1], initial=0)
    return [
        start + bit for start, count in zip(starts, counts, strict=True) for bit in range(count)
    ]


@pytest.mark.parametrize("max_distance", DISTANCES)
def test_a_neighbour_is_found_however_its_differences_fall_between_chunks(
    max_distance: int,
) -> None:
    stored = random.Random(max_distance).getrandbits(64)
    index = build(max_distance, [(stored, IndexedFrame("m", 1.0))])
    for counts in spreads(max_distance):
        match = index.nearest(flipped(stored, spread_flips(counts)))
        assert match == DuplicateMatch(IndexedFrame("m", 1.0), max_distance), counts
    for counts in spreads(max_distance + 1):
        assert index.nearest(flipped(stored, spread_flips(counts))) is None, counts


def test_chunk_radii_cover_every_distance_with_the_fewest_probes() -> None:
    for max_distance in range(MAX_DISTANCE + 1):
        radii = chunk_radii(max_distance)
        assert sum(radius + 1 for radius in radii) == max_distance + 1
        assert max(radii) - min(radii) <= 1
        assert list(radii) == sorted(radii, reverse=True)  # the widest chunk searches widest


def test_exclude_movie_skips_only_that_movie() -> None:
    query = 0xF0F0_F0F0_0F0F_0F0F
    close, far = IndexedFrame("a", 1.0), IndexedFrame("b", 2.0)
    index = build(6, [(query ^ 0b1, close), (query ^ 0b111, far)])
    assert index.nearest(query) == DuplicateMatch(close, 1)
    assert index.nearest(query, exclude_movie="a") == DuplicateMatch(far, 3)
    assert index.nearest(query, exclude_movie="unknown") == DuplicateMatch(close, 1)
    assert build(6, [(query, close)]).nearest(query, exclude_movie="a") is None


def test_ties_go_to_the_entry_added_first() -> None:
    query = 0x0123_4567_89AB_CDEF
    first, second, third = IndexedFrame("a", 1.0), IndexedFrame("b", 2.0), IndexedFrame("c", 3.0)
    index = build(4, [(query, first), (query, second)])
    assert index.nearest(query) == DuplicateMatch(first, 0)
    assert index.nearest(query, exclude_movie="a") == DuplicateMatch(second, 0)
    # Equal distances reached through different chunks: the high chunk's entry was added first.
    index = build(4, [(query ^ 1 << 60, first), (query ^ 1 << 0, second), (query ^ 1 << 30, third)])
    assert index.nearest(query) == DuplicateMatch(first, 1)


def test_discard_movie_removes_its_entries_and_a_rerun_replaces_them() -> None:
    rng = random.Random(7)
    entries = random_entries(rng, 300)
    index = build(6, entries)
    removed = sum(frame.movie == "m3" for _, frame in entries)
    assert index.discard_movie("m3") == removed
    assert index.discard_movie("m3") == 0
    assert index.discard_movie("unknown") == 0
    assert len(index) == len(entries) - removed
    kept = [(phash, frame) for phash, frame in entries if frame.movie != "m3"]
    for phash, _ in entries:
        assert index.nearest(phash) == brute_force(kept, phash, 6)
    rerun = (entries[3][0], IndexedFrame("m3", 99.0))
    index.add(*rerun)
    assert index.nearest(rerun[0]) == DuplicateMatch(rerun[1], 0)


def test_discarding_most_entries_keeps_the_rest_in_order() -> None:
    phash = 0xDEAD_BEEF_DEAD_BEEF
    early, late = IndexedFrame("keep", 1.0), IndexedFrame("keep-too", 2.0)
    entries = [(phash, early)] + [(phash ^ n, IndexedFrame("gone", n)) for n in range(50)]
    index = build(6, [*entries, (phash, late)])
    assert index.discard_movie("gone") == 50
    assert len(index) == 2
    assert index.nearest(phash) == DuplicateMatch(early, 0)
    assert index.nearest(phash, exclude_movie="keep") == DuplicateMatch(late, 0)
    index.add(phash ^ 0b11, IndexedFrame("new", 3.0))
    assert index.nearest(phash ^ 0b11, exclude_movie="keep") == DuplicateMatch(
        IndexedFrame("new", 3.0), 0
    )


def test_discard_frame_removes_that_frame_alone() -> None:
    rng = random.Random(11)
    entries = random_entries(rng, 300)
    index = build(6, entries)
    _, gone = entries[40]
    assert index.discard_frame(gone)
    assert not index.discard_frame(gone)
    assert not index.discard_frame(IndexedFrame("unknown", 1.0))
    assert len(index) == len(entries) - 1
    kept = [entry for entry in entries if entry[1] != gone]
    for phash, _ in entries:
        assert index.nearest(phash) == brute_force(kept, phash, 6)
    assert index.discard_movie(gone.movie) == sum(f.movie == gone.movie for _, f in kept)


@pytest.mark.parametrize("max_distance", [-1, MAX_DISTANCE + 1])
def test_a_distance_outside_0_to_16_is_refused(max_distance: int) -> None:
    with pytest.raises(ValueError, match="max_distance"):
        NearDuplicateIndex(max_distance)


@pytest.mark.parametrize("phash", [-1, 2**64])
def test_a_hash_outside_64_bits_is_refused(phash: int) -> None:
    index = NearDuplicateIndex(6)
    with pytest.raises(ValueError, match="64-bit"):
        index.add(phash, IndexedFrame("m", 1.0))
    with pytest.raises(ValueError, match="64-bit"):
        index.nearest(phash)


def test_threads_adding_while_another_queries_lose_nothing() -> None:
    rng = random.Random(11)
    batches = [random_entries(rng, 10_000) for _ in range(2)]
    batches[1] = [(phash, IndexedFrame("other", frame.seconds)) for phash, frame in batches[1]]
    index = NearDuplicateIndex(6)
    adding_done = threading.Event()
    failures: list[BaseException] = []

    def add_all(batch: list[Entry]) -> None:
        for phash, frame in batch:
            index.add(phash, frame)

    def query_until_done() -> None:
        try:
            while not adding_done.is_set():
                index.nearest(rng.getrandbits(64))
        except BaseException as error:  # any error in the thread is the test's failure
            failures.append(error)

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so races show up in a short test
    try:
        adders = [threading.Thread(target=add_all, args=(batch,)) for batch in batches]
        querier = threading.Thread(target=query_until_done)
        for thread in [*adders, querier]:
            thread.start()
        for adder in adders:
            adder.join()
        adding_done.set()
        querier.join()
    finally:
        sys.setswitchinterval(switch_interval)
    assert failures == []
    assert len(index) == 20_000
    for phash, frame in batches[0] + batches[1]:
        assert index.nearest(phash) == DuplicateMatch(frame, 0)
