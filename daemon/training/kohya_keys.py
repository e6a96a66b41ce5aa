"""A peft LoRA state dict in the kohya (sd-scripts) layout that AUTOMATIC1111, Forge, ComfyUI
and InvokeAI load: `lora_unet_<module path with _>.lora_down.weight`, `.lora_up.weight` and a
scalar `.alpha` per module, the update being scaled by alpha / rank as in peft.

The renaming is diffusers' own `convert_state_dict_to_kohya`; it writes alpha = rank, so the
configured alpha is put back here (with alpha != rank the model would otherwise be applied
at the wrong strength).
"""

from __future__ import annotations

import torch
from diffusers.utils.state_dict_utils import convert_state_dict_to_kohya

ALPHA_SUFFIX = ".alpha"


def to_kohya(peft_state: dict[str, torch.Tensor], alpha: float) -> dict[str, torch.Tensor]:
    """`peft_state`: the UNet's LoRA as `get_peft_model_state_dict` gives it (no prefix)."""
    converted = convert_state_dict_to_kohya({f"unet.{k}": v for k, v in peft_state.items()})
    return {
        key: torch.tensor(float(alpha)) if key.endswith(ALPHA_SUFFIX) else value.contiguous()
        for key, value in converted.items()
    }
