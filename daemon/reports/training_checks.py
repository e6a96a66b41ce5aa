"""`bunny doctor`'s look at training: the device a run would use, and whether
`training.base_model` looks loadable (without loading or downloading it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from daemon.config import TrainingConfig
from daemon.reports.checks import INSTALL_HINT, Check, Level


def training_device_check(config: TrainingConfig) -> Check:
    try:
        from daemon.training.policy import training_device

        choice = training_device(config)
    except Exception as exc:
        return Check(Level.FAIL, "training device", f"cannot ask PyTorch: {exc}", INSTALL_HINT)
    if choice.device is None:
        return Check(
            Level.WARN,
            "training device",
            choice.reason,
            "install a CUDA build of PyTorch on a machine with an NVIDIA GPU, or set "
            "training.allow_cpu: true (very slow)",
        )
    level = Level.WARN if choice.device == "cpu" else Level.OK
    return Check(level, "training device", choice.reason)


def base_model_check(config: TrainingConfig, hub: Callable[[], str | None]) -> Check:
    """Whether `training.base_model` looks loadable, without loading or downloading it;
    `hub` says why huggingface.co cannot be reached now (None: it can)."""
    name, source = "base model", config.base_model
    path = Path(source).expanduser()
    if path.is_dir():
        missing = [
            p
            for p in ("model_index.json", "unet", "vae", "text_encoder")
            if not (path / p).exists()
        ]
        if missing:
            return Check(
                Level.FAIL,
                name,
                f"{path} is not a diffusers folder (no {', '.join(missing)})",
                "point training.base_model at a diffusers folder, a checkpoint file or a hub id",
            )
        return Check(Level.OK, name, f"diffusers folder {path}")
    if path.suffix.lower() in (".safetensors", ".ckpt") or path.is_absolute():
        if not path.is_file():
            return Check(Level.FAIL, name, f"no such file {path}", "fix training.base_model")
        if config.base_model_config is None:
            return Check(
                Level.WARN,
                name,
                f"checkpoint file {path}; its configs are fetched from the hub at first use",
                "set training.base_model_config to a diffusers folder of the same family",
            )
        return Check(Level.OK, name, f"checkpoint file {path}")
    if source.startswith((".", "~")) or source.count("/") != 1:
        return Check(
            Level.FAIL,
            name,
            f"{source!r} is neither a folder, a checkpoint file nor a hub id (owner/name)",
            "fix training.base_model",
        )
    try:
        from huggingface_hub import try_to_load_from_cache

        cached = try_to_load_from_cache(source, "model_index.json")
    except Exception as exc:
        return Check(Level.WARN, name, f"hub id {source}; cannot read the cache: {exc}")
    if isinstance(cached, str):
        return Check(Level.OK, name, f"hub id {source}, in the Hugging Face cache")
    unreachable = hub()
    if unreachable is not None:
        return Check(
            Level.WARN,
            name,
            f"hub id {source} is not in the Hugging Face cache and {unreachable}: "
            "training will fail until it is there",
            'download it on a machine with network (python -c "from huggingface_hub import '
            f'snapshot_download; snapshot_download({source!r})") and copy its Hugging Face '
            "cache here, or set training.base_model to a local diffusers folder or a "
            ".safetensors/.ckpt file",
        )
    return Check(
        Level.OK,
        name,
        f"hub id {source}, not cached yet: the first run downloads it (a few GB, needs "
        "huggingface.co)",
    )
