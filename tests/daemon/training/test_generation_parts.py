"""The small parts behind the model files and `bunny generate`: the file name, the caption
tags, the base model family, the sampler names, the infotext and the progress display."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from diffusers import DDPMScheduler, PNDMScheduler

from daemon.commands.cli import main
from daemon.training.base_model import load_pipeline
from daemon.training.generate_progress import GenerationProgress
from daemon.training.generation import render
from daemon.training.infotext import GenerationParameters
from daemon.training.kohya_header import BaseFamily, tag_frequency
from daemon.training.lora_files import kohya_file_name
from daemon.training.samplers import Sampler, sampler_name
from tests.daemon.training.conftest import parse_infotext


@pytest.mark.parametrize(
    ("model", "file"),
    [
        ("Amélie Poulain-v2", "Amelie_Poulain-v2.safetensors"),
        ("Zoë  O'Neil-v1", "Zoe_O_Neil-v1.safetensors"),
        ("a:b>c<d-v3", "a_b_c_d-v3.safetensors"),  # `:` and `>` break <lora:NAME:WEIGHT>
        ("宮崎 駿-v1", "宮崎_駿-v1.safetensors"),  # letters of any script stay
    ],
)
def test_the_kohya_file_name_has_no_spaces_or_separators(model: str, file: str) -> None:
    assert kohya_file_name(model) == file


def test_tags_are_the_lower_cased_comma_separated_caption_pieces() -> None:
    captions = ["amelie, A woman,  smiling", "amelie,, a woman", "amelie"]
    assert tag_frequency(captions) == {"amelie": 3, "a woman": 2, "smiling": 1}


def test_the_base_model_family_names_versions_and_architectures() -> None:
    sd15, sd2_base, sd2_v = (
        BaseFamily.of(768, "epsilon"),
        BaseFamily.of(1024, "epsilon"),
        (BaseFamily.of(1024, "v_prediction")),
    )
    assert [f.version for f in (sd15, sd2_base, sd2_v)] == ["sd_v1", "sd_v2", "sd_v2_v"]
    assert [f.architecture for f in (sd15, sd2_base, sd2_v)] == [
        "stable-diffusion-v1/lora",
        "stable-diffusion-v2-512/lora",
        "stable-diffusion-v2-768-v/lora",
    ]


A1111_NAMES = {
    "euler-a": "Euler a",
    "euler": "Euler",
    "dpmpp-2m": "DPM++ 2M",
    "dpmpp-2m-karras": "DPM++ 2M Karras",
    "dpmpp-2m-sde-karras": "DPM++ 2M SDE Karras",
    "ddim": "DDIM",
    "plms": "PLMS",
    "unipc": "UniPC",
    "lms": "LMS",
    "heun": "Heun",
    "dpm2": "DPM2",
    "dpm2-a": "DPM2 a",
}


def test_each_sampler_is_a_scheduler_named_as_a1111_names_it() -> None:
    base = DDPMScheduler(beta_schedule="scaled_linear").config
    assert {s.value: s.a1111_name for s in Sampler} == A1111_NAMES
    for sampler in Sampler:
        scheduler = sampler.scheduler(base)
        assert Sampler.of(scheduler) is sampler
        assert sampler_name(scheduler) == sampler.a1111_name
        assert Sampler.parse(sampler.a1111_name.upper()) is Sampler.parse(sampler.value)
    assert Sampler.DPMPP_2M_KARRAS.scheduler(base).config.use_karras_sigmas
    assert sampler_name(PNDMScheduler(skip_prk_steps=True)) == "PLMS"  # SD 1.5's own
    assert sampler_name(DDPMScheduler()) == "DDPMScheduler"  # no A1111 sampler is DDPM
    with pytest.raises(ValueError, match="unknown sampler"):
        Sampler.parse("k_euler")


def test_every_sampler_makes_a_picture(tiny_base_model: Path) -> None:
    pipe = load_pipeline(str(tiny_base_model))
    base = pipe.scheduler.config
    params = GenerationParameters("amelie", "", 3, 7.0, 1, 32, 32, "tiny", "")
    pictures = {}
    for sampler in Sampler:
        pipe.scheduler = sampler.scheduler(base)
        steps: list[tuple[int, int]] = []
        picture = render(pipe, params, lambda done, total: steps.append((done, total)))  # noqa: B023
        pictures[sampler] = np.asarray(picture, dtype=np.float32)
        total = steps[-1][1]  # PLMS takes 4, Heun and DPM2 5
        assert steps == [(done, total) for done in range(1, total + 1)], sampler
        assert total >= 3
        assert np.isfinite(pictures[sampler]).all()
    assert np.abs(pictures[Sampler.EULER_A] - pictures[Sampler.DDIM]).mean() > 0.1


def test_the_infotext_reads_back_field_by_field() -> None:
    params = GenerationParameters(
        "amelie, on a bench", "", 30, 7.0, 123, 512, 768, "/models/v1-5.safetensors", "A-v1",
        sampler="DPM++ 2M Karras", lora_weight=0.8, lora_file="A-v1",
        lora_hash="0123456789ab", model_name="v1-5", model_hash="abcdef1234",
    )  # fmt: skip
    text = params.a1111_text()
    assert "Negative prompt" not in text  # A1111 leaves out an empty one
    assert parse_infotext(text) == (
        "amelie, on a bench <lora:A-v1:0.8>",
        "",
        {
            "Steps": "30",
            "Sampler": "DPM++ 2M Karras",
            "CFG scale": "7",
            "Seed": "123",
            "Size": "512x768",
            "Model hash": "abcdef1234",
            "Model": "v1-5",
            "Lora hashes": "A-v1: 0123456789ab",
            "Version": "diffusion-bunny 0.1.0",
        },
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_on_a_terminal_progress_is_one_line_updated_in_place() -> None:
    screen, clock = Terminal(), Clock()
    progress = GenerationProgress(count=4, steps=30, stream=screen, clock=clock)
    progress.start_image(1)
    assert screen.getvalue() == "\rimage 1/4, step 0/30\x1b[K"  # no estimate before a step
    clock.now += 30.0
    progress.step(1, 30, 30)
    progress.image_done(1, Path("/lib/one.png"))
    progress.start_image(2)
    clock.now += 13.0
    progress.step(2, 13, 30)  # 43 steps in 43 s, 77 to go
    assert screen.getvalue().endswith("\rimage 2/4, step 13/30, 1:17 left\x1b[K")
    assert "\n" not in screen.getvalue()
    progress.end()  # generation failed or was interrupted: the error starts a line of its own
    progress.end()
    assert screen.getvalue().endswith("left\x1b[K\n")


def test_elsewhere_progress_is_one_line_per_image() -> None:
    log, clock = io.StringIO(), Clock()
    progress = GenerationProgress(count=2, steps=10, stream=log, clock=clock)
    for index in (1, 2):
        progress.start_image(index)
        clock.now += 4.0
        progress.step(index, 10, 10)
        assert progress.image_done(index, Path(f"/lib/{index}.png")) == 4.0
    assert log.getvalue().splitlines() == [
        "image 1/2 done in 4.0 s, 0:04 left: /lib/1.png",
        "image 2/2 done in 4.0 s, 0:00 left: /lib/2.png",
    ]


@pytest.mark.usefixtures("own_logging")
def test_generate_with_a_mistyped_library_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    typo = tmp_path / "libary"
    assert main(["generate", "Ann", "{trigger}", "--library", str(typo)]) == 1
    assert "'Ann' has no trained model" in capsys.readouterr().err
    assert not typo.exists()
