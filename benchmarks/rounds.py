"""Figures compared fairly on a busy machine: alternating rounds, medians and their spread.

Each round times every contender once, back to back, in the reverse order every other round,
so whatever else the machine does (another process, a clock change, a cold cache) falls on
them alike. A comparison is made within each round and the median of those per-round ratios
is the figure, beside its range: the best of two, which this replaces, gave ratios of our path
to plain decoding above 1.0 on a shared 2-core machine, which cannot be.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

DEFAULT_ROUNDS = 7


@dataclass(frozen=True)
class Spread:
    """The median of some figures and the lowest and highest of them."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("a spread of no values")
        return cls(statistics.median(values), min(values), max(values))

    def text(self, decimals: int = 2) -> str:
        """`0.82 (0.78-0.85)`: the median, then the range."""
        return f"{self.median:,.{decimals}f} ({self.low:,.{decimals}f}-{self.high:,.{decimals}f})"


def alternating(rounds: int, contenders: Sequence[Callable[[], float]]) -> list[list[float]]:
    """Each contender's figure in each round: result[contender][round]."""
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    figures: list[list[float]] = [[] for _ in contenders]
    order = list(range(len(contenders)))
    for number in range(rounds):
        for position in order if number % 2 == 0 else reversed(order):
            figures[position].append(contenders[position]())
    return figures


def ratios(tops: Sequence[float], bottoms: Sequence[float]) -> list[float]:
    """Round by round, top / bottom."""
    if len(tops) != len(bottoms):
        raise ValueError(f"{len(tops)} figures against {len(bottoms)}")
    return [top / bottom for top, bottom in zip(tops, bottoms, strict=True)]


def rounds_argument(parser: argparse.ArgumentParser, default: int = DEFAULT_ROUNDS) -> None:
    parser.add_argument(
        "--rounds",
        type=_at_least_one,
        default=default,
        help=f"timed rounds, the contenders alternating; medians are reported (default {default})",
    )


def _at_least_one(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value
