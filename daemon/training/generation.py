"""Images from a character's model: the sample images of a run, and `bunny generate`.

Every PNG carries its parameters twice: a `parameters` text chunk in AUTOMATIC1111's layout
(its "PNG Info" tab and most image viewers read it) and a `bunny` chunk with the same as JSON.
`{trigger}` in a prompt is replaced by the character's trigger word.
"""

from __future__ import annotations

import dataclasses
import io
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.utils import logging as diffusers_logging
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from daemon.atomic import write_bytes_atomic
from daemon.characters.names import character_name
from daemon.config import Config, TrainingConfig
from daemon.training.base_model import load_pipeline
from daemon.training.lora_files import read_summary
from daemon.training.run_folder import LORA_FILE, SAMPLES_DIR, latest_model


class GenerationError(Exception):
    """No model to generate with; the message says why."""


@dataclass(frozen=True)
class GenerationParameters:
    prompt: str
    negative_prompt: str
    steps: int
    guidance: float
    seed: int
    width: int
    height: int
    base_model: str
    lora: str  # the model (NAME-vN) whose LoRA was applied

    def a1111_text(self, sampler: str) -> str:
        return (
            f"{self.prompt}\nNegative prompt: {self.negative_prompt}\n"
            f"Steps: {self.steps}, Sampler: {sampler}, CFG scale: {self.guidance:g}, "
            f"Seed: {self.seed}, Size: {self.width}x{self.height}, Model: {self.base_model}, "
            f"Lora: {self.lora}"
        )


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


def render(pipe: StableDiffusionPipeline, params: GenerationParameters) -> Image.Image:
    generator = torch.Generator(device="cpu").manual_seed(params.seed)
    result = pipe(
        prompt=params.prompt,
        negative_prompt=params.negative_prompt or None,
        num_inference_steps=params.steps,
        guidance_scale=params.guidance,
        width=params.width,
        height=params.height,
        generator=generator,
    )
    image = result.images[0]
    assert isinstance(image, Image.Image)
    return image


def save_png(image: Image.Image, params: GenerationParameters, sampler: str, path: Path) -> None:
    info = PngInfo()
    info.add_text("parameters", params.a1111_text(sampler))
    info.add_text("bunny", json.dumps(dataclasses.asdict(params), ensure_ascii=False))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    write_bytes_atomic(path, buffer.getvalue())


def sampler_name(pipe: StableDiffusionPipeline) -> str:
    return type(pipe.scheduler).__name__


def inference_device() -> tuple[str, torch.dtype]:
    if torch.cuda.is_available():
        return "cuda", torch.float16
    if torch.backends.mps.is_available():
        return "mps", torch.float32
    return "cpu", torch.float32


def generate(config: Config, request: GenerateRequest) -> list[Path]:
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
    pipe.load_lora_weights(run.final_dir, weight_name=LORA_FILE)
    pipe.to(device)
    width, height = request.size or (summary.parameters.resolution,) * 2
    first_seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    negative = request.negative_prompt
    folder = config.library / "characters" / name / "generated"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    paths = []
    for index in range(request.count):
        params = GenerationParameters(
            prompt=request.prompt.replace("{trigger}", summary.trigger_word),
            negative_prompt=summary.parameters.sample_negative_prompt
            if negative is None
            else negative,
            steps=request.steps or summary.parameters.sample_steps,
            guidance=summary.parameters.sample_guidance
            if request.guidance is None
            else request.guidance,
            seed=first_seed + index,
            width=width,
            height=height,
            base_model=summary.base_model,
            lora=run.name,
        )
        path = folder / f"{stamp}-{run.name}-{params.seed}.png"
        save_png(render(pipe, params), params, sampler_name(pipe), path)
        paths.append(path)
    return paths


def render_samples(
    pipe: StableDiffusionPipeline, config: TrainingConfig, trigger: str, folder: Path, model: str
) -> tuple[str, ...]:
    """One image per sample prompt, all with `sample_seed`: versions compare side by side."""
    names = []
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
        )
        name = f"{SAMPLES_DIR}/{index:02d}-seed{params.seed}.png"
        save_png(render(pipe, params), params, sampler_name(pipe), folder / name)
        names.append(name)
    return tuple(names)
