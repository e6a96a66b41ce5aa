"""Loss curves kept per run folder: read once, read again when losses.csv changes (a run in
progress appends to it every second), the oldest forgotten past the limit."""

from __future__ import annotations

import os
from pathlib import Path

from daemon.reports.loss_curves import LossCurves, LossSource
from daemon.training.loss_log import LossLog


def write_steps(folder: Path, steps: range) -> None:
    log = LossLog(folder)
    for step in steps:
        log.add(step, 1.0 / step, 1.0 / step)
    log.flush()


def test_a_curve_is_kept_until_its_file_changes(tmp_path: Path) -> None:
    write_steps(tmp_path, range(1, 4))
    curves = LossCurves()
    first = curves.of(tmp_path)
    assert (first.source, [p.step for p in first.points]) == (LossSource.STEPS, [1, 2, 3])
    assert curves.of(tmp_path) is first  # not read again
    write_steps(tmp_path, range(4, 6))
    grown = curves.of(tmp_path)
    assert [p.step for p in grown.points] == [1, 2, 3, 4, 5]


def test_a_rewrite_of_the_same_size_is_seen_by_its_time(tmp_path: Path) -> None:
    write_steps(tmp_path, range(1, 3))
    curves = LossCurves()
    before = curves.of(tmp_path)
    path = tmp_path / "losses.csv"
    text = path.read_text().replace("0.5,0.5", "0.7,0.7")
    stat = path.stat()
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    after = curves.of(tmp_path)
    assert before.points[1].loss == 0.5 and after.points[1].loss == 0.7


def test_the_oldest_curves_are_forgotten(tmp_path: Path) -> None:
    folders = [tmp_path / str(n) for n in range(3)]
    for folder in folders:
        folder.mkdir()
        write_steps(folder, range(1, 3))
    curves = LossCurves(kept=2)
    kept = [curves.of(folder) for folder in folders]
    assert curves.of(folders[2]) is kept[2]
    assert curves.of(folders[0]) is not kept[0]  # forgotten, read again
    assert curves.of(tmp_path / "none").source is LossSource.NONE
