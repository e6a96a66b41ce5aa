"""benchmarks.reference_frames: a film's start copied without re-encoding, then the frame
stages with reference frames only beside every frame. This checks what is reported, not
speed."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from benchmarks.film_clips import ClipSpec, generate_clip
from benchmarks.reference_frames import film_start, measure, report


def test_the_start_of_a_film_runs_with_reference_frames_beside_every_frame(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    film = generate_clip(ClipSpec(320, 180, 4.0, "superfast"), tmp_path)  # with B-frames
    start = film_start(film.path, 2.0, tmp_path)
    with av.open(str(start)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 48  # 2 s at 24 fps
    plains, runs = measure(start, tmp_path, rounds=1)
    report(start, plains, runs)
    printed = capsys.readouterr().out
    decoded = {scope: runs[scope][-1].shots.frames_decoded for scope in runs}
    assert decoded["every"] == 48 > decoded["reference"]
    row = next(line for line in printed.splitlines() if "decode reference" in line)
    assert row.split("decode reference")[1].split()[0] == str(decoded["reference"])
    assert "cuts, reference:" in printed and "cuts, every:" in printed
