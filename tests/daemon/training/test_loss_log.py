"""Each step's loss in `losses.csv`: written by the worker with its progress, read back by
the review page's loss curve, a resumed stretch and a line cut by a kill included."""

from __future__ import annotations

from pathlib import Path

import pytest

from daemon.training.lora_files import read_summary
from daemon.training.loss_log import LOSS_FILE, LossLog, LossPoint, read_losses
from tests.daemon.training.conftest import STEPS, Trained


def test_lines_reach_the_file_at_each_flush_under_one_header(tmp_path: Path) -> None:
    log = LossLog(tmp_path)
    log.add(1, 0.5, 0.5)
    assert not (tmp_path / LOSS_FILE).exists()  # gathered until the progress is written
    log.flush()
    log.add(2, 0.25, 0.45)
    log.add(3, 0.125, 0.4175)
    log.flush()
    log.flush()
    lines = (tmp_path / LOSS_FILE).read_text().splitlines()
    assert lines == ["step,loss,smoothed_loss", "1,0.5,0.5", "2,0.25,0.45", "3,0.125,0.4175"]
    assert read_losses(tmp_path) == (
        LossPoint(1, 0.5, 0.5), LossPoint(2, 0.25, 0.45), LossPoint(3, 0.125, 0.4175),
    )  # fmt: skip


def test_a_resumed_run_appends_again_and_the_last_line_of_a_step_counts(tmp_path: Path) -> None:
    first = LossLog(tmp_path)
    for step in (1, 2, 3):
        first.add(step, 1.0 / step, 1.0)
    first.flush()
    with (tmp_path / LOSS_FILE).open("a") as handle:
        handle.write("4,0.2")  # the kill came mid-line
    resumed = LossLog(tmp_path)  # a new process, from the checkpoint at step 2
    resumed.add(3, 0.3, 0.9)
    resumed.flush()
    assert [(p.step, p.loss) for p in read_losses(tmp_path)] == [(1, 1.0), (2, 0.5), (3, 0.3)]
    assert read_losses(tmp_path / "none") == ()


def test_a_stopped_killed_and_resumed_run_records_every_step(trained: Trained) -> None:
    folder = trained.run.final_dir
    points = read_losses(folder)
    assert [p.step for p in points] == list(range(1, STEPS + 1))
    summary = read_summary(folder)
    assert points[-1].smoothed == pytest.approx(summary.final_loss)
    assert points[-1].loss == pytest.approx(summary.last_loss)
    # Steps after the killed worker's checkpoint (if any) were written again, not lost.
    lines = (folder / LOSS_FILE).read_text().splitlines()
    assert lines[0] == "step,loss,smoothed_loss" and len(lines) - 1 >= STEPS
