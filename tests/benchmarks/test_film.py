"""benchmarks.film: its clip shows the cast at the bitrate asked, CPU seconds count the
daemon's processes, and one daemon run times every default stage. Figures are printed by the
benchmark, never judged: these check what is measured, not how fast."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from benchmarks.film import path_lines, run_film
from benchmarks.film_faces import CAST, FaceFilmSpec, ensure_film
from benchmarks.frame_path import plain_decode
from benchmarks.process_cpu import tree_cpu_seconds
from daemon.config import PipelineConfig
from handlers.face_matching import detect_faces
from tests.conftest import SHARED_MEDIA

needs_media = pytest.mark.skipif(
    not all((SHARED_MEDIA / reference).is_file() for _, _, reference in CAST),
    reason=f"the cast's photos are not in {SHARED_MEDIA}",
)
SMALL = FaceFilmSpec(width=640, height=360, seconds=4.0, bitrate=2_000_000, preset="ultrafast")


@pytest.mark.media
@needs_media
def test_the_film_shows_people_at_the_bitrate_asked_and_is_made_once(tmp_path: Path) -> None:
    film = ensure_film(SMALL, SHARED_MEDIA, tmp_path)
    assert film.generated_seconds is not None
    assert film.shots_with_people >= 1
    assert 1.0 <= film.megabits_per_second <= 3.0
    with av.open(str(film.path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    assert len(frames) == 4 * SMALL.fps
    found = sum(len(detect_faces(np.asarray(f, dtype=np.uint8))) for f in frames[::12])
    assert found >= 1
    assert ensure_film(SMALL, SHARED_MEDIA, tmp_path).generated_seconds is None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_tree_cpu_seconds_count_a_busy_child_while_it_runs() -> None:
    before = tree_cpu_seconds(os.getpid())
    busy = "import time\nend = time.process_time() + 1.0\nwhile time.process_time() < end: pass"
    child = subprocess.Popen([sys.executable, "-c", f"{busy}\nimport sys; sys.stdin.read()"],
                             stdin=subprocess.PIPE, text=True)  # fmt: skip
    try:
        # The child has spent its second and waits, alive: only /proc sees its time now.
        deadline = 60.0
        while (tree_cpu_seconds(child.pid) or 0.0) < 1.0 and deadline > 0:
            time.sleep(0.2)
            deadline -= 0.2
        after = tree_cpu_seconds(os.getpid())
    finally:
        child.communicate("")
    assert before is not None and after is not None
    assert after - before >= 1.0


@pytest.mark.media
@needs_media
def test_one_daemon_run_times_every_default_stage(tmp_path: Path) -> None:
    film = ensure_film(SMALL, SHARED_MEDIA, tmp_path)
    run = run_film(film, SHARED_MEDIA, tmp_path / "daemon")
    stages = dict(run.summary.stage_seconds())
    assert tuple(stages) == PipelineConfig().stages
    faces = run.summary.document["faces"]
    assert any(face["character"] for listed in faces.values() for face in listed)
    lines = {line.label: line for line in path_lines(run, plain_decode(film.path))}
    assert lines["all stages"].seconds == pytest.approx(sum(stages.values()))
    if Path("/proc/self/stat").exists():
        assert set(run.stage_cpu) == set(stages)
        assert run.cpu_seconds is not None and run.cpu_seconds > 0
