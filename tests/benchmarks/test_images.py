"""benchmarks.images: its pictures are 1080p, distinct and made once, and one daemon run
takes a batch of them through every default stage. Figures are printed by the benchmark,
never judged: these check what is measured, not how fast."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from benchmarks.images import SIZE, ensure_pictures, main, run_batch
from handlers.image_measures import grey_of_file, hamming, perceptual_hash
from handlers.quality import QualityConfig


def test_the_pictures_are_1080p_distinct_and_made_once(tmp_path: Path) -> None:
    paths = ensure_pictures(tmp_path, 6)
    with Image.open(paths[0]) as image:
        assert image.size == SIZE
    hashes = [perceptual_hash(grey_of_file(str(p))) for p in paths]
    closest = min(hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :])
    assert closest > QualityConfig().duplicate_distance, "no two are near-duplicates"
    before = paths[0].stat().st_mtime_ns
    assert ensure_pictures(tmp_path, 6) == paths
    assert paths[0].stat().st_mtime_ns == before


def test_one_daemon_run_takes_the_batch_through_every_stage(tmp_path: Path) -> None:
    paths = ensure_pictures(tmp_path / "pictures", 5)
    run = run_batch(tmp_path / "run", paths)
    assert run.images == 5 and run.kept + run.rejected == 5
    assert {"probe", "shots", "quality", "faces", "scenes", "captions"} <= set(run.stage_seconds)
    assert run.peak_kib > 50 * 1024  # a daemon with its models loaded, not the launcher
    assert all(p.exists() for p in paths), "the originals are linked, never moved"


@pytest.mark.timeout(300)
def test_the_benchmark_prints_both_counts_and_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--counts", "2,3", "--work", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "2 images" in printed and "3 images" in printed
    assert "plain decoding of the same files" in printed
