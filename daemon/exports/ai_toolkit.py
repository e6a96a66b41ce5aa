"""ai-toolkit (ostris): `images/` with a `.txt` caption beside each image, and `config.yaml`,
a job for `python run.py config.yaml`.

The job has the shape of ai-toolkit's config/examples/train_lora_*.yaml: `job: extension`, one
`sd_trainer` process whose dataset is the folder (`folder_path`, `caption_ext: txt`,
`resolution`), with the `trigger_word`, the LoRA's rank and alpha, and training's steps,
batch and learning rate. Its example says it reads jpg, jpeg and png: others are left out.
"""

from __future__ import annotations

from typing import Any, ClassVar

import yaml

from daemon.config import TrainingConfig
from daemon.exports.export_folder import ExportFolder
from daemon.exports.formats import CharacterDataset, ExportFormat
from daemon.exports.safe_names import job_name

IMAGES_FOLDER = "images"
CONFIG_FILE = "config.yaml"
DTYPES = {"fp16": "fp16", "bf16": "bf16", "no": "fp32"}


class AiToolkitLayout:
    format: ClassVar[ExportFormat] = ExportFormat.AI_TOOLKIT
    suffixes: ClassVar[tuple[str, ...]] = (".jpg", ".jpeg", ".png")

    def write(
        self, dataset: CharacterDataset, folder: ExportFolder, training: TrainingConfig
    ) -> None:
        for image in dataset.images:
            folder.place_with_caption(image, IMAGES_FOLDER)
        job = _job(dataset, str(folder.path(IMAGES_FOLDER).resolve()), training)
        folder.write_text(CONFIG_FILE, yaml.safe_dump(job, sort_keys=False, allow_unicode=True))


def _job(dataset: CharacterDataset, images: str, training: TrainingConfig) -> dict[str, Any]:
    process = {
        "type": "sd_trainer",
        "training_folder": "output",
        "trigger_word": dataset.trigger_word,
        "network": {"type": "lora", "linear": training.rank, "linear_alpha": training.alpha},
        "datasets": [
            {
                "folder_path": images,
                "caption_ext": "txt",
                "resolution": [training.resolution],
                "buckets": training.bucketing,
            }
        ],
        "train": {
            "batch_size": training.batch_size,
            "steps": training.steps,
            "lr": training.learning_rate,
            "gradient_checkpointing": training.gradient_checkpointing,
            "dtype": DTYPES[training.mixed_precision],
        },
        "model": {"name_or_path": training.base_model},
        "sample": {
            "sample_every": training.steps,
            "width": training.resolution,
            "height": training.resolution,
            # ai-toolkit puts the trigger word where a prompt says [trigger].
            "prompts": [p.replace("{trigger}", "[trigger]") for p in training.sample_prompts],
            "neg": training.sample_negative_prompt,
            "seed": training.sample_seed,
            "guidance_scale": training.sample_guidance,
            "sample_steps": training.sample_steps,
        },
    }
    return {"job": "extension", "config": {"name": job_name(dataset.name), "process": [process]}}
