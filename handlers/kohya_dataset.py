"""A kohya sd-scripts dataset config (`dataset.toml`) kept beside each character's dataset.

sd-scripts finds no image in `dataset/` as it is: with `--train_data_dir` it wants
`<repeats>_<name>` sub-folders, and its captions default to `.caption`. Its
`--dataset_config FILE` takes a TOML file instead (the schema of its
`library/config_util.py`, `ConfigSanitizer`): `[general]`, `[[datasets]]` and
`[[datasets.subsets]]`, whose `image_dir` is required and is opened as written, so a
relative one would be read against the trainer's working folder: ours is absolute.

The file is `characters/<name>/dataset.toml`, beside `dataset/` rather than in it, so it is
never taken for an image, a caption or a frozen dataset's member. The captions stage
rewrites it whenever what it says changes (the images counted, the words, the settings), as
it rebuilds `metadata.jsonl`, so it follows the user's moves and deletions; it is written
atomically, and not at all when it would say the same.

Repeats: `num_repeats = clamp(round(200 / captioned images), 1, 40)` (halves round up). A
character of 10 images is seen 20 times an epoch, one of 100 images twice: about 200 images
an epoch either way, so characters with few and many images get comparable steps per epoch
and one `--max_train_epochs` suits them all. Below 5 images the cap of 40 keeps a tiny
dataset from being learnt by heart; above 400 every image is seen once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from daemon.atomic import write_text_atomic
from daemon.config import TrainingConfig
from handlers.caption_files import captioned_images

DATASET_CONFIG_FILE = "dataset.toml"
CAPTION_EXTENSION = ".txt"
TARGET_IMAGES_PER_EPOCH = 200
MAX_REPEATS = 40
# sd-scripts' defaults (DreamBoothDatasetParams); a bucket range must hold the resolution.
BUCKET_STEPS = 64
MIN_BUCKET = 256
MAX_BUCKET = 1024
# Several pipeline workers may file captions at once; the temporary name is fixed.
_WRITE_LOCK = threading.Lock()


@dataclass(frozen=True)
class KohyaSettings:
    """What the config says besides the images: training's resolution, bucketing, batch."""

    resolution: int = TrainingConfig.resolution
    enable_bucket: bool = TrainingConfig.bucketing
    batch_size: int = TrainingConfig.batch_size

    @classmethod
    def from_training(cls, training: TrainingConfig) -> KohyaSettings:
        return cls(training.resolution, training.bucketing, training.batch_size)


@dataclass(frozen=True)
class KohyaSubset:
    image_dir: Path  # absolute: sd-scripts opens it as written
    num_repeats: int
    class_tokens: str  # "<trigger> <class>", used for an image without a caption
    images: int  # captioned images counted, for the comment


def repeats_for(images: int) -> int:
    """The module docstring's rule: about TARGET_IMAGES_PER_EPOCH images per epoch."""
    return max(1, min(MAX_REPEATS, int(TARGET_IMAGES_PER_EPOCH / max(images, 1) + 0.5)))


def toml_string(value: str) -> str:
    """A TOML basic string: backslashes (Windows paths), quotes and controls escaped."""
    escaped = []
    for char in value:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04X}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def render_dataset_config(subset: KohyaSubset, settings: KohyaSettings) -> str:
    bucket = settings.enable_bucket and settings.resolution >= BUCKET_STEPS
    lines = [
        "# kohya sd-scripts dataset config, kept by diffusion-bunny: train_network.py",
        "# --dataset_config <this file>. Rewritten when the dataset changes; copy it to edit.",
        f"# {subset.images} captioned image(s) x {subset.num_repeats} repeat(s) = "
        f"{subset.images * subset.num_repeats} an epoch (aim: {TARGET_IMAGES_PER_EPOCH})",
        "[general]",
        f"caption_extension = {toml_string(CAPTION_EXTENSION)}",
        f"enable_bucket = {'true' if bucket else 'false'}",
        "",
        "[[datasets]]",
        f"resolution = {settings.resolution}",
        f"batch_size = {settings.batch_size}",
    ]
    if bucket:
        low = min(MIN_BUCKET, settings.resolution - settings.resolution % BUCKET_STEPS)
        high = max(MAX_BUCKET, -(-settings.resolution // BUCKET_STEPS) * BUCKET_STEPS)
        lines += [
            f"bucket_reso_steps = {BUCKET_STEPS}",
            f"min_bucket_reso = {low}",
            f"max_bucket_reso = {high}",
        ]
    lines += [
        "",
        "  [[datasets.subsets]]",
        f"  image_dir = {toml_string(str(subset.image_dir))}",
        f"  num_repeats = {subset.num_repeats}",
        f"  class_tokens = {toml_string(subset.class_tokens)}",
    ]
    return "\n".join(lines) + "\n"


def keep_dataset_config(dataset_dir: Path, class_tokens: str, settings: KohyaSettings) -> bool:
    """Rewrite `<character>/dataset.toml` for the folder as it is now; True when it changed."""
    images = len(captioned_images(dataset_dir))
    subset = KohyaSubset(dataset_dir.resolve(), repeats_for(images), class_tokens, images)
    text = render_dataset_config(subset, settings)
    if not _encodable(text):
        return False  # a path with undecodable bytes cannot be written in TOML
    target = dataset_dir.parent / DATASET_CONFIG_FILE
    with _WRITE_LOCK:
        try:
            if target.read_text(encoding="utf-8") == text:
                return False
        except (OSError, UnicodeDecodeError):
            pass  # missing or damaged: written anew
        write_text_atomic(target, text)
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
