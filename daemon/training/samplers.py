"""The samplers `bunny generate --sampler` offers: each a diffusers scheduler, named in the
infotext the way AUTOMATIC1111 v1.6 to v1.8 names its sampler (the Karras schedule is part of
the name, e.g. `DPM++ 2M Karras`; A1111 1.9 and later read that form too, splitting it into
sampler and `Schedule type`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from diffusers import (
    DDIMScheduler,
    DPMSolverMultistepScheduler,
    EulerAncestralDiscreteScheduler,
    EulerDiscreteScheduler,
    HeunDiscreteScheduler,
    KDPM2AncestralDiscreteScheduler,
    KDPM2DiscreteScheduler,
    LMSDiscreteScheduler,
    PNDMScheduler,
    UniPCMultistepScheduler,
)
from diffusers.schedulers.scheduling_utils import SchedulerMixin


@dataclass(frozen=True)
class _Recipe:
    a1111_name: str
    scheduler: type[Any]  # a diffusers SchedulerMixin (whose from_config mypy cannot see)
    settings: dict[str, Any] = field(default_factory=dict)


class Sampler(Enum):
    """The value is what `--sampler` takes; `a1111_name` what the infotext says."""

    EULER_A = "euler-a"
    EULER = "euler"
    DPMPP_2M = "dpmpp-2m"
    DPMPP_2M_KARRAS = "dpmpp-2m-karras"
    DPMPP_2M_SDE_KARRAS = "dpmpp-2m-sde-karras"
    DDIM = "ddim"
    PLMS = "plms"
    UNIPC = "unipc"
    LMS = "lms"
    HEUN = "heun"
    DPM2 = "dpm2"
    DPM2_A = "dpm2-a"

    @property
    def _recipe(self) -> _Recipe:
        return _RECIPES[self]

    @property
    def a1111_name(self) -> str:
        return self._recipe.a1111_name

    def scheduler(self, base_config: Any) -> SchedulerMixin:
        """This sampler's scheduler, with the base model's noise schedule (`scheduler.config`)."""
        recipe = self._recipe
        made = recipe.scheduler.from_config(base_config, **recipe.settings)
        assert isinstance(made, SchedulerMixin)
        return made

    @classmethod
    def of(cls, scheduler: object) -> Sampler | None:
        """The sampler a scheduler is, if it is one of ours (e.g. SD 1.5's PNDM: PLMS)."""
        config = getattr(scheduler, "config", {})
        for sampler, recipe in _RECIPES.items():
            if type(scheduler) is recipe.scheduler and all(
                config.get(key) == value for key, value in recipe.settings.items()
            ):
                return sampler
        return None

    @classmethod
    def parse(cls, text: str) -> Sampler:
        """`dpmpp-2m-karras` or A1111's `DPM++ 2M Karras` (any case)."""
        wanted = text.strip().lower()
        for sampler in cls:
            if wanted in (sampler.value, sampler.a1111_name.lower()):
                return sampler
        raise ValueError(f"unknown sampler {text!r}")


_DPMPP = {"algorithm_type": "dpmsolver++", "solver_order": 2}
_RECIPES: dict[Sampler, _Recipe] = {
    Sampler.EULER_A: _Recipe("Euler a", EulerAncestralDiscreteScheduler),
    Sampler.EULER: _Recipe("Euler", EulerDiscreteScheduler, {"use_karras_sigmas": False}),
    Sampler.DPMPP_2M: _Recipe(
        "DPM++ 2M", DPMSolverMultistepScheduler, {**_DPMPP, "use_karras_sigmas": False}
    ),
    Sampler.DPMPP_2M_KARRAS: _Recipe(
        "DPM++ 2M Karras", DPMSolverMultistepScheduler, {**_DPMPP, "use_karras_sigmas": True}
    ),
    Sampler.DPMPP_2M_SDE_KARRAS: _Recipe(
        "DPM++ 2M SDE Karras",
        DPMSolverMultistepScheduler,
        {"algorithm_type": "sde-dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
    ),
    Sampler.DDIM: _Recipe("DDIM", DDIMScheduler),
    Sampler.PLMS: _Recipe("PLMS", PNDMScheduler, {"skip_prk_steps": True}),  # as SD 1.5 has it
    Sampler.UNIPC: _Recipe("UniPC", UniPCMultistepScheduler),
    Sampler.LMS: _Recipe("LMS", LMSDiscreteScheduler, {"use_karras_sigmas": False}),
    Sampler.HEUN: _Recipe("Heun", HeunDiscreteScheduler, {"use_karras_sigmas": False}),
    Sampler.DPM2: _Recipe("DPM2", KDPM2DiscreteScheduler, {"use_karras_sigmas": False}),
    Sampler.DPM2_A: _Recipe(
        "DPM2 a", KDPM2AncestralDiscreteScheduler, {"use_karras_sigmas": False}
    ),
}


def sampler_name(scheduler: object) -> str:
    """The infotext's `Sampler`: A1111's name, else the scheduler's class (e.g. DDPM, which
    A1111 does not have)."""
    sampler = Sampler.of(scheduler)
    return sampler.a1111_name if sampler else type(scheduler).__name__
