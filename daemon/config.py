"""Settings: read once at start, validated, then passed down explicitly.

Every setting is a field of a frozen dataclass below, with its default. `load_config` reads a
YAML file (config.yaml documents the same keys), rejects unknown keys and bad values with a
message that names the file, the dotted key and what is allowed, and resolves relative paths
against the folder of the file that names them.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import string
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from daemon.display_text import REASON_LIMIT, shown, shown_value

DEFAULT_TEMP_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial", ".download", "~")
DEFAULT_MAX_REFERENCE_MB = 50.0
# Windows' limit on the processes of one pool (it waits on their handles all at once).
MAX_FACE_WORKERS = 61


class ConfigError(Exception):
    """A setting is missing, unknown or out of range; the message says which and where."""


def _limits(low: float | None = None, high: float | None = None) -> dict[str, float | None]:
    return {"min": low, "max": high}


@dataclass(frozen=True)
class WatcherConfig:
    quiet_seconds: float = field(default=5.0, metadata=_limits(0.1, 3600))
    poll_seconds: float = field(default=0.5, metadata=_limits(0.05, 60))
    rescan_minutes: float = field(default=10.0, metadata=_limits(0.05, 1440))
    temp_suffixes: tuple[str, ...] = DEFAULT_TEMP_SUFFIXES
    follow_symlinks: bool = True


@dataclass(frozen=True)
class ShotsConfig:
    # content: our cut detector on luma thumbnails; transnetv2: the learnt network (see
    # evaluation/cuts.py for how they compare and why content is the default).
    detector: Literal["content", "transnetv2"] = "content"
    # reference: decode only the frames other frames are predicted from (I, P, reference
    # B-frames; about half a film's frames, the rest skipped undecoded by the decoder), cuts
    # still found within 2 frames; every: every frame. transnetv2 always reads every frame,
    # as it was trained: with it this key has no effect. See handlers/frame_numbers.py.
    decode: Literal["reference", "every"] = "reference"
    min_cut_change: float = field(default=8.0, metadata=_limits(0.5, 255))
    min_shot_seconds: float = field(default=0.4, metadata=_limits(0, 60))
    static_motion_threshold: float = field(default=0.4, metadata=_limits(0, 255))


@dataclass(frozen=True)
class FramesConfig:
    mode: Literal["shots", "interval", "keyframes"] = "shots"
    interval_seconds: float = field(default=2.0, metadata=_limits(0.05, 3600))
    min_shot_seconds: float = field(default=0.5, metadata=_limits(0, 3600))
    max_per_minute: int = field(default=30, metadata=_limits(1, 3600))
    jpeg_quality: int = field(default=92, metadata=_limits(1, 100))


@dataclass(frozen=True)
class ImagesConfig:
    """Still images dropped into inbox/images/ (see daemon/intake/images.py)."""

    part_size: int = field(default=500, metadata=_limits(1, 100000))
    max_side: int = field(default=2048, metadata=_limits(64, 16384))
    min_side: int = field(default=32, metadata=_limits(1, 4096))
    max_pixels: int = field(default=178_956_970, metadata=_limits(1_000_000, 4_000_000_000))


@dataclass(frozen=True)
class QualityConfig:
    min_relative_sharpness: float = field(default=0.35, metadata=_limits(0, 100))
    min_brightness: float = field(default=22.0, metadata=_limits(0, 255))
    max_brightness: float = field(default=235.0, metadata=_limits(0, 255))
    max_flat_fraction: float = field(default=0.9, metadata=_limits(0, 1))
    duplicate_distance: int = field(default=6, metadata=_limits(0, 16))
    crop_letterbox: bool = True


@dataclass(frozen=True)
class FacesConfig:
    # What each one is and how auto chooses: handlers/face_detectors.py.
    detector: Literal["auto", "hog", "cnn", "mtcnn", "blazeface"] = "auto"
    # Processes finding faces at once; None: one per CPU core (process_count).
    workers: int | None = field(default=None, metadata=_limits(1, MAX_FACE_WORKERS))
    tolerance: float = field(default=0.6, metadata=_limits(0.05, 1.5))
    margin: float = field(default=0.05, metadata=_limits(0, 1.5))
    # Smaller faces, and faces turned away, are named only within doubtful_tolerance: see
    # handlers/face_matching.py for the measurements behind both defaults.
    doubtful_face_pixels: int = field(default=48, metadata=_limits(0, 4096))
    doubtful_tolerance: float = field(default=0.55, metadata=_limits(0.05, 1.5))
    # A face matched with its next character less than this further away is shown as unsure.
    noise_margin: float = field(default=0.1, metadata=_limits(0, 1.5))
    min_face_pixels: int = field(default=20, metadata=_limits(8, 4096))
    cluster_threshold: float = field(default=0.5, metadata=_limits(0.05, 1.5))
    cluster_min_size: int = field(default=3, metadata=_limits(2, 100000))
    cluster_minutes: float = field(default=10.0, metadata=_limits(0.05, 1440))
    max_reference_mb: float = field(default=DEFAULT_MAX_REFERENCE_MB, metadata=_limits(0.1, 100000))

    @property
    def process_count(self) -> int:
        """How many processes find faces: `workers`, or the machine's core count."""
        return self.workers or max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class DatasetConfig:
    crop: Literal["full", "square", "upper_body"] = "square"
    resolution: int = field(default=1024, metadata=_limits(64, 8192))
    max_upscale: float = field(default=1.5, metadata=_limits(1.0, 8.0))
    min_face_pixels: int = field(default=64, metadata=_limits(8, 4096))
    max_per_shot: int = field(default=2, metadata=_limits(1, 1000))
    max_per_scene: int = field(default=6, metadata=_limits(1, 100000))
    jpeg_quality: int = field(default=95, metadata=_limits(1, 100))


@dataclass(frozen=True)
class ScenesConfig:
    model: str = "clip-ViT-B-32"  # sentence-transformers hub id or a local folder
    batch_size: int = field(default=16, metadata=_limits(1, 1024))
    clip_threshold: float = field(default=0.85, metadata=_limits(0, 1))
    descriptor_threshold: float = field(default=0.85, metadata=_limits(0, 1))
    look_back_shots: int = field(default=3, metadata=_limits(1, 100))


@dataclass(frozen=True)
class ProviderLimits:
    requests_per_second: float = field(default=2.0, metadata=_limits(0.01, 1000))
    concurrency: int = field(default=2, metadata=_limits(1, 64))
    attempts: int = field(default=5, metadata=_limits(1, 20))
    backoff_initial_seconds: float = field(default=1.0, metadata=_limits(0, 600))
    backoff_max_seconds: float = field(default=60.0, metadata=_limits(0, 3600))
    timeout_seconds: float = field(default=60.0, metadata=_limits(0.1, 3600))
    breaker_failures: int = field(default=5, metadata=_limits(1, 1000))
    breaker_reset_seconds: float = field(default=120.0, metadata=_limits(0.1, 86400))


@dataclass(frozen=True)
class BedrockConfig:
    model_id: str = "amazon.nova-lite-v1:0"
    region: str = "us-east-1"
    endpoint_url: str | None = None  # only for a local stand-in or a VPC endpoint
    limits: ProviderLimits = ProviderLimits()


@dataclass(frozen=True)
class OpenAIConfig:
    base_url: str = "http://localhost:11434/v1"  # OpenAI, Ollama, vLLM, LM Studio...
    model: str = "llava"
    api_key_env: str = "OPENAI_API_KEY"  # the variable holding the key; the key is never in config
    limits: ProviderLimits = ProviderLimits()


DEFAULT_CAPTION_PROMPT = (
    "Write one caption for a training image of {name}. Start with '{trigger}, a {class_word}', "
    "then describe framing, pose, expression, clothing, setting and lighting in a few short "
    "phrases separated by commas. {context}"
)


@dataclass(frozen=True)
class CaptionsConfig:
    providers: tuple[Literal["bedrock", "openai", "template"], ...] = ("template",)
    when_unavailable: Literal["next", "wait"] = "next"
    prompt: str = DEFAULT_CAPTION_PROMPT
    max_tokens: int = field(default=77, metadata=_limits(8, 77))
    bedrock: BedrockConfig = BedrockConfig()
    openai: OpenAIConfig = OpenAIConfig()


DEFAULT_SAMPLE_PROMPTS = (
    "{trigger}, portrait photo, looking at the camera",
    "{trigger}, walking in a city street, full body",
    "{trigger}, smiling, close-up, soft light",
)


@dataclass(frozen=True)
class TrainingConfig:
    base_model: str = "stable-diffusion-v1-5/stable-diffusion-v1-5"  # hub id, folder or file
    base_model_config: str | None = None  # a single-file checkpoint's component configs
    allow_cpu: bool = False
    min_images: int = field(default=20, metadata=_limits(1, 1000000))
    growth_fraction: float = field(default=0.25, metadata=_limits(0, 100))
    check_minutes: float = field(default=5.0, metadata=_limits(0.05, 1440))
    poll_seconds: float = field(default=30.0, metadata=_limits(0.5, 3600))
    cooldown_minutes: float = field(default=60.0, metadata=_limits(0, 100000))
    max_concurrent: int = field(default=1, metadata=_limits(1, 16))
    min_image_side: int = field(default=128, metadata=_limits(8, 8192))
    max_aspect_ratio: float = field(default=4.0, metadata=_limits(1, 100))
    rank: int = field(default=16, metadata=_limits(1, 1024))
    alpha: float = field(default=16.0, metadata=_limits(0.01, 4096))
    learning_rate: float = field(default=1e-4, metadata=_limits(1e-8, 1))
    lr_schedule: Literal["constant", "cosine"] = "constant"
    lr_warmup_steps: int = field(default=50, metadata=_limits(0, 1000000))
    steps: int = field(default=1500, metadata=_limits(1, 10000000))
    batch_size: int = field(default=2, metadata=_limits(1, 256))
    resolution: int = field(default=512, metadata=_limits(16, 4096))
    bucketing: bool = True
    gradient_checkpointing: bool = True
    mixed_precision: Literal["fp16", "bf16", "no"] = "fp16"
    checkpoint_every: int = field(default=100, metadata=_limits(1, 10000000))
    seed: int = field(default=42, metadata=_limits(0, 2**31 - 1))
    sample_prompts: tuple[str, ...] = DEFAULT_SAMPLE_PROMPTS
    sample_negative_prompt: str = "blurry, low quality, deformed"
    sample_steps: int = field(default=25, metadata=_limits(1, 1000))
    sample_guidance: float = field(default=7.0, metadata=_limits(0, 50))
    sample_seed: int = field(default=1234, metadata=_limits(0, 2**31 - 1))
    step_delay_seconds: float = field(default=0.0, metadata=_limits(0, 3600))


@dataclass(frozen=True)
class PipelineConfig:
    stages: tuple[str, ...] = (
        "probe", "shots", "frames", "quality", "faces", "scenes", "dataset", "captions",
    )  # fmt: skip
    workers: int = field(default=1, metadata=_limits(1, 64))
    retry_backoff_seconds: tuple[float, ...] = field(
        default=(60.0, 300.0, 1800.0, 7200.0), metadata=_limits(0, None)
    )
    stop_timeout_seconds: float = field(default=10.0, metadata=_limits(0.5, 600))
    stage_delay_seconds: float = field(default=0.0, metadata=_limits(0, 3600))


@dataclass(frozen=True)
class LogConfig:
    level: Literal["debug", "info", "warning", "error"] = "info"
    file: Path | None = None
    max_bytes: int = field(default=10 * 1024 * 1024, metadata=_limits(4096, None))
    backups: int = field(default=5, metadata=_limits(0, 1000))
    console: Literal["pretty", "json", "off"] = "pretty"


@dataclass(frozen=True)
class DiskConfig:
    min_free_gb: float = field(default=5.0, metadata=_limits(0, 1000000))
    check_seconds: float = field(default=30.0, metadata=_limits(0.1, 3600))


DEFAULT_WEB_PORT = 8737


@dataclass(frozen=True)
class WebConfig:
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = field(default=DEFAULT_WEB_PORT, metadata=_limits(0, 65535))  # 0: any free port
    password: str | None = None
    password_env: str = "BUNNY_WEB_PASSWORD"  # the variable holding the password; it wins


@dataclass(frozen=True)
class Config:
    inbox: Path = Path("inbox")
    library: Path = Path("library")
    database: Path | None = None
    watcher: WatcherConfig = WatcherConfig()
    pipeline: PipelineConfig = PipelineConfig()
    shots: ShotsConfig = ShotsConfig()
    frames: FramesConfig = FramesConfig()
    images: ImagesConfig = ImagesConfig()
    quality: QualityConfig = QualityConfig()
    faces: FacesConfig = FacesConfig()
    dataset: DatasetConfig = DatasetConfig()
    scenes: ScenesConfig = ScenesConfig()
    captions: CaptionsConfig = CaptionsConfig()
    training: TrainingConfig = TrainingConfig()
    after_done: Literal["keep", "move"] = "keep"
    disk: DiskConfig = DiskConfig()
    log: LogConfig = LogConfig()
    web: WebConfig = WebConfig()
    source: Path | None = field(default=None, compare=False)

    @property
    def database_path(self) -> Path:
        return self.database or self.library / "bunny.db"

    @property
    def log_path(self) -> Path:
        return self.log.file or self.library / "logs" / "bunny.log"


def load_config(
    path: Path | None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read `path` (None: built-in defaults) and apply `overrides` (dotted keys from flags)."""
    raw: Any = {}
    base = Path.cwd()
    where = "built-in defaults"
    if path is not None:
        where = str(path)
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"{path}: config file not found") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {shown(str(exc), REASON_LIMIT)}") from None
        base = path.resolve().parent
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: the top level must be a mapping of settings")
    config: Config = _build(Config, raw, prefix="", where=where, base=base)
    if path is not None:
        # A path left out of the file means its default, relative to the file as if written.
        defaults: dict[str, Any] = {
            f.name: base / f.default
            for f in dataclasses.fields(Config)
            if f.name not in raw and isinstance(f.default, Path)
        }
        config = dataclasses.replace(
            config,
            **defaults,
        )
    for dotted, value in (overrides or {}).items():
        config = _override(config, dotted.split("."), value, Path.cwd())
    _check_prompt(config.captions.prompt, where)
    _check_web(config.web, where)
    return dataclasses.replace(config, source=path)


PROMPT_FIELDS = ("name", "trigger", "class_word", "context")


def _check_prompt(prompt: str, where: str) -> None:
    """The caption prompt's placeholders, checked at start rather than at the first caption."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(prompt) if field is not None}
    except ValueError as exc:
        raise ConfigError(
            f"{where}: 'captions.prompt' is not a valid template: {shown(str(exc))}"
        ) from None
    unknown = sorted(names - set(PROMPT_FIELDS))
    if unknown:
        allowed = ", ".join("{" + name + "}" for name in PROMPT_FIELDS)
        raise ConfigError(
            f"{where}: 'captions.prompt' uses {{{shown(unknown[0])}}}; the placeholders are "
            f"{allowed}"
        )


def _check_web(web: WebConfig, where: str) -> None:
    if not web.host.strip():
        raise ConfigError(f"{where}: 'web.host' must be an address such as 127.0.0.1")
    if web.password is not None and not web.password:
        raise ConfigError(f"{where}: 'web.password' must be null or a non-empty string")
    if not web.password_env.strip():
        raise ConfigError(f"{where}: 'web.password_env' must name an environment variable")


def _override(obj: Any, keys: list[str], value: Any, base: Path, prefix: str = "") -> Any:
    head, *rest = keys
    fields = {f.name: f for f in dataclasses.fields(obj) if f.name != "source"}
    if head not in fields:
        raise ConfigError(f"command line: unknown setting '{prefix}{head}'")
    current = getattr(obj, head)
    if rest:
        inner = _override(current, rest, value, base, f"{prefix}{head}.")
        return dataclasses.replace(obj, **{head: inner})
    hints = typing.get_type_hints(type(obj))
    converted = _convert(
        hints[head], value, f"{prefix}{head}", "command line", base, fields[head].metadata
    )
    return dataclasses.replace(obj, **{head: converted})


def _build(cls: type, raw: Any, prefix: str, where: str, base: Path) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: '{prefix.rstrip('.')}' must be a mapping of settings")
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        key = shown(str(unknown[0]))
        close = difflib.get_close_matches(key, list(fields), n=1)
        hint = f"; did you mean '{prefix}{close[0]}'?" if close else ""
        raise ConfigError(
            f"{where}: unknown key '{prefix}{key}'{hint} "
            f"(allowed here: {', '.join(sorted(fields))})"
        )
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in raw.items():
        values[name] = _convert(
            hints[name], value, f"{prefix}{name}", where, base, fields[name].metadata
        )
    return cls(**values)


def _convert(
    hint: Any, value: Any, key: str, where: str, base: Path, meta: Mapping[str, Any]
) -> Any:
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _build(hint, value, f"{key}.", where, base)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(inner, value, key, where, base, meta)
    if origin is Literal:
        if value is False and "off" in args:
            value = "off"  # YAML 1.1 reads a bare `off` as false
        if value not in args:
            allowed = ", ".join(repr(a) for a in args)
            raise ConfigError(
                f"{where}: '{key}' must be one of {allowed}, got {shown_value(value)}"
            )
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: '{key}' must be a list, got {shown_value(value)}")
        item = args[0]
        return tuple(
            _convert(item, v, f"{key}[{i}]", where, base, meta) for i, v in enumerate(value)
        )
    return _scalar(hint, value, key, where, base, meta)


def _scalar(
    hint: Any, value: Any, key: str, where: str, base: Path, meta: Mapping[str, Any]
) -> Any:
    if hint is Path:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"{where}: '{key}' must be a path (a string), got {shown_value(value)}"
            )
        path = Path(value).expanduser()
        return path if path.is_absolute() else base / path
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: '{key}' must be true or false, got {shown_value(value)}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: '{key}' must be a string, got {shown_value(value)}")
        return value
    if hint in (int, float):
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not number_ok or (hint is int and not isinstance(value, int)):
            kind = "an integer" if hint is int else "a number"
            raise ConfigError(f"{where}: '{key}' must be {kind}, got {shown_value(value)}")
        low, high = meta.get("min"), meta.get("max")
        if (low is not None and value < low) or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise ConfigError(f"{where}: '{key}' must be {span}, got {shown_value(value)}")
        return hint(value)
    raise ConfigError(f"{where}: '{key}' has an unsupported type {hint!r}")  # pragma: no cover
