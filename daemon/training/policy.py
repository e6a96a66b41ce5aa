"""When and where a character's model is trained: the device, whether a run is due, and the
one reason a character's training waits.

The daemon's training job (trigger.py) and the commands that explain it (`bunny status`,
`bunny characters`) both decide with `character_readiness` and `start_blocker`, so what a
user is told is what the daemon does.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from daemon.config import TrainingConfig


class DeviceChoice(NamedTuple):
    device: str | None  # "cuda", "mps" or "cpu"; None: training must wait
    reason: str  # one line for the log and `bunny status`


class TrainingReason(enum.StrEnum):
    """Why a character trains, or waits, now: exactly one applies."""

    TRAINING = "training"  # a run of its own is in progress
    RESUMING = "resuming"  # a stopped run of its own starts again at the next check
    REQUESTED = "requested"  # `bunny train` asked: starts at the next check
    TOO_FEW_IMAGES = "too_few_images"  # under training.min_images captioned images
    UP_TO_DATE = "up_to_date"  # not grown by growth_fraction since its newest model
    COOLDOWN = "cooldown"  # a run ended less than cooldown_minutes ago
    DUE = "due"  # starts at the next check
    SLOTS_FULL = "slots_full"  # training.max_concurrent runs already going
    DISK_PAUSED = "disk_paused"  # new work paused: the library's disk is low
    NO_DEVICE = "no_device"  # no GPU and training.allow_cpu off


# The reasons that mean "a run starts at the next check", unless a blocker stops every start.
WOULD_START = frozenset({TrainingReason.RESUMING, TrainingReason.REQUESTED, TrainingReason.DUE})


class RunActivity(enum.StrEnum):
    """What the character's own runs are doing."""

    NONE = "none"
    REQUESTED = "requested"
    STOPPED = "stopped"  # to be resumed before any new run
    RUNNING = "running"


@dataclass(frozen=True)
class CharacterFacts:
    character: str
    captioned: int  # dataset images with a fresh caption
    trained_basis: int | None  # captioned images its newest model was decided on; None: no model
    last_run_at: datetime | None  # when its newest run ended (or started), refused ones too
    activity: RunActivity = RunActivity.NONE


@dataclass(frozen=True)
class Readiness:
    reason: TrainingReason
    needed: int  # captioned images the next run is decided on (the threshold)
    until: datetime | None = None  # the cooldown's end


@dataclass(frozen=True)
class Blocker:
    """Why no run at all may start now."""

    reason: TrainingReason
    text: str  # one line for the log and `bunny status`


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


def images_needed(trained_images: int | None, config: TrainingConfig) -> int:
    """Captioned images the next version needs: `min_images` for the first model; for a new
    version, growth by `growth_fraction` (at least one image) since the last one's basis."""
    if trained_images is None:
        return config.min_images
    # An integer count reaches trained + x exactly when it reaches trained + ceil(x).
    growth = math.ceil(max(1.0, config.growth_fraction * trained_images))
    return max(config.min_images, trained_images + growth)


def training_due(images: int, trained_images: int | None, config: TrainingConfig) -> bool:
    """A first model at `min_images` captioned images; a new version once the dataset has grown
    by `growth_fraction` since the images the last version was trained on."""
    return images >= images_needed(trained_images, config)


def character_readiness(facts: CharacterFacts, config: TrainingConfig, now: datetime) -> Readiness:
    """The character's own reason, before what may stop every run (`start_blocker`)."""
    needed = images_needed(facts.trained_basis, config)
    own = {
        RunActivity.RUNNING: TrainingReason.TRAINING,
        RunActivity.STOPPED: TrainingReason.RESUMING,
        RunActivity.REQUESTED: TrainingReason.REQUESTED,  # no threshold, no cooldown
    }.get(facts.activity)
    if own is not None:
        return Readiness(own, needed)
    if facts.captioned < needed:
        first = facts.trained_basis is None or facts.captioned < config.min_images
        return Readiness(
            TrainingReason.TOO_FEW_IMAGES if first else TrainingReason.UP_TO_DATE, needed
        )
    if facts.last_run_at is not None:
        until = facts.last_run_at + timedelta(minutes=config.cooldown_minutes)
        if now < until:
            return Readiness(TrainingReason.COOLDOWN, needed, until)
    return Readiness(TrainingReason.DUE, needed)


def start_blocker(
    running: int,
    config: TrainingConfig,
    paused: str | None,
    device: Callable[[], DeviceChoice],
) -> Blocker | None:
    """What stops any run from starting now: every slot taken, new work paused (the disk
    guard's reason), or no device that may train. `device` is asked last: it loads PyTorch."""
    if running >= config.max_concurrent:
        return Blocker(
            TrainingReason.SLOTS_FULL,
            f"{running} run(s) in progress, training.max_concurrent is {config.max_concurrent}",
        )
    if paused is not None:
        return Blocker(TrainingReason.DISK_PAUSED, paused)
    choice = device()
    if choice.device is None:
        return Blocker(TrainingReason.NO_DEVICE, choice.reason)
    return None
