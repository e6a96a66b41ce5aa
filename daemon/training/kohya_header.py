"""The header of the kohya-format LoRA file: the fields sd-scripts writes and that AUTOMATIC1111,
Forge, ComfyUI and the LoRA managers (Civitai Helper, Lora Manager, ...) read.

- `ss_*`: sd-scripts' training record. `ss_tag_frequency` is {folder: {tag: count}}, the tags
  being the comma-separated, lower-cased pieces of the captions (the managers show the most
  frequent as trigger words); `ss_dataset_dirs` is {folder: {n_repeats, img_count}}. The
  folder is named after the character (sd-scripts uses the image folder's name, which is
  always `dataset` here). Times are unix seconds, as sd-scripts writes them.
- `modelspec.*`: Stability AI's model spec (architecture, implementation, title, resolution,
  trigger phrase, date, prediction type).
- `sshs_model_hash` / `sshs_legacy_hash`: the file's hashes, precomputed as sd-scripts does
  (A1111 takes `Lora hashes` from `sshs_model_hash`).
Every value is a string: safetensors headers hold only strings.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from daemon.config import TrainingConfig
from daemon.training.dataset_freeze import FrozenDataset
from daemon.training.model_hashes import file_sha256, legacy_model_hash

SD2_CROSS_ATTENTION = 1024  # OpenCLIP ViT-H; SD 1.x has 768 (CLIP ViT-L)
MODELSPEC_VERSION = "1.0.1"
IMPLEMENTATION = "diffusers"  # sd-scripts' value for an SD 1/2 LoRA


@dataclass(frozen=True)
class BaseFamily:
    """Which Stable Diffusion the LoRA was trained on."""

    v2: bool
    v_prediction: bool

    @classmethod
    def of(cls, cross_attention_dim: int, prediction_type: str) -> BaseFamily:
        return cls(cross_attention_dim == SD2_CROSS_ATTENTION, prediction_type == "v_prediction")

    @property
    def version(self) -> str:  # ss_base_model_version
        return ("sd_v2" if self.v2 else "sd_v1") + ("_v" if self.v_prediction else "")

    @property
    def architecture(self) -> str:  # modelspec.architecture
        if not self.v2:
            return "stable-diffusion-v1/lora"
        return f"stable-diffusion-v2-{'768-v' if self.v_prediction else '512'}/lora"


@dataclass(frozen=True)
class LoraRecord:
    """What the header says about one finished run."""

    model: str  # NAME-vN: the title
    output_name: str  # the kohya file's stem: what A1111 calls the LoRA
    character: str
    trigger_word: str
    family: BaseFamily
    config: TrainingConfig
    dataset: FrozenDataset
    steps: int
    started_at: float  # unix seconds
    finished_at: float


def tag_frequency(captions: list[str]) -> dict[str, int]:
    tags = (tag.strip().lower() for caption in captions for tag in caption.split(","))
    return dict(Counter(tag for tag in tags if tag))


def _unix(moment: float) -> str:
    return repr(float(moment))


def _base_model_fields(base_model: str) -> dict[str, str]:
    """The base model's name as sd-scripts writes it: a local path's last part, else the hub
    id; a checkpoint file's hashes too (A1111's old 8-digit one and the full sha256)."""
    path = Path(base_model).expanduser()
    if not path.exists():
        return {"ss_sd_model_name": base_model}
    fields = {"ss_sd_model_name": path.name}
    if path.is_file():
        fields["ss_sd_model_hash"] = legacy_model_hash(path)
        fields["ss_new_sd_model_hash"] = file_sha256(path)
    return fields


def training_fields(record: LoraRecord) -> dict[str, str]:
    config, images = record.config, len(record.dataset.items)
    batches_per_epoch = max(1, math.ceil(images / config.batch_size))
    epochs = math.ceil(record.steps / batches_per_epoch)
    folder = record.character
    return {
        "ss_network_module": "networks.lora",
        "ss_network_dim": str(config.rank),
        "ss_network_alpha": f"{config.alpha:g}",
        "ss_output_name": record.output_name,
        **_base_model_fields(config.base_model),
        "ss_base_model_version": record.family.version,
        "ss_v2": str(record.family.v2),
        "ss_training_started_at": _unix(record.started_at),
        "ss_training_finished_at": _unix(record.finished_at),
        "ss_max_train_steps": str(config.steps),
        "ss_steps": str(record.steps),
        "ss_num_epochs": str(epochs),
        "ss_epoch": str(epochs),
        "ss_num_batches_per_epoch": str(batches_per_epoch),
        "ss_batch_size_per_device": str(config.batch_size),
        "ss_learning_rate": f"{config.learning_rate:g}",
        "ss_lr_scheduler": config.lr_schedule,
        "ss_lr_warmup_steps": str(config.lr_warmup_steps),
        "ss_seed": str(config.seed),
        "ss_resolution": f"({config.resolution}, {config.resolution})",
        "ss_num_train_images": str(images),
        "ss_dataset_dirs": json.dumps({folder: {"n_repeats": 1, "img_count": images}}),
        "ss_tag_frequency": json.dumps(
            {folder: tag_frequency([item.caption for item in record.dataset.items])}
        ),
        "ss_training_comment": "trained by diffusion-bunny (diffusers + peft)",
    }


def modelspec_fields(record: LoraRecord) -> dict[str, str]:
    resolution = record.config.resolution
    finished = datetime.fromtimestamp(record.finished_at, UTC)
    return {
        "modelspec.sai_model_spec": MODELSPEC_VERSION,
        "modelspec.architecture": record.family.architecture,
        "modelspec.implementation": IMPLEMENTATION,
        "modelspec.title": record.model,
        "modelspec.resolution": f"{resolution}x{resolution}",
        "modelspec.trigger_phrase": record.trigger_word,
        "modelspec.usage_hint": f"put {record.trigger_word} in the prompt",
        "modelspec.date": finished.isoformat(timespec="seconds"),
        "modelspec.prediction_type": "v" if record.family.v_prediction else "epsilon",
    }
