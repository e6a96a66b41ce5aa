"""How the side-by-side cut evaluation counts: a boundary matched once, dissolves as spans."""

from __future__ import annotations

from pathlib import Path

from evaluation.cut_clips import Boundary, CutClip, Unit, cuts
from evaluation.cuts import f1, matched


def clip(*boundaries: Boundary) -> CutClip:
    return CutClip("c", Path("c.mp4"), Unit.FRAMES, boundaries, tolerance=2)


def test_a_cut_counts_within_two_frames_and_once() -> None:
    truth = clip(*cuts(24, 48))
    assert matched(truth, (26.0, 46.0)) == 2
    assert matched(truth, (27.0,)) == 0
    assert matched(truth, (24.0, 25.0)) == 1  # the second one is extra, not a second hit


def test_a_dissolve_counts_anywhere_inside_it() -> None:
    truth = clip(Boundary(30, 65))
    assert matched(truth, (31.0,)) == 1
    assert matched(truth, (67.0,)) == 1
    assert matched(truth, (68.0,)) == 0


def test_f1_is_undefined_with_nothing_to_find_and_nothing_found() -> None:
    assert f1(0, 0, 0) is None
    assert f1(3, 0, 0) == 1.0
    assert f1(0, 2, 0) == 0.0
    assert f1(2, 1, 1) == 2 * 2 / (2 * 2 + 1 + 1)
