"""A real training run in its own process: stopped, killed, resumed, finished; then the model
files, the LoRA's effect on generation, the kohya copy and `bunny generate`."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from safetensors import safe_open

from daemon.commands.cli import main
from daemon.config import Config, LogConfig
from daemon.training import worker
from daemon.training.base_model import load_pipeline
from daemon.training.generation import GenerationParameters, render
from daemon.training.lora_files import read_summary
from daemon.training.progress import EXIT_FAILED, read_progress
from daemon.training.training_process import prepare_run
from tests.daemon.training.conftest import (
    CHARACTER,
    STEPS,
    TRIGGER,
    Trained,
    parse_infotext,
    tiny_training,
    write_dataset,
)

KOHYA_FILE = "Amelie_Poulain-v1.safetensors"  # the character's name without accent or space


def test_stop_and_kill_resume_from_the_last_checkpoint(trained: Trained) -> None:
    stopped, killed = trained.stopped.progress, trained.killed.progress
    assert stopped is not None and killed is not None
    assert stopped.state == "stopped"
    assert stopped.checkpoint_step == stopped.step >= 1  # a checkpoint at the step it stopped
    assert trained.killed.outcome == "killed" and trained.killed.exit_code == -signal.SIGKILL
    assert killed.state == "training"  # nobody wrote anything for a killed process
    summary = read_summary(trained.run.final_dir)
    assert summary.resumed_from[0] == stopped.step
    assert killed.checkpoint_step <= summary.resumed_from[1] < STEPS  # not from step 0
    assert len(summary.resumed_from) == 2
    log = [
        json.loads(line) for line in (trained.run.final_dir / "train.log").read_text().splitlines()
    ]
    loaded = [entry.get("resumed_from") for entry in log if entry["event"] == "base model loaded"]
    assert loaded == [None, *summary.resumed_from]


def test_the_finished_run_has_its_files_and_its_final_name(
    trained: Trained, tiny_base_model: Path
) -> None:
    run = trained.run
    assert run.complete and not run.partial_dir.exists()
    folder = run.final_dir
    assert folder.name == f"{CHARACTER}-v1"
    names = {p.name for p in folder.iterdir()}
    assert {"pytorch_lora_weights.safetensors", KOHYA_FILE} <= names
    assert {"training.json", "dataset.json", "run.json", "progress.json", "samples"} <= names
    assert not {"checkpoint.pt", "dataset", "worker.lock"} & names  # only a resume needed them
    mode = (folder / "run.json").stat().st_mode  # as the umask says, like every other file
    assert (folder / "pytorch_lora_weights.safetensors").stat().st_mode == mode
    assert (folder / KOHYA_FILE).stat().st_mode == mode
    progress = trained.done.progress
    assert progress is not None and progress.state == "done" and progress.step == STEPS
    summary = read_summary(folder)
    assert summary.steps == STEPS and summary.device == "cpu" and summary.precision == "float32"
    assert summary.base_model == str(tiny_base_model)
    assert summary.final_loss is not None and np.isfinite(summary.final_loss)
    assert summary.duration_seconds > 0 and summary.dataset_images == 6
    dataset = json.loads((folder / "dataset.json").read_text())
    assert summary.dataset_sha256 == dataset["list_sha256"]
    assert summary.parameters.rank == 4 and summary.parameters.alpha == 8
    for name in summary.samples:
        with Image.open(folder / name) as sample:
            assert sample.size == (32, 32)
            prompt, _, fields = parse_infotext(sample.text["parameters"])
            assert prompt.endswith(" <lora:Amelie_Poulain-v1:1>") and fields["Seed"] == "1234"
            lora_hash = fields["Lora hashes"].removeprefix("Amelie_Poulain-v1: ")
            assert lora_hash == _kohya_header(folder)["sshs_model_hash"][:12]
            assert json.loads(sample.text["bunny"])["lora"] == f"{CHARACTER}-v1"
    assert len(summary.samples) == 2


def _kohya_header(folder: Path) -> dict[str, str]:
    with safe_open(str(folder / KOHYA_FILE), framework="pt") as handle:
        header: dict[str, str] = handle.metadata()
    return header


def test_the_kohya_copy_has_kohya_keys_and_the_configured_alpha(trained: Trained) -> None:
    path = trained.run.final_dir / KOHYA_FILE
    with safe_open(str(path), framework="pt") as handle:
        keys = set(handle.keys())
        header = handle.metadata()
        alpha = handle.get_tensor(
            "lora_unet_down_blocks_1_attentions_0_transformer_blocks_0_attn1_to_q.alpha"
        )
    assert all(k.startswith("lora_unet_") for k in keys)
    modules = {
        k.rsplit(".", 2)[0] if "lora_" in k.split(".", 1)[1] else k.rsplit(".", 1)[0] for k in keys
    }
    assert "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_out_0" in modules
    for module in modules:
        assert {f"{module}.lora_down.weight", f"{module}.lora_up.weight", f"{module}.alpha"} <= keys
    assert float(alpha) == 8.0
    assert header["ss_network_dim"] == "4" and header["ss_network_alpha"] == "8"


def _render(pipe: object, seed: int = 3) -> np.ndarray:
    params = GenerationParameters(f"{TRIGGER} smiling", "", 3, 5.0, seed, 32, 32, "tiny", "")
    return np.asarray(render(pipe, params), dtype=np.float32)  # type: ignore[arg-type]


def test_the_lora_loads_and_changes_generation_the_same_in_both_formats(
    trained: Trained, tiny_base_model: Path
) -> None:
    folder = trained.run.final_dir
    base = _render(load_pipeline(str(tiny_base_model)))
    assert np.array_equal(base, _render(load_pipeline(str(tiny_base_model))))  # deterministic
    with_lora = load_pipeline(str(tiny_base_model))
    with_lora.load_lora_weights(folder)
    changed = _render(with_lora)
    assert np.abs(changed - base).mean() > 1.0  # the LoRA changes the pixels
    kohya = load_pipeline(str(tiny_base_model))
    kohya.load_lora_weights(folder, weight_name=KOHYA_FILE)
    assert np.abs(_render(kohya) - changed).max() <= 1.0  # same strength: alpha / rank kept


@pytest.mark.usefixtures("own_logging")
def test_bunny_generate_writes_pngs_with_a1111_parameters_and_shows_progress(
    trained: Trained, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", CHARACTER, "{trigger} on a bench", "-n", "2", "--seed", "40"]
    options = ["--steps", "2", "--size", "32x24", "--sampler", "dpmpp-2m-karras"]
    options += ["--lora-weight", "0.75", "--negative", "blurry, deformed"]
    code = main([*argv, *options, "--library", str(trained.library)])
    assert code == 0
    shown = capsys.readouterr()
    paths = [Path(line) for line in shown.out.splitlines()]
    assert [p.parent for p in paths] == [
        trained.library / "characters" / CHARACTER / "generated"
    ] * 2
    # Not a terminal: one progress line per image, on stderr.
    assert [line.split(" done in ")[0] for line in shown.err.splitlines()] == [
        "image 1/2",
        "image 2/2",
    ]
    assert shown.err.splitlines()[1].endswith(f"0:00 left: {paths[1]}")
    with safe_open(str(trained.run.final_dir / KOHYA_FILE), framework="pt") as handle:
        lora_hash = handle.metadata()["sshs_model_hash"][:12]
    seeds = []
    for path in paths:
        with Image.open(path) as image:
            assert image.size == (32, 24)
            params = json.loads(image.text["bunny"])
            prompt, negative, fields = parse_infotext(image.text["parameters"])
        assert prompt == f"{TRIGGER} on a bench <lora:Amelie_Poulain-v1:0.75>"
        assert negative == "blurry, deformed"
        assert fields == {
            "Steps": "2",
            "Sampler": "DPM++ 2M Karras",
            "CFG scale": "7",
            "Seed": str(params["seed"]),
            "Size": "32x24",
            "Model": "tiny-sd",  # the folder's name, not its path; a folder has no hash
            "Lora hashes": f"Amelie_Poulain-v1: {lora_hash}",
            "Version": "diffusion-bunny 0.1.0",
        }
        assert params["prompt"] == f"{TRIGGER} on a bench" and params["steps"] == 2
        assert params["lora"] == f"{CHARACTER}-v1" and params["lora_weight"] == 0.75
        seeds.append(params["seed"])
    assert seeds == [40, 41]
    log = [json.loads(line) for line in (trained.library / "logs" / "bunny.log").open()]
    made = [entry for entry in log if entry["event"] == "image generated"]
    assert [(e["image"], e["count"], e["seed"], e["path"]) for e in made] == [
        (1, 2, 40, str(paths[0])),
        (2, 2, 41, str(paths[1])),
    ]
    missing = main(["generate", "Nobody", "x", "--library", str(trained.library)])
    assert missing == 1
    assert "'Nobody' has no trained model" in capsys.readouterr().err


@pytest.mark.usefixtures("own_logging")
def test_a_run_on_a_missing_base_model_fails_with_its_reason(tmp_path: Path) -> None:
    library = tmp_path / "library"
    write_dataset(library / "characters" / CHARACTER / "dataset", count=2)
    training = tiny_training(tmp_path / "no-such-model", steps=2)
    config = Config(library=library, training=training, log=LogConfig(console="off"))
    run = prepare_run(library, CHARACTER, TRIGGER, config)
    assert worker.main([str(run.partial_dir)]) == EXIT_FAILED
    progress = read_progress(run.partial_dir)
    assert progress is not None and progress.state == "failed"
    assert progress.error.startswith("BaseModelError: training.base_model:")
    assert "no-such-model" in progress.error
    log = (run.partial_dir / "train.log").read_text()
    assert '"event": "training failed"' in log and "Traceback" in log
