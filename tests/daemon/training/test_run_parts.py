"""The small parts of a training run: run folders, versions, device policy, buckets."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from daemon.config import TrainingConfig
from daemon.training.buckets import BatchPlan, Bucket, choose_bucket, make_buckets
from daemon.training.policy import training_device, training_due
from daemon.training.progress import TrainingProgress, read_progress, write_progress
from daemon.training.run_folder import (
    RunFolder,
    RunSpec,
    finish_run,
    latest_model,
    models_dir,
    next_version,
    read_spec,
    unfinished_runs,
    write_spec,
)


def test_versions_count_up_over_partial_and_complete_runs(tmp_path: Path) -> None:
    models = models_dir(tmp_path, "Bob-v2")
    assert next_version(models, "Bob-v2") == 1
    (models / "Bob-v2-v1").mkdir(parents=True)
    (models / "Bob-v2-v2.partial").mkdir()
    (models / "Bob-v7").mkdir()  # another character's name pattern, not Bob-v2's
    assert next_version(models, "Bob-v2") == 3
    assert latest_model(tmp_path, "Bob-v2") == RunFolder(models, "Bob-v2", 1)
    assert latest_model(tmp_path, "Bob-v2", version=2) is None
    assert RunFolder.of(models / "Bob-v2-v2.partial") == RunFolder(models, "Bob-v2", 2)


def test_spec_round_trips_and_unfinished_runs_are_found(tmp_path: Path) -> None:
    run = RunFolder(models_dir(tmp_path, "Zoë"), "Zoë", 1)
    run.partial_dir.mkdir(parents=True)
    spec = RunSpec("Zoë", "zoe", 1, TrainingConfig(rank=8, sample_prompts=("a", "b")), "debug")
    write_spec(run.partial_dir, spec)
    assert read_spec(run.partial_dir) == spec
    assert unfinished_runs(tmp_path) == [run]
    assert not finish_run(run)  # no training.json: not finished
    (run.partial_dir / "training.json").write_text("{}")
    assert finish_run(run)
    assert run.complete and run.path == run.final_dir and unfinished_runs(tmp_path) == []


def test_progress_file_round_trips(tmp_path: Path) -> None:
    assert read_progress(tmp_path) is None
    progress = TrainingProgress("training", step=3, steps=10, loss=0.25, device="cpu")
    write_progress(tmp_path, progress)
    read = read_progress(tmp_path)
    assert read is not None and read.updated
    assert dataclasses.replace(read, updated="") == progress
    assert progress.describe() == "training 3/10, loss 0.2500"
    running = dataclasses.replace(progress, steps_per_second=1.94, seconds_left=725.0)
    assert running.describe() == "training 3/10, loss 0.2500, 1.94 steps/s, 12 min left"
    failed = TrainingProgress("failed", step=4, steps=10, error="OutOfMemoryError: CUDA")
    assert failed.describe() == "failed 4/10, OutOfMemoryError: CUDA"


def test_without_a_gpu_training_waits_unless_the_cpu_is_allowed() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    waiting = training_device(TrainingConfig(allow_cpu=False))
    assert waiting.device is None
    assert "training waits" in waiting.reason and "allow_cpu" in waiting.reason
    device, reason = training_device(TrainingConfig(allow_cpu=True))
    assert device == "cpu" and "slow" in reason


def test_a_run_is_due_at_the_minimum_then_after_growth() -> None:
    config = TrainingConfig(min_images=20, growth_fraction=0.25)
    assert not training_due(19, None, config)
    assert training_due(20, None, config)
    assert not training_due(24, 20, config)
    assert training_due(25, 20, config)


def test_buckets_keep_the_area_and_the_shape() -> None:
    buckets = make_buckets(512, bucketing=True)
    assert Bucket(512, 512) in buckets and Bucket(384, 640) in buckets
    assert all(b.width % 64 == 0 and b.height % 64 == 0 for b in buckets)
    assert all(b.width * b.height <= 512 * 512 for b in buckets)
    assert all(max(b.width, b.height) <= 2 * min(b.width, b.height) for b in buckets)
    assert choose_bucket(1920, 1080, buckets) == Bucket(640, 384)
    assert choose_bucket(1000, 1000, buckets) == Bucket(512, 512)
    assert make_buckets(512, bucketing=False) == [Bucket(512, 512)]


def test_the_batch_plan_is_a_function_of_seed_and_step() -> None:
    shapes = [Bucket(64, 64)] * 5 + [Bucket(64, 32)] * 3
    plan = BatchPlan(shapes, batch_size=2, seed=3)
    epoch = [plan.batch(step) for step in range(plan.batches_per_epoch)]
    assert plan.batches_per_epoch == 5
    assert sorted(i for batch in epoch for i in batch) == list(range(8))
    assert all(len({shapes[i] for i in batch}) == 1 for batch in epoch)
    again = BatchPlan(shapes, batch_size=2, seed=3)
    assert [again.batch(s) for s in (7, 2, 11)] == [plan.batch(s) for s in (7, 2, 11)]
    assert [plan.batch(s) for s in range(5, 10)] != epoch  # a new order every epoch
