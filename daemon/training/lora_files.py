"""What a finished run leaves in its model folder, besides the sample images:
- `pytorch_lora_weights.safetensors`: diffusers' format, for `pipe.load_lora_weights(folder)`;
  the LoRA's rank and alpha travel in its header (`lora_adapter_metadata`);
- `NAME-vN.safetensors`: the same weights with kohya keys and sd-scripts' header (see
  kohya_header.py), for AUTOMATIC1111 and ComfyUI (copy it into their `models/Lora` folder;
  the file name is the name they show). NAME is the character's name made safe for
  `<lora:NAME-vN:1>`: accents dropped, spaces and characters other than letters, digits,
  `-`, `_` and `.` made `_` (`Amélie Poulain-v2` -> `Amelie_Poulain-v2`). Folders written
  before kept the name they had; training.json's `kohya_file` says which it is;
- `training.json`: base model, parameters, dataset hash, steps, final loss, duration, device.
"""

from __future__ import annotations

import dataclasses
import json
import re
import unicodedata
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
from daemon.training.kohya_header import LoraRecord, modelspec_fields, training_fields
from daemon.training.kohya_keys import to_kohya
from daemon.training.model_hashes import precalculated_hashes
from daemon.training.run_folder import LORA_FILE, SUMMARY_FILE, training_from_json


@dataclass(frozen=True)
class TrainingSummary:
    character: str
    trigger_word: str
    version: int
    model: str  # NAME-vN
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


_UNSAFE = re.compile(r"[^\w.-]+")  # \w: letters and digits of any script, and _


def kohya_file_stem(model: str) -> str:
    """`model` without spaces, accents or characters that break `<lora:NAME:WEIGHT>`."""
    decomposed = unicodedata.normalize("NFKD", model)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    stem = _UNSAFE.sub("_", unicodedata.normalize("NFC", bare)).strip("_.")
    return stem or "lora"


def kohya_file_name(model: str) -> str:
    return f"{kohya_file_stem(model)}.safetensors"


def save_lora_files(
    folder: Path,
    peft_state: dict[str, torch.Tensor],
    lora_config: LoraConfig,
    record: LoraRecord,
) -> str:
    """Write both model files; the kohya file's name."""
    StableDiffusionPipeline.save_lora_weights(
        folder,
        unet_lora_layers=convert_state_dict_to_diffusers(peft_state),
        weight_name=LORA_FILE,
        safe_serialization=True,
        unet_lora_adapter_metadata=lora_config.to_dict(),
    )
    kohya_file = f"{record.output_name}.safetensors"
    tensors = to_kohya(peft_state, record.config.alpha)
    header = training_fields(record)
    header |= precalculated_hashes(tensors, header) | modelspec_fields(record)
    save_file(tensors, folder / kohya_file, metadata=header)
    for name in (LORA_FILE, kohya_file):
        # safetensors writes 0600; the model files are for other programs (and users) too.
        (folder / name).chmod(folder.stat().st_mode & 0o666)
    return kohya_file


def software_versions() -> str:
    return f"torch {torch.__version__}, diffusers {diffusers.__version__}, peft {peft.__version__}"


def write_summary(folder: Path, summary: TrainingSummary) -> None:
    write_json_atomic(folder / SUMMARY_FILE, summary.to_json())


def read_summary(folder: Path) -> TrainingSummary:
    raw = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8"))
    return TrainingSummary.from_json(raw)
