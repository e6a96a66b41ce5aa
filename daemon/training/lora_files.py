"""What a finished run leaves in its model folder, besides the sample images:
- `pytorch_lora_weights.safetensors`: diffusers' format, for `pipe.load_lora_weights(folder)`;
  the LoRA's rank and alpha travel in its header (`lora_adapter_metadata`);
- `NAME-vN.safetensors`: the same weights with kohya keys, for AUTOMATIC1111 and ComfyUI
  (copy it into their `models/Lora` folder; the file name is the name they show);
- `training.json`: base model, parameters, dataset hash, steps, final loss, duration, device.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import diffusers
import peft
import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.utils.state_dict_utils import convert_state_dict_to_diffusers
from peft import LoraConfig
from safetensors.torch import save_file

from daemon.atomic import write_json_atomic
from daemon.config import TrainingConfig
from daemon.training.kohya_keys import kohya_metadata, to_kohya
from daemon.training.run_folder import LORA_FILE, SUMMARY_FILE, training_from_json


@dataclass(frozen=True)
class TrainingSummary:
    character: str
    trigger_word: str
    version: int
    model: str  # NAME-vN, also the kohya file's name
    base_model: str
    base_model_config: str | None
    parameters: TrainingConfig
    dataset_sha256: str  # the sha256 of the frozen list (file, sha256, caption) of dataset.json
    dataset_images: int
    dataset_excluded: int
    steps: int
    final_loss: float | None  # smoothed over the last ~20 steps
    last_loss: float | None
    duration_seconds: float  # spent in training steps, over every process of the run
    device: str
    precision: str
    resumed_from: tuple[int, ...]
    started: str
    finished: str
    lora_file: str
    kohya_file: str
    samples: tuple[str, ...]
    software: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TrainingSummary:
        values = dict(raw)
        values["parameters"] = training_from_json(raw["parameters"])
        values["resumed_from"] = tuple(raw["resumed_from"])
        values["samples"] = tuple(raw["samples"])
        return cls(**values)


def kohya_file_name(model: str) -> str:
    return f"{model}.safetensors"


def save_lora_files(
    folder: Path,
    model: str,
    peft_state: dict[str, torch.Tensor],
    lora_config: LoraConfig,
    config: TrainingConfig,
    images: int,
) -> None:
    StableDiffusionPipeline.save_lora_weights(
        folder,
        unet_lora_layers=convert_state_dict_to_diffusers(peft_state),
        weight_name=LORA_FILE,
        safe_serialization=True,
        unet_lora_adapter_metadata=lora_config.to_dict(),
    )
    header = kohya_metadata(
        model, config.base_model, config.rank, config.alpha, config.steps, config.resolution, images
    )
    save_file(to_kohya(peft_state, config.alpha), folder / kohya_file_name(model), metadata=header)
    for name in (LORA_FILE, kohya_file_name(model)):
        # safetensors writes 0600; the model files are for other programs (and users) too.
        (folder / name).chmod(folder.stat().st_mode & 0o666)


def software_versions() -> str:
    return f"torch {torch.__version__}, diffusers {diffusers.__version__}, peft {peft.__version__}"


def write_summary(folder: Path, summary: TrainingSummary) -> None:
    write_json_atomic(folder / SUMMARY_FILE, summary.to_json())


def read_summary(folder: Path) -> TrainingSummary:
    raw = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    return TrainingSummary.from_json(raw)
