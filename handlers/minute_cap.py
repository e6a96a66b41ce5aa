"""`frames.max_per_minute`: how many distinct frames one minute of a movie may keep.

The `quality` stage applies it to the frames it would keep, after duplicates and faulty
pictures are out, so a repeated picture never takes the place of a different one. When a
minute has more than the limit, each shot's sharpest frame comes first (no shot loses its
only frame while another keeps a second), then the sharpest of the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from handlers.frame_capture import Candidate


def minute_of(candidate: Candidate) -> int:
    return int(candidate.seconds // 60)


def by_minute(chosen: Sequence[Candidate]) -> Iterator[tuple[Candidate, ...]]:
    """`chosen` (in time order) as runs of frames from the same minute."""
    for _minute, group in itertools.groupby(chosen, key=minute_of):
        yield tuple(group)


@dataclass(frozen=True)
class MinuteCap:
    per_minute: int

    def left_out(self, distinct: Sequence[Candidate]) -> frozenset[str]:
        """The names of the frames of one minute that the limit leaves out."""
        if len(distinct) <= self.per_minute:
            return frozenset()
        sharpest_first = sorted(distinct, key=lambda c: -c.sharpness)
        firsts: dict[int, Candidate] = {}
        for candidate in sharpest_first:
            firsts.setdefault(candidate.shot, candidate)
        leaders = {c.name for c in firsts.values()}
        ranked = [c for c in sharpest_first if c.name in leaders]
        ranked += [c for c in sharpest_first if c.name not in leaders]
        return frozenset(c.name for c in ranked[self.per_minute :])

    def reason(self, distinct: int, minute: int) -> str:
        start = f"{minute // 60:02d}:{minute % 60:02d}:00"
        return (
            f"the minute from {start} has {distinct} distinct frames and frames.max_per_minute "
            f"keeps {self.per_minute}: one per shot first, then the sharpest"
        )
