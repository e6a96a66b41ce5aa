"""The parameters an image was made with, written into its PNG twice: a `parameters` text chunk
in AUTOMATIC1111's layout (its "PNG Info" tab, Civitai and most image viewers read it) and a
`bunny` chunk with the same as JSON.

The A1111 text, as A1111 1.6 writes it:
    PROMPT <lora:FILE:WEIGHT>
    Negative prompt: NEGATIVE
    Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 123, Size: 512x768,
    Model hash: 6ce0161689, Model: v1-5-pruned-emaonly, Lora hashes: "FILE: 0123456789ab",
    Version: diffusion-bunny 0.1.0
(the third line is one line). `Model hash` is there only when the base model is one checkpoint
file (a diffusers folder or hub id has no A1111 hash); a sample image made during training,
before the file existed, has no `Lora hashes`.
"""

from __future__ import annotations

import dataclasses
import io
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from daemon.atomic import write_bytes_atomic


def _quoted(value: str) -> str:
    """A1111's quoting of a field value: JSON-quoted when it holds `,`, `:` or a newline."""
    if any(c in value for c in ",:\n"):
        return json.dumps(value, ensure_ascii=False)
    return value


def software_version() -> str:
    try:
        return f"diffusion-bunny {metadata.version('diffusion-bunny')}"
    except metadata.PackageNotFoundError:
        return "diffusion-bunny"


@dataclass(frozen=True)
class GenerationParameters:
    prompt: str  # as given to the pipeline: without the <lora:...> tag
    negative_prompt: str
    steps: int
    guidance: float
    seed: int
    width: int
    height: int
    base_model: str
    lora: str  # the model (NAME-vN) whose LoRA was applied
    sampler: str = ""  # A1111's name (see samplers.py)
    lora_weight: float = 1.0
    lora_file: str = ""  # the kohya file's stem: A1111's name of the LoRA
    lora_hash: str = ""  # its addnet hash, 12 digits
    model_name: str = ""  # the base model's name (never a path)
    model_hash: str = ""  # A1111's 10-digit hash of a checkpoint file, else empty

    def a1111_text(self) -> str:
        prompt = self.prompt
        if self.lora_file:
            prompt += f" <lora:{self.lora_file}:{self.lora_weight:g}>"
        lines = [prompt]
        if self.negative_prompt:
            lines.append(f"Negative prompt: {self.negative_prompt}")
        fields = [
            ("Steps", str(self.steps)),
            ("Sampler", self.sampler),
            ("CFG scale", f"{self.guidance:g}"),
            ("Seed", str(self.seed)),
            ("Size", f"{self.width}x{self.height}"),
            ("Model hash", self.model_hash),
            ("Model", self.model_name),
            ("Lora hashes", f"{self.lora_file}: {self.lora_hash}" if self.lora_hash else ""),
            ("Version", software_version()),
        ]
        lines.append(", ".join(f"{key}: {_quoted(value)}" for key, value in fields if value))
        return "\n".join(lines)


def save_png(image: Image.Image, params: GenerationParameters, path: Path) -> None:
    info = PngInfo()
    info.add_text("parameters", params.a1111_text())
    info.add_text("bunny", json.dumps(dataclasses.asdict(params), ensure_ascii=False))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    write_bytes_atomic(path, buffer.getvalue())
