"""What LoRA managers and AUTOMATIC1111 read from a finished model: the kohya file's header
and name, and the images `bunny generate` makes with it (LoRA weight, hashes, old folders)."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file, save

from daemon.config import Config, LogConfig
from daemon.training.base_model import load_pipeline
from daemon.training.generation import GenerateRequest, generate, render
from daemon.training.infotext import GenerationParameters
from daemon.training.lora_files import read_summary
from daemon.training.run_folder import read_spec
from tests.daemon.training.conftest import (
    CHARACTER,
    STEPS,
    TRIGGER,
    Trained,
    parse_infotext,
    tiny_training,
)
from tests.daemon.training.tiny_models import configs_only, write_single_file

KOHYA_FILE = "Amelie_Poulain-v1.safetensors"
OLD_KOHYA_FILE = f"{CHARACTER}-v1.safetensors"  # the name versions before this one wrote


def _header(path: Path) -> dict[str, str]:
    with safe_open(str(path), framework="pt") as handle:
        header = handle.metadata()
    assert isinstance(header, dict)
    return header


def _after_header_sha256(path: Path) -> str:
    data = path.read_bytes()
    start = 8 + int.from_bytes(data[:8], "little")
    return hashlib.sha256(data[start:]).hexdigest()


def test_the_kohya_header_carries_what_sd_scripts_writes(trained: Trained) -> None:
    folder = trained.run.final_dir
    header = _header(folder / KOHYA_FILE)
    summary = read_summary(folder)
    assert summary.kohya_file == KOHYA_FILE
    # 6 images with captions "amelie, a woman, shot N"
    assert json.loads(header["ss_tag_frequency"]) == {
        CHARACTER: {"amelie": 6, "a woman": 6, **{f"shot {i}": 1 for i in range(6)}}
    }
    assert json.loads(header["ss_dataset_dirs"]) == {CHARACTER: {"n_repeats": 1, "img_count": 6}}
    assert header["ss_base_model_version"] == "sd_v1" and header["ss_v2"] == "False"
    assert header["ss_num_epochs"] == "3"  # 8 steps of batches of 2 over 6 images
    assert header["ss_num_batches_per_epoch"] == "3" and header["ss_steps"] == str(STEPS)
    assert header["ss_output_name"] == "Amelie_Poulain-v1"  # A1111's alias: the file's stem
    assert header["ss_sd_model_name"] == "tiny-sd"  # never a local path
    assert "ss_sd_model_hash" not in header  # a folder has no checkpoint hash
    created = datetime.fromisoformat(read_spec(folder).created).timestamp()
    assert float(header["ss_training_started_at"]) == created
    finished = float(header["ss_training_finished_at"])
    assert created < finished <= datetime.fromisoformat(summary.finished).timestamp() + 1
    assert {k: v for k, v in header.items() if k.startswith("modelspec.")} == {
        "modelspec.sai_model_spec": "1.0.1",
        "modelspec.architecture": "stable-diffusion-v1/lora",
        "modelspec.implementation": "diffusers",
        "modelspec.title": f"{CHARACTER}-v1",
        "modelspec.resolution": "32x32",
        "modelspec.trigger_phrase": TRIGGER,
        "modelspec.usage_hint": f"put {TRIGGER} in the prompt",
        "modelspec.date": datetime.fromtimestamp(int(finished), UTC).isoformat(),
        "modelspec.prediction_type": "epsilon",
    }
    # The hashes as A1111 computes them from the file, and as sd-scripts precomputes them.
    assert header["sshs_model_hash"] == _after_header_sha256(folder / KOHYA_FILE)
    tensors = load_file(folder / KOHYA_FILE)
    as_sd_scripts = io.BytesIO(save(tensors, {k: v for k, v in header.items() if k[:3] == "ss_"}))
    as_sd_scripts.seek(0x100000)
    legacy = hashlib.sha256(as_sd_scripts.read(0x10000)).hexdigest()[:8]
    assert header["sshs_legacy_hash"] == legacy


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image, dtype=np.float32)


def test_the_lora_weight_scales_the_lora(trained: Trained, tiny_base_model: Path) -> None:
    config = Config(
        library=trained.library,
        training=tiny_training(tiny_base_model),
        log=LogConfig(console="off"),
    )
    base = np.asarray(
        render(
            load_pipeline(str(tiny_base_model)),
            GenerationParameters(f"{TRIGGER} smiling", "", 3, 7.0, 3, 32, 32, "tiny", ""),
        ),
        dtype=np.float32,
    )
    made = {}
    for weight in (0.0, 1.0):
        request = GenerateRequest(
            CHARACTER, "{trigger} smiling", 1, 3, 3, (32, 32), 7.0, "", lora_weight=weight
        )
        [path] = generate(config, request, io.StringIO())
        made[weight] = _pixels(path)
        with Image.open(path) as image:
            prompt, _, _ = parse_infotext(image.text["parameters"])
        assert prompt.endswith(f"<lora:Amelie_Poulain-v1:{weight:g}>")
    assert np.abs(made[0.0] - base).max() <= 1.0  # weight 0: the base model's picture
    assert np.abs(made[1.0] - base).mean() > 1.0


def test_an_older_folder_keeps_its_file_name_and_a_checkpoint_base_has_its_hash(
    trained: Trained, tiny_base_model: Path, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    models = library / "characters" / CHARACTER / "models"
    folder = Path(shutil.copytree(trained.run.final_dir, models / f"{CHARACTER}-v1"))
    (folder / KOHYA_FILE).rename(folder / OLD_KOHYA_FILE)
    checkpoint = write_single_file(tiny_base_model, tmp_path / "tiny-sd-file.safetensors")
    summary = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    summary |= {
        "kohya_file": OLD_KOHYA_FILE,
        "base_model": str(checkpoint),
        "base_model_config": str(configs_only(tiny_base_model, tmp_path / "configs")),
    }
    (folder / "training.json").write_text(json.dumps(summary), encoding="utf-8")
    config = Config(library=library, log=LogConfig(console="off"))
    request = GenerateRequest(CHARACTER, "{trigger}", count=1, seed=1, steps=2, size=(32, 32))
    [path] = generate(config, request, io.StringIO())
    with Image.open(path) as image:
        prompt, _, fields = parse_infotext(image.text["parameters"])
    assert prompt == f"{TRIGGER} <lora:{CHARACTER}-v1:1>"
    file_hash = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    assert fields["Model hash"] == file_hash[:10] and fields["Model"] == "tiny-sd-file"
    lora_hash = _after_header_sha256(folder / OLD_KOHYA_FILE)[:12]
    assert fields["Lora hashes"] == f"{CHARACTER}-v1: {lora_hash}"
    assert sorted(p.name for p in folder.glob("*.safetensors")) == [
        OLD_KOHYA_FILE,
        "pytorch_lora_weights.safetensors",
    ]
