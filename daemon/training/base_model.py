"""The one loader of a base model, for training and for generation.

`training.base_model` is one of:
- a local diffusers folder (`model_index.json`, `unet/`, `vae/`, ...): read as it is;
- one checkpoint file (`.safetensors` or `.ckpt`, the original Stable Diffusion layout that
  A1111 and ComfyUI users have): converted by diffusers' `from_single_file`. The component
  configs come from `training.base_model_config` (a diffusers folder or hub id); when that is
  null diffusers guesses the model family from the file and fetches its configs from the hub
  once (a few kB, cached), which needs the network the first time;
- a Hugging Face hub id: downloaded once into the Hugging Face cache (`HF_HOME`), offline
  afterwards (`HF_HUB_OFFLINE=1`).
Stable Diffusion 1.x and 2.x pipelines (one CLIP text encoder) are supported.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Literal

import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.utils import logging as diffusers_logging
from transformers.utils import logging as transformers_logging

SINGLE_FILE_SUFFIXES = (".safetensors", ".ckpt")
Kind = Literal["folder", "file", "hub"]


class BaseModelError(Exception):
    """The base model cannot be found or loaded; the message says what to change."""


def base_model_kind(source: str) -> Kind:
    path = Path(source).expanduser()
    if path.is_dir():
        return "folder"
    if path.suffix.lower() in SINGLE_FILE_SUFFIXES or path.is_file():
        if not path.is_file():
            raise BaseModelError(f"training.base_model: no such file {path}")
        return "file"
    if path.is_absolute() or source.startswith((".", "~")) or source.count("/") != 1:
        raise BaseModelError(
            f"training.base_model: {source!r} is neither a folder, a checkpoint file, nor a "
            "hub id (owner/name)"
        )
    return "hub"


def load_pipeline(
    source: str, model_config: str | None = None, dtype: torch.dtype = torch.float32
) -> StableDiffusionPipeline:
    """The base model as a StableDiffusionPipeline (no safety checker), on the CPU."""
    kind = base_model_kind(source)
    path = Path(source).expanduser()
    # `torch_dtype` works in every diffusers this project allows; 0.42 prefers `dtype`, which
    # older ones do not take.
    warnings.filterwarnings("ignore", message=".*torch_dtype.*", category=FutureWarning)
    diffusers_logging.disable_progress_bar()  # no progress bars in logs and worker output
    transformers_logging.disable_progress_bar()
    try:
        if kind == "folder":
            pipe = StableDiffusionPipeline.from_pretrained(
                path,
                torch_dtype=dtype,
                local_files_only=True,
                safety_checker=None,
                requires_safety_checker=False,
            )
        elif kind == "file":
            folder = Path(model_config).expanduser() if model_config else None
            local = folder is not None and folder.is_dir()
            pipe = StableDiffusionPipeline.from_single_file(
                str(path),
                config=str(folder) if local else model_config,
                local_files_only=local,
                torch_dtype=dtype,
                safety_checker=None,
                requires_safety_checker=False,
            )
        else:
            pipe = StableDiffusionPipeline.from_pretrained(
                source, torch_dtype=dtype, safety_checker=None, requires_safety_checker=False
            )
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        hint = ""
        if kind == "file" and model_config is None:
            hint = (
                "; for a checkpoint file, set training.base_model_config to a diffusers folder "
                "or hub id of the same model family (its configs are needed)"
            )
        raise BaseModelError(f"cannot load base model {source!r} ({kind}): {exc}{hint}") from exc
    if not isinstance(pipe, StableDiffusionPipeline):
        raise BaseModelError(
            f"{source!r} is a {type(pipe).__name__}, not a Stable Diffusion 1/2 model"
        )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def base_model_name(source: str) -> str:
    """The name A1111's infotext gives a model (`Model:`): a checkpoint file's stem, a
    folder's name, a hub id's last part; never a local path."""
    path = Path(source).expanduser()
    if base_model_kind(source) == "file":
        return path.stem
    return path.name
