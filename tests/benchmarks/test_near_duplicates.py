"""benchmarks/near_duplicates.py, run as the README runs it, reports the index against the
scan as the median of alternating rounds with its range, and the same answers."""

from __future__ import annotations

import re
import sys

from tests.fresh_processes import run_one


def test_the_speedup_is_a_median_of_rounds_and_the_answers_agree() -> None:
    finished = run_one(
        [sys.executable, "benchmarks/near_duplicates.py", "--entries", "20000", "--rounds", "3"]
    )
    assert finished.returncode == 0, finished.describe()
    assert "3 rounds, index and scan alternating" in finished.output
    assert re.search(r"^speedup: [\d.]+ \([\d.]+-[\d.]+\)x$", finished.output, re.MULTILINE)
    assert "answers differing from brute force: 0 of 50" in finished.output
