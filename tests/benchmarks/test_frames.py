"""benchmarks.frames times plain decoding and our path in alternating rounds and reports the
median of the per-round ratios with its range (best of two gave ratios above 1.0 on a busy
machine). Its figures are printed, never judged: this checks what is reported, not speed."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import pytest

from benchmarks.film_clips import ClipSpec, generate_clip
from benchmarks.frames import speed_section

ROUNDS = 3
SPREAD = r"(\d[\d,.]*) \((\d[\d,.]*)-(\d[\d,.]*)\)"


def test_the_speed_section_reports_each_rounds_ratio_and_their_median(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = generate_clip(ClipSpec(320, 180, 3.0, "ultrafast"), tmp_path)
    speed_section([clip], tmp_path, ROUNDS)
    printed = capsys.readouterr().out
    assert f"{ROUNDS} rounds, alternating" in printed
    per_round = re.search(r"^  320x180: (.+)$", printed, re.MULTILINE)
    assert per_round, printed
    values = [float(value) for value in per_round.group(1).split(", ")]
    assert len(values) == ROUNDS
    row = next(line for line in printed.splitlines() if line.startswith("320x180 "))
    spreads = re.findall(SPREAD, row)
    # plain fps, ours fps, ours/plain, cpu plain/ours, then every/plain, cpu plain/every
    assert len(spreads) == 6, row
    median, low, high = (float(value) for value in spreads[2])
    assert (median, low, high) == (
        round(statistics.median(values), 2),
        min(values),
        max(values),
    )
