"""The movie's sharpness distribution, gathered frame by frame in fixed memory by the decode
pass; the quality stage judges each frame against its median."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

# A histogram of log10(1 + sharpness), so memory is fixed. Sharpness lies in 0-4
# (image_measures.sharpness): 600 bins up to log10(10) give the median to about 0.5 %.
SPREAD_BINS = 600
SPREAD_MAX_LOG = 1.0


@dataclass(frozen=True)
class SharpnessSpread:
    """The movie's own sharpness distribution, which the quality stage judges frames by."""

    frames: int
    p10: float
    median: float
    p90: float


@dataclass
class SpreadCounter:
    counts: list[int] = field(default_factory=lambda: [0] * SPREAD_BINS)

    def add(self, value: float) -> None:
        position = math.log10(1.0 + value) / SPREAD_MAX_LOG * SPREAD_BINS
        self.counts[min(SPREAD_BINS - 1, int(position))] += 1

    def spread(self) -> SharpnessSpread:
        total = sum(self.counts)
        cumulative = np.cumsum(self.counts)

        def quantile(share: float) -> float:
            if not total:
                return 0.0
            index = int(np.searchsorted(cumulative, share * total))
            return round(10 ** ((index + 0.5) / SPREAD_BINS * SPREAD_MAX_LOG) - 1.0, 2)

        return SharpnessSpread(total, quantile(0.1), quantile(0.5), quantile(0.9))


EMPTY_SPREAD = SharpnessSpread(0, 0.0, 0.0, 0.0)  # before a movie's first frame
