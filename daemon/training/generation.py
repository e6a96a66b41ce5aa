"""Images from a character's model: the sample images of a run, and `bunny generate`.

Every PNG carries its parameters (see infotext.py). `{trigger}` in a prompt is replaced by the
character's trigger word. The LoRA is applied at `lora_weight` (1: as trained, 0: the base
model alone), as A1111's `<lora:NAME:WEIGHT>` does.
"""

from __future__ import annotations

import dataclasses
import functools
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.utils import logging as diffusers_logging
from PIL import Image

from daemon.characters.names import character_name
from daemon.config import Config, TrainingConfig
from daemon.log import get_logger
from daemon.training.base_model import base_model_kind, base_model_name, load_pipeline
from daemon.training.generate_progress import GenerationProgress
from daemon.training.infotext import GenerationParameters, save_png
from daemon.training.lora_files import TrainingSummary, read_summary
from daemon.training.model_hashes import A1111_LORA_HASH_LENGTH, a1111_model_hash, addnet_hash
from daemon.training.run_folder import LORA_FILE, SAMPLES_DIR, latest_model
from daemon.training.samplers import Sampler, sampler_name

ADAPTER = "character"
log = get_logger("bunny.generate")


class GenerationError(Exception):
    """No model to generate with; the message says why."""


@dataclass(frozen=True)
class GenerateRequest:
    character: str
    prompt: str
    count: int = 4
    seed: int | None = None  # the first image's seed (the next ones count up); None: random
    steps: int | None = None  # None: the model's sample_steps
    size: tuple[int, int] | None = None  # (width, height); None: the training resolution
    guidance: float | None = None
    negative_prompt: str | None = None
    version: int | None = None  # None: the newest model
    lora_weight: float = 1.0
    sampler: Sampler | None = None  # None: the base model's own scheduler


# Called with the steps done and the steps of the picture: the scheduler's, which may differ
# from the steps asked for (PLMS takes one more, Heun and DPM2 nearly twice as many).
StepCallback = Callable[[int, int], None]


def render(
    pipe: StableDiffusionPipeline, params: GenerationParameters, on_step: StepCallback | None = None
) -> Image.Image:
    def step_end(
        running: Any, step: int, _timestep: Any, tensors: dict[str, Any]
    ) -> dict[str, Any]:
        if on_step is not None:
            on_step(step + 1, running.num_timesteps)
        return tensors

    generator = torch.Generator(device="cpu").manual_seed(params.seed)
    result = pipe(
        prompt=params.prompt,
        negative_prompt=params.negative_prompt or None,
        num_inference_steps=params.steps,
        guidance_scale=params.guidance,
        width=params.width,
        height=params.height,
        generator=generator,
        callback_on_step_end=step_end,
    )
    image = result.images[0]
    assert isinstance(image, Image.Image)
    return image


def inference_device() -> tuple[str, torch.dtype]:
    if torch.cuda.is_available():
        return "cuda", torch.float16
    if torch.backends.mps.is_available():
        return "mps", torch.float32
    return "cpu", torch.float32


def _lora_hash(kohya_file: Path) -> str:
    return addnet_hash(kohya_file)[:A1111_LORA_HASH_LENGTH] if kohya_file.is_file() else ""


def _model_hash(base_model: str) -> str:
    """A1111's hash of a checkpoint file; a folder or hub id has none."""
    if base_model_kind(base_model) != "file":
        return ""
    return a1111_model_hash(Path(base_model).expanduser())


def _parameters(
    request: GenerateRequest, summary: TrainingSummary, folder: Path, sampler: str, seed: int
) -> GenerationParameters:
    training = summary.parameters
    width, height = request.size or (training.resolution,) * 2
    negative = request.negative_prompt
    return GenerationParameters(
        prompt=request.prompt.replace("{trigger}", summary.trigger_word),
        negative_prompt=training.sample_negative_prompt if negative is None else negative,
        steps=request.steps or training.sample_steps,
        guidance=training.sample_guidance if request.guidance is None else request.guidance,
        seed=seed,
        width=width,
        height=height,
        base_model=summary.base_model,
        lora=summary.model,
        sampler=sampler,
        lora_weight=request.lora_weight,
        lora_file=Path(summary.kohya_file).stem,
        lora_hash=_lora_hash(folder / summary.kohya_file),
        model_name=base_model_name(summary.base_model),
        model_hash=_model_hash(summary.base_model),
    )


def generate(
    config: Config, request: GenerateRequest, progress_stream: TextIO | None = None
) -> list[Path]:
    """Load the base model and the character's LoRA, write `count` PNGs; their paths."""
    name = character_name(request.character)
    run = latest_model(config.library, name, request.version)
    if run is None:
        which = f" version {request.version}" if request.version else ""
        where = config.library / "characters"
        raise GenerationError(f"{name!r} has no trained model{which} in {where}")
    summary = read_summary(run.final_dir)
    device, dtype = inference_device()
    pipe = load_pipeline(summary.base_model, summary.base_model_config, dtype)
    diffusers_logging.set_verbosity_error()  # "no LoRA keys for the text encoder": none trained
    pipe.load_lora_weights(run.final_dir, weight_name=LORA_FILE, adapter_name=ADAPTER)
    pipe.set_adapters([ADAPTER], adapter_weights=[request.lora_weight])
    if request.sampler is not None:
        pipe.scheduler = request.sampler.scheduler(pipe.scheduler.config)
    pipe.to(device)
    first_seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    first = _parameters(request, summary, run.final_dir, sampler_name(pipe.scheduler), first_seed)
    progress = GenerationProgress(request.count, first.steps, progress_stream or sys.stderr)
    folder = config.library / "characters" / name / "generated"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        return _generate_all(pipe, first, request, progress, folder / f"{stamp}-{run.name}")
    finally:
        progress.end()


def _generate_all(
    pipe: StableDiffusionPipeline,
    first: GenerationParameters,
    request: GenerateRequest,
    progress: GenerationProgress,
    prefix: Path,
) -> list[Path]:
    paths = []
    for index in range(1, request.count + 1):
        params = dataclasses.replace(first, seed=first.seed + index - 1)
        progress.start_image(index)
        image = render(pipe, params, functools.partial(progress.step, index))
        path = prefix.with_name(f"{prefix.name}-{params.seed}.png")
        save_png(image, params, path)
        paths.append(path)
        seconds = progress.image_done(index, path)
        log.info(
            "image generated",
            model=first.lora,
            image=index,
            count=request.count,
            seed=params.seed,
            seconds=round(seconds, 2),
            path=str(path),
        )
    return paths


def render_samples(
    pipe: StableDiffusionPipeline,
    config: TrainingConfig,
    trigger: str,
    folder: Path,
    model: str,
    kohya_file: str = "",
) -> tuple[str, ...]:
    """One image per sample prompt, all with `sample_seed`: versions compare side by side."""
    names = []
    model_hash = _model_hash(config.base_model)
    for index, prompt in enumerate(config.sample_prompts, start=1):
        params = GenerationParameters(
            prompt=prompt.replace("{trigger}", trigger),
            negative_prompt=config.sample_negative_prompt,
            steps=config.sample_steps,
            guidance=config.sample_guidance,
            seed=config.sample_seed,
            width=config.resolution // 8 * 8,
            height=config.resolution // 8 * 8,
            base_model=config.base_model,
            lora=model,
            sampler=sampler_name(pipe.scheduler),
            lora_file=Path(kohya_file).stem,
            lora_hash=_lora_hash(folder / kohya_file) if kohya_file else "",
            model_name=base_model_name(config.base_model),
            model_hash=model_hash,
        )
        name = f"{SAMPLES_DIR}/{index:02d}-seed{params.seed}.png"
        save_png(render(pipe, params), params, folder / name)
        names.append(name)
    return tuple(names)
