"""The daemon's training job on a real database and real dataset folders: when runs start,
`bunny train`, resume at start, stop, and what `bunny status` shows. The worker process is
a stand-in here except in the last test, which trains the tiny model for real."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.characters.corrections import DatasetCorrections
from daemon.commands.cli import main
from daemon.config import Config
from daemon.store import TrainingState
from daemon.training.policy import DeviceChoice
from daemon.training.progress import (
    TrainingProgress,
    write_progress,
)
from daemon.training.run_folder import SUMMARY_FILE
from daemon.training.training_process import prepare_run
from daemon.training.trigger import TrainingJob
from tests.daemon.training.harness import CPU, FakeProcess, Harness


@pytest.fixture
def harness(
    tmp_path: Path, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUNNY_CONFIG", raising=False)
    library = tmp_path / "library"
    config = make_config(
        library, min_images=3, growth_fraction=0.5, cooldown_minutes=60.0, check_minutes=5.0
    )
    made = Harness(library, config)
    yield made
    made.repo.close()


def test_threshold_growth_and_cooldown(harness: Harness) -> None:
    job = harness.job()
    harness.add_images("Ann", 2)
    job.tick()
    assert harness.launched == [], "2 captioned images, 3 needed"

    harness.add_images("Ann", 1)
    job.tick()
    assert harness.launched == [], "the next check is due check_minutes later"
    harness.later(5)
    job.tick()
    [first] = harness.launched
    assert first.run.name == "Ann-v1"
    [run] = harness.repo.training_runs()
    assert (run.state, run.basis_images, run.images) == (TrainingState.RUNNING, 3, 3)
    assert run.folder == "characters/Ann/models/Ann-v1.partial"

    first.finish()
    job.tick()
    [run] = harness.repo.training_runs()
    assert (run.state, run.steps, run.final_loss) == (TrainingState.DONE, 8, 0.125)

    harness.add_images("Ann", 1)  # 4: grown by 1, 1.5 needed
    harness.later(5)
    job.tick()
    assert len(harness.launched) == 1
    harness.add_images("Ann", 1)  # 5: grown enough, but within the cooldown
    harness.later(5)
    job.tick()
    assert len(harness.launched) == 1
    harness.later(60)
    job.tick()
    assert [p.run.name for p in harness.launched] == ["Ann-v1", "Ann-v2"]
    assert harness.repo.training_runs()[-1].basis_images == 5


def test_a_finished_movie_makes_the_next_tick_check_at_once(harness: Harness) -> None:
    job = harness.job()
    harness.add_images("Ann", 2)
    job.tick()
    harness.add_images("Ann", 1)
    job.tick()
    assert harness.launched == [], "without news, the next check is check_minutes later"
    job.datasets_changed()
    job.tick()
    assert [p.run.name for p in harness.launched] == ["Ann-v1"]


def test_one_run_at_a_time(harness: Harness) -> None:
    job = harness.job()
    harness.add_images("Ann", 3)
    harness.add_images("Bob", 3)
    job.tick()
    [first] = harness.launched
    assert first.run.name == "Ann-v1"
    harness.later(5)
    job.tick()
    assert len(harness.launched) == 1, "max_concurrent is 1"
    first.finish()
    harness.later(5)
    job.tick()
    assert [p.run.name for p in harness.launched] == ["Ann-v1", "Bob-v1"]


def test_a_deleted_dataset_image_lowers_the_count(harness: Harness) -> None:
    job = harness.job()
    files = harness.add_images("Ann", 3)
    (harness.library / files[0]).unlink()  # the user says: not Ann
    DatasetCorrections(harness.repo, harness.library).run()
    job.tick()
    assert harness.launched == []
    assert [(p.character, p.captioned) for p in harness.repo.caption_progress()] == [("Ann", 2)]


def test_no_device_waits_and_says_why(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    harness.device = DeviceChoice(None, "no GPU: a CPU build; training waits for one")
    job = harness.job()
    harness.add_images("Ann", 3)
    job.tick()
    assert harness.launched == []
    capsys.readouterr()  # the log so far
    harness.repo.beat()  # as the daemon would: status's exit says it is healthy
    assert main(["status", "--library", str(harness.library), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["training_wait"] == "no GPU: a CPU build; training waits for one"
    harness.device = CPU
    harness.later(5)
    job.tick()
    assert len(harness.launched) == 1
    assert harness.repo.training_wait() is None


def test_bunny_train_bypasses_threshold_and_cooldown(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    job = harness.job()
    harness.add_images("Ann", 1)
    capsys.readouterr()
    assert main(["train", "Nobody", "--library", str(harness.library)]) == 1
    assert "no character 'Nobody'" in capsys.readouterr().err
    assert main(["train", "Ann", "--library", str(harness.library)]) == 0
    assert "the daemon is not running" in capsys.readouterr().out
    job.tick()
    [process] = harness.launched
    assert process.run.name == "Ann-v1"
    [run] = harness.repo.training_runs()
    assert (run.state, run.forced, run.version) == (TrainingState.RUNNING, True, 1)
    process.finish()
    job.tick()
    harness.repo.beat()  # a daemon is running now
    capsys.readouterr()
    assert main(["train", "Ann", "--library", str(harness.library)]) == 0
    assert "the daemon starts it within 30 s" in capsys.readouterr().out
    job.tick()  # no cooldown for a run by hand
    assert [p.run.name for p in harness.launched] == ["Ann-v1", "Ann-v2"]


def test_a_request_on_an_unusable_dataset_is_refused(harness: Harness) -> None:
    job = harness.job()
    harness.add_images("Ann", 1)
    for image in (harness.library / "characters" / "Ann" / "dataset").glob("*.txt"):
        image.unlink()  # no captions: validation refuses every image
    harness.repo.request_training("Ann")
    job.tick()
    assert harness.launched == []
    [run] = harness.repo.training_runs()
    assert run.state is TrainingState.REFUSED
    assert run.error and "usable" in run.error


def test_unfinished_runs_resume_first_and_stop_leaves_them_resumable(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.add_images("Ann", 3)
    harness.add_images("Bob", 3)
    # A daemon ran Ann-v1 and died: its row says running, its folder is partial.
    run = prepare_run(harness.library, "Ann", "ann", harness.config)
    harness.repo.training_started("Ann", 1, "characters/Ann/models/Ann-v1.partial", 3, 3)
    write_progress(run.partial_dir, TrainingProgress("training", step=4, steps=8, loss=0.2))

    job = harness.job()
    assert [r.name for r in job.resume_unfinished()] == ["Ann-v1"]
    [process] = harness.launched
    assert process.run == run, "resumed before Bob's new run"
    assert harness.states() == [("Ann", 1, "running")]

    capsys.readouterr()  # the log so far
    harness.repo.beat()  # as the daemon would: status's exit says it is healthy
    assert main(["status", "--library", str(harness.library), "--json"]) == 0
    [line] = json.loads(capsys.readouterr().out)["training"]
    assert (line["character"], line["version"], line["state"]) == ("Ann", 1, "running")
    assert (line["step"], line["steps"], line["loss"]) == (4, 8, 0.2)
    assert main(["status", "--library", str(harness.library)]) == 0
    text = capsys.readouterr().out
    assert "Ann-v1" in text and "training 4/8, loss 0.2000" in text

    job.stop_all(timeout=1.0)
    assert harness.states() == [("Ann", 1, "stopped")]
    job.tick()
    assert len(harness.launched) == 1, "a stopping job starts nothing"


def test_a_killed_run_is_started_again(harness: Harness) -> None:
    harness.add_images("Ann", 3)
    job = harness.job()
    job.tick()
    [first] = harness.launched
    first.code = -9  # killed (out of memory)
    job.tick()
    assert [p.run.name for p in harness.launched] == ["Ann-v1", "Ann-v1"]
    assert harness.states() == [("Ann", 1, "running")]


def kill(process: FakeProcess, checkpoint_step: int) -> None:
    write_progress(process.run.path, TrainingProgress("training", checkpoint_step=checkpoint_step))
    process.code = -9


def test_three_kills_in_a_row_fail_the_run_even_across_daemon_restarts(harness: Harness) -> None:
    harness.add_images("Ann", 3)
    job = harness.job()
    job.tick()
    for attempt in range(3):
        kill(harness.launched[-1], checkpoint_step=0)
        job.tick()  # the daemon sees the kill
        if attempt < 2:
            job.stop_all(timeout=1)
            job = harness.job()  # a daemon started again: the count is in the table
            job.resume_unfinished()
    [run] = harness.repo.training_runs()
    assert run.state is TrainingState.FAILED
    assert run.error is not None and "killed 3 times in a row" in run.error
    launched = len(harness.launched)
    job.tick()
    assert len(harness.launched) == launched, "a failed run is not started again"
    job.stop_all(timeout=1)
    assert harness.job().resume_unfinished() == [], "nor by the next daemon"
    assert len(harness.launched) == launched


def test_kills_with_progress_between_them_keep_resuming(harness: Harness) -> None:
    harness.add_images("Ann", 3)
    job = harness.job()
    job.tick()
    for checkpoint in (0, 100, 200, 300):
        kill(harness.launched[-1], checkpoint_step=checkpoint)
        job.tick()
    assert harness.states() == [("Ann", 1, "running")]
    assert len(harness.launched) == 5


def test_a_real_run_on_the_tiny_model(harness: Harness) -> None:
    harness.add_images("Ann", 3)
    job = TrainingJob(harness.repo, harness.config)
    job.tick()
    deadline = time.monotonic() + 120
    while job.running and time.monotonic() < deadline:
        time.sleep(0.5)
        job.tick()
    [run] = harness.repo.training_runs()
    assert (run.state, run.steps, run.images) == (TrainingState.DONE, 8, 3), run.error
    assert run.final_loss is not None
    assert (harness.library / "characters" / "Ann" / "models" / "Ann-v1" / SUMMARY_FILE).is_file()
