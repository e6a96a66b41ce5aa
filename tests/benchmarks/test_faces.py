"""benchmarks.faces never times detection on pictures without faces: without its clip it
stops and says what to pass; with it, it says which media folder it used, and times the
whole faces stage with and without worker processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import HAMILTON, SHARED_MEDIA
from tests.fresh_processes import run_one

FACES = [sys.executable, "-m", "benchmarks.faces"]
QUICK = ["--frames", "1", "--faces", "10", "--rounds", "1", "--stage-frames", "2", "--workers", "2"]


def test_without_its_clip_it_refuses_and_names_the_flag(tmp_path: Path) -> None:
    finished = run_one([*FACES, "--media", str(tmp_path), "--frames", "1", "--faces", "10"])
    assert finished.returncode == 2, finished.describe()
    assert "--media DIR" in finished.output
    assert "short_hamilton_clip.mp4" in finished.output
    assert "--matching-only" in finished.output
    assert "frames/s" not in finished.output  # no detection figure at all


def test_matching_alone_needs_no_media(tmp_path: Path) -> None:
    finished = run_one([*FACES, "--matching-only", "--media", str(tmp_path), *QUICK])
    assert finished.returncode == 0, finished.describe()
    assert "detect_faces" not in finished.output
    assert "loop baseline" in finished.output


@pytest.mark.media
@pytest.mark.skipif(
    not (HAMILTON / "short_hamilton_clip.mp4").is_file(),
    reason=f"short_hamilton_clip.mp4 not found in {HAMILTON}",
)
def test_by_default_it_reads_the_shared_media_and_says_so() -> None:
    # Two whole stages, each with three pool starts: minutes on a loaded 2-core machine.
    finished = run_one([*FACES, *QUICK], timeout=400)
    assert finished.returncode == 0, finished.describe()
    assert f"media: {SHARED_MEDIA.resolve()} (the default" in finished.output
    assert "short_hamilton_clip.mp4" in finished.output
    assert "x HOG (range)" in finished.output  # every detector beside HOG in the same run
    rows = [line.split() for line in finished.output.splitlines()]
    assert {row[1] for row in rows if row[:1] == ["640x360"] and len(row) > 4} >= {
        "hog",
        "blazeface",
    }
    for detector in ("auto", "hog"):  # the default's whole stage beside HOG's
        assert f"the faces stage with faces.detector {detector} on 2 kept frames" in finished.output
    assert finished.output.count("same faces, encodings and order in both: yes") == 2
    assert "dlib's face encoder, dlib against torch" in finished.output
    (torch_row,) = [row for row in rows if row[:2] == ["torch", "(handlers.face_encoder)"]]
    assert float(torch_row[-1]) < 1e-5  # the same encodings, beside the times
