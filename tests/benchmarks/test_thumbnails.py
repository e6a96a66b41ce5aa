"""benchmarks/thumbnails.py, run as the README runs it, reports cold (made) and warm (cache
hits) thumbnails per second, each the median of its rounds with the range. Figures are
printed, never judged: this checks what is reported, not speed."""

from __future__ import annotations

import re
import sys

from tests.fresh_processes import run_one

SPREAD = r"[\d,.]+ \([\d,.]+-[\d,.]+\)"


def test_cold_and_warm_are_reported_with_the_library_beside_them() -> None:
    finished = run_one(
        [sys.executable, "benchmarks/thumbnails.py", "--images", "4", "--rounds", "2"]
    )
    assert finished.returncode == 0, finished.describe()
    assert re.search(
        r"^4 JPEGs of 1024x768 \([\d,]+ KiB each\), thumbnails of 256 px in WEBP "
        r"\([\d.]+ KiB each\), 2 rounds",
        finished.output,
        re.MULTILINE,
    ), finished.output
    assert re.search(rf"^cold \(made\) +{SPREAD} +[\d.]+$", finished.output, re.MULTILINE)
    assert re.search(rf"^warm \(cache hits\) +{SPREAD} +[\d.]+$", finished.output, re.MULTILINE)
