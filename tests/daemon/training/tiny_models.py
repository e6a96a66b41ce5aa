"""A tiny random Stable Diffusion pipeline, saved the way a user's model is: a diffusers
folder, or one original-layout (LDM) checkpoint file, as A1111 and ComfyUI users have.

The tokenizer is a real CLIP BPE tokenizer over a local vocabulary: every byte, as a word
piece and as a word end, and no merges (one token per character).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import torch
from diffusers import AutoencoderKL, DDPMScheduler, StableDiffusionPipeline, UNet2DConditionModel
from diffusers.loaders.single_file_utils import DIFFUSERS_TO_LDM_MAPPING
from safetensors.torch import load_file, save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

HIDDEN = 32


def byte_alphabet() -> list[str]:
    """The printable stand-ins GPT-2 and CLIP tokenizers use for the 256 byte values."""
    kept = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1)]
    kept += range(ord("®"), ord("ÿ") + 1)
    extra = iter(range(256, 512))
    return [chr(b) if b in kept else chr(next(extra)) for b in range(256)]


def tiny_tokenizer() -> CLIPTokenizer:
    alphabet = byte_alphabet()
    vocab = {c: i for i, c in enumerate(alphabet)}
    vocab |= {f"{c}</w>": i + len(alphabet) for i, c in enumerate(alphabet)}
    vocab |= {"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1}
    return CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)


def build_tiny_pipeline(folder: Path, seed: int = 0) -> Path:
    """A random SD pipeline (about 0.3 M UNet parameters, 4x smaller pictures) saved to folder."""
    torch.manual_seed(seed)
    tokenizer = tiny_tokenizer()
    unet = UNet2DConditionModel(
        sample_size=16,
        block_out_channels=(16, 32),
        layers_per_block=1,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=HIDDEN,
        attention_head_dim=8,
        norm_num_groups=8,
    )
    vae = AutoencoderKL(
        block_out_channels=(8, 16),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
        norm_num_groups=8,
        layers_per_block=1,
        sample_size=32,
    )
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=HIDDEN,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            max_position_embeddings=77,
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    scheduler = DDPMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        steps_offset=1,
    )
    pipe = StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(folder)
    return folder


# --- the original (LDM) layout, written from a diffusers folder -------------------------

_RESNET = [
    ("norm1", "in_layers.0"),
    ("conv1", "in_layers.2"),
    ("norm2", "out_layers.0"),
    ("conv2", "out_layers.3"),
    ("time_emb_proj", "emb_layers.1"),
    ("conv_shortcut", "skip_connection"),
]
_VAE_ATTENTION = [
    ("group_norm", "norm"),
    ("to_q", "q"),
    ("to_k", "k"),
    ("to_v", "v"),
    ("to_out.0", "proj_out"),
]


def _unet_key(key: str, config: dict[str, object]) -> str:
    fixed = DIFFUSERS_TO_LDM_MAPPING["unet"]["layers"]
    if key in fixed:
        return fixed[key]
    per_block = int(config["layers_per_block"]) + 1  # type: ignore[call-overload]
    up_attention = [str(t).startswith("CrossAttn") for t in config["up_block_types"]]  # type: ignore[attr-defined]
    part = re.match(r"(down|up)_blocks\.(\d+)\.(\w+)\.(\d+)\.(.*)", key)
    if part:
        side, block, kind, index, rest = part.groups()
        first = 1 + int(block) * per_block if side == "down" else int(block) * per_block
        if kind == "downsamplers":
            return f"input_blocks.{first + per_block - 1}.0.op.{rest.removeprefix('conv.')}"
        if kind == "upsamplers":
            slot = 2 if up_attention[int(block)] else 1
            return f"output_blocks.{first + per_block - 1}.{slot}.{rest}"
        blocks = "input_blocks" if side == "down" else "output_blocks"
        prefix = f"{blocks}.{first + int(index)}.{0 if kind == 'resnets' else 1}"
    else:
        mid = re.match(r"mid_block\.(resnets|attentions)\.(\d+)\.(.*)", key)
        assert mid, key
        kind, index, rest = mid.groups()
        prefix = f"middle_block.{2 * int(index) if kind == 'resnets' else 1}"
    if kind == "resnets":
        for new, old in _RESNET:
            rest = rest.replace(new, old)
    return f"{prefix}.{rest}"


def _vae_key(key: str, blocks: int) -> str:
    fixed = DIFFUSERS_TO_LDM_MAPPING["vae"]
    if key in fixed:
        return fixed[key]
    key = key.replace("conv_shortcut", "nin_shortcut")
    part = re.match(r"(encoder|decoder)\.(down|up)_blocks\.(\d+)\.(\w+?)s\.(\d+)\.(.*)", key)
    if part:
        coder, side, block, kind, index, rest = part.groups()
        number = int(block) if side == "down" else blocks - 1 - int(block)  # LDM counts up
        if kind == "resnet":
            return f"{coder}.{side}.{number}.block.{index}.{rest}"
        return f"{coder}.{side}.{number}.{side}sample.{rest}"  # downsample, upsample
    mid = re.match(r"(encoder|decoder)\.mid_block\.(resnets|attentions)\.(\d+)\.(.*)", key)
    assert mid, key
    coder, kind, index, rest = mid.groups()
    if kind == "resnets":
        return f"{coder}.mid.block_{int(index) + 1}.{rest}"
    for new, old in _VAE_ATTENTION:
        rest = rest.replace(new, old)
    return f"{coder}.mid.attn_1.{rest}"


def write_single_file(folder: Path, path: Path) -> Path:
    """The diffusers pipeline in `folder` as one original-layout .safetensors checkpoint."""
    unet_config = json.loads((folder / "unet" / "config.json").read_text())
    vae_blocks = len(json.loads((folder / "vae" / "config.json").read_text())["down_block_types"])
    result: dict[str, torch.Tensor] = {}
    for key, value in load_file(folder / "unet" / "diffusion_pytorch_model.safetensors").items():
        result[f"model.diffusion_model.{_unet_key(key, unet_config)}"] = value
    for key, value in load_file(folder / "vae" / "diffusion_pytorch_model.safetensors").items():
        name = _vae_key(key, vae_blocks)
        if ".mid.attn_1." in name and value.ndim == 2:
            value = value[:, :, None, None]  # linear in diffusers, 1x1 convolution in LDM
        result[f"first_stage_model.{name}"] = value
    for key, value in load_file(folder / "text_encoder" / "model.safetensors").items():
        result[f"cond_stage_model.transformer.text_model.{key.removeprefix('text_model.')}"] = value
    save_file({k: v.contiguous() for k, v in result.items()}, path)
    return path


def configs_only(folder: Path, target: Path) -> Path:
    """A copy of the diffusers folder without its weights: the configs a checkpoint needs."""
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns("*.safetensors", "*.bin"))
    return target
