"""When and where a character's model is trained: the device, and whether a run is due."""

from __future__ import annotations

from typing import NamedTuple

from daemon.config import TrainingConfig


class DeviceChoice(NamedTuple):
    device: str | None  # "cuda", "mps" or "cpu"; None: training must wait
    reason: str  # one line for the log and `bunny status`


def training_device(config: TrainingConfig) -> DeviceChoice:
    """Where a run trains now: a GPU when there is one, the CPU only when allowed."""
    import torch

    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        return DeviceChoice("cuda", f"GPU {name}")
    if torch.backends.mps.is_available():
        return DeviceChoice("mps", "Apple GPU (MPS), fp32")
    if torch.version.cuda is None:
        why = "this PyTorch build has no CUDA support (a CPU build)"
    else:
        why = f"PyTorch {torch.__version__} finds no CUDA device (driver, or CUDA_VISIBLE_DEVICES)"
    if config.allow_cpu:
        return DeviceChoice(
            "cpu", f"no GPU: {why}; training on the CPU as training.allow_cpu says (very slow)"
        )
    return DeviceChoice(
        None,
        f"no GPU: {why}; training waits for one (set training.allow_cpu: true to use the CPU)",
    )


def training_due(images: int, trained_images: int | None, config: TrainingConfig) -> bool:
    """A first model at `min_images` captioned images; a new version once the dataset has grown
    by `growth_fraction` since the images the last version was trained on."""
    if images < config.min_images:
        return False
    if trained_images is None:
        return True
    return images - trained_images >= max(1.0, config.growth_fraction * trained_images)
