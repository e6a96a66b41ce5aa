"""The training loop and the base model loader, in this process: resume equals no pause,
a single-file checkpoint loads like its diffusers folder, and a run without a device waits."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from daemon.config import Config, LogConfig
from daemon.training.base_model import BaseModelError, base_model_kind, load_pipeline
from daemon.training.lora_training import LoraTrainer, learning_rate_at
from daemon.training.progress import EXIT_NO_DEVICE, read_progress
from daemon.training.run_folder import read_spec
from daemon.training.training_process import prepare_run
from daemon.training.worker_run import StopFlag, run_training
from tests.daemon.training.conftest import CHARACTER, TRIGGER, tiny_training, write_dataset
from tests.daemon.training.tiny_models import configs_only, write_single_file


def _trainer(base: Path, checkpoint: Path, images: list[Path]) -> LoraTrainer:
    config = tiny_training(base, steps=4, checkpoint_every=2)
    trainer = LoraTrainer(load_pipeline(str(base)), config, "cpu", checkpoint)
    trainer.resume()
    trainer.cache(images, [f"{TRIGGER}, picture {i}" for i in range(len(images))])
    return trainer


def test_a_resumed_run_ends_exactly_where_an_uninterrupted_one_does(
    tmp_path: Path, tiny_base_model: Path
) -> None:
    images = write_dataset(tmp_path / "dataset", count=5)
    straight = _trainer(tiny_base_model, tmp_path / "straight.pt", images)
    assert straight.train(lambda _: None, lambda: False)

    first = _trainer(tiny_base_model, tmp_path / "cut.pt", images)
    assert not first.train(lambda _: None, lambda: first.step >= 3)  # stops after step 3
    resumed = _trainer(tiny_base_model, tmp_path / "cut.pt", images)
    assert resumed.step == 3 and resumed.resumes == [3]
    assert resumed.train(lambda _: None, lambda: False)

    expected, got = straight.lora_state_dict(), resumed.lora_state_dict()
    # 8 attention layers (self and cross, in 4 transformer blocks) x q, k, v, out x A, B
    assert expected.keys() == got.keys() and len(expected) == 8 * 4 * 2
    for key, value in expected.items():
        assert torch.allclose(value, got[key], atol=1e-6), key
    assert resumed.smoothed_loss == pytest.approx(straight.smoothed_loss)
    initial = _trainer(tiny_base_model, tmp_path / "fresh.pt", images).lora_state_dict()
    assert any(not torch.equal(initial[k], v) for k, v in expected.items())  # it did learn


def test_learning_rate_warms_up_and_follows_its_schedule(tiny_base_model: Path) -> None:
    constant = tiny_training(tiny_base_model, learning_rate=1.0, lr_warmup_steps=4, steps=10)
    assert [learning_rate_at(s, constant) for s in (0, 3, 9)] == [0.25, 1.0, 1.0]
    cosine = tiny_training(tiny_base_model, learning_rate=1.0, lr_schedule="cosine", steps=10)
    assert learning_rate_at(0, cosine) == 1.0
    assert learning_rate_at(5, cosine) == pytest.approx(0.5)


def test_a_single_checkpoint_file_loads_like_its_diffusers_folder(
    tmp_path: Path, tiny_base_model: Path
) -> None:
    checkpoint = write_single_file(tiny_base_model, tmp_path / "tiny-sd.safetensors")
    configs = configs_only(tiny_base_model, tmp_path / "configs")  # no weights in it
    assert base_model_kind(str(checkpoint)) == "file"
    from_file = load_pipeline(str(checkpoint), str(configs))
    from_folder = load_pipeline(str(tiny_base_model))
    for part in ("unet", "vae", "text_encoder"):
        mine, theirs = (
            getattr(from_file, part).state_dict(),
            getattr(from_folder, part).state_dict(),
        )
        assert mine.keys() == theirs.keys()
        assert all(torch.equal(mine[k], theirs[k]) for k in mine), part


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("/nowhere/model.safetensors", "no such file"),
        ("./models/sd15", "neither a folder, a checkpoint file, nor a hub id"),
        ("a/b/c", "neither a folder"),
    ],
)
def test_a_wrong_base_model_says_what_is_wrong(source: str, message: str) -> None:
    with pytest.raises(BaseModelError, match=message):
        base_model_kind(source)
    assert base_model_kind("stable-diffusion-v1-5/stable-diffusion-v1-5") == "hub"


def test_without_an_allowed_device_the_run_waits_and_says_why(
    tmp_path: Path, tiny_base_model: Path
) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    library = tmp_path / "library"
    write_dataset(library / "characters" / CHARACTER / "dataset", count=2)
    training = tiny_training(tiny_base_model, allow_cpu=False)
    config = Config(library=library, training=training, log=LogConfig(console="off"))
    run = prepare_run(library, CHARACTER, TRIGGER, config)
    stop = StopFlag(parent=os.getppid())
    assert run_training(run, read_spec(run.partial_dir), stop) == EXIT_NO_DEVICE
    progress = read_progress(run.partial_dir)
    assert progress is not None and progress.state == "stopped"
    assert "training waits for one" in progress.error
