"""The LoRA training loop: a peft LoRA on the UNet's attention projections, noise-prediction
MSE (or v-prediction, as the base model's scheduler says), AdamW, checkpoints and resume.

Each image's latent distribution and each caption's text embedding are computed once
(`cache`), so a step runs only the UNet; the VAE and text encoder then leave the GPU. On a
GPU the frozen weights are in fp16 or bf16 (`mixed_precision`) under autocast, the LoRA
weights in fp32 (a gradient scaler for fp16), and gradient checkpointing saves memory.

The random numbers of step N (latent sample, noise, timesteps) come from a generator seeded
with (seed, N) and the batch order is a function of (seed, N) too, so the step number is the
whole random state: a checkpoint (LoRA weights, optimizer and scaler state, step, loss, time
spent) written atomically every `checkpoint_every` steps and at the end is all a resumed run
needs to continue as if it had never stopped.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import StableDiffusionPipeline
from diffusers.schedulers.scheduling_ddpm import DDPMScheduler
from peft import LoraConfig, get_peft_model_state_dict, set_peft_model_state_dict

from daemon.atomic import write_bytes_atomic
from daemon.config import TrainingConfig
from daemon.training.buckets import BatchPlan, choose_bucket, load_picture, make_buckets, to_bucket

LORA_TARGETS = ["to_q", "to_k", "to_v", "to_out.0"]
MAX_GRAD_NORM = 1.0
SMOOTHING = 0.1  # the reported loss is an exponential moving average over about 20 steps


@dataclass(frozen=True)
class StepReport:
    step: int  # steps done
    steps: int
    loss: float
    smoothed_loss: float
    learning_rate: float
    seconds: float  # this step
    checkpointed: bool


@dataclass(frozen=True)
class Example:
    mean: torch.Tensor  # the image's latent distribution (before the VAE scaling factor)
    std: torch.Tensor
    embedding: torch.Tensor  # its caption through the text encoder


def _move(module: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> None:
    """To the device, and to the dtype only when it differs (diffusers warns about every cast)."""
    module.to(device)
    if next(module.parameters()).dtype != dtype:
        module.to(dtype=dtype)


def weight_dtype(device: str, mixed_precision: str) -> torch.dtype:
    if device != "cuda" or mixed_precision == "no":
        return torch.float32
    if mixed_precision == "bf16" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float16


def learning_rate_at(step: int, config: TrainingConfig) -> float:
    warm = min(1.0, (step + 1) / config.lr_warmup_steps) if config.lr_warmup_steps else 1.0
    if config.lr_schedule == "cosine":
        warm *= 0.5 * (1.0 + math.cos(math.pi * step / config.steps))
    return config.learning_rate * warm


class LoraTrainer:
    def __init__(
        self, pipe: StableDiffusionPipeline, config: TrainingConfig, device: str, checkpoint: Path
    ) -> None:
        self.pipe, self.config, self.checkpoint = pipe, config, checkpoint
        self.device = torch.device(device)
        self.dtype = pipe.unet.dtype
        for module in (pipe.unet, pipe.vae, pipe.text_encoder):
            module.requires_grad_(False)
        torch.manual_seed(config.seed)  # the LoRA's initial weights
        self.lora_config = LoraConfig(
            r=config.rank,
            lora_alpha=config.alpha,  # type: ignore[arg-type]  # a float works
            init_lora_weights="gaussian",
            target_modules=LORA_TARGETS,
        )
        pipe.unet.add_adapter(self.lora_config)
        self.params = [p for p in pipe.unet.parameters() if p.requires_grad]
        for param in self.params:
            param.data = param.data.float()
        pipe.unet.to(self.device)
        if device == "cuda" and config.gradient_checkpointing:
            pipe.unet.enable_gradient_checkpointing()
        self.optimizer = torch.optim.AdamW(self.params, lr=config.learning_rate)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.dtype == torch.float16)
        self.noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config)
        self.step = 0
        self.smoothed_loss: float | None = None
        self.last_loss: float | None = None
        self.training_seconds = 0.0
        self.resumes: list[int] = []  # the steps this run was resumed from
        self.examples: list[Example] = []
        self.plan: BatchPlan | None = None

    def resume(self) -> int:
        """Load the last checkpoint, if any; the step it was taken at (0 without one)."""
        if not self.checkpoint.exists():
            return 0
        state = torch.load(self.checkpoint, map_location="cpu", weights_only=True)
        loaded = set_peft_model_state_dict(self.pipe.unet, state["lora"])
        unexpected: list[str] = getattr(loaded, "unexpected_keys", [])
        if unexpected:
            raise RuntimeError(f"checkpoint does not fit this model: {unexpected[:3]}")
        self.optimizer.load_state_dict(state["optimizer"])
        if state["scaler"]:  # empty from a run without fp16 (resumed on another device)
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self.smoothed_loss, self.last_loss = state["smoothed_loss"], state["last_loss"]
        self.training_seconds = float(state["training_seconds"])
        self.resumes = [*state["resumes"], self.step]
        return self.step

    def save_checkpoint(self) -> None:
        buffer = io.BytesIO()
        torch.save(
            {
                "step": self.step,
                "lora": self.lora_state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scaler": self.scaler.state_dict(),
                "smoothed_loss": self.smoothed_loss,
                "last_loss": self.last_loss,
                "training_seconds": self.training_seconds,
                "resumes": self.resumes,
            },
            buffer,
        )
        write_bytes_atomic(self.checkpoint, buffer.getvalue())

    def lora_state_dict(self) -> dict[str, torch.Tensor]:
        """The LoRA weights in peft's layout (`...to_q.lora_A.weight`), fp32 on the CPU."""
        state = get_peft_model_state_dict(self.pipe.unet)
        return {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in state.items()}

    def cache(self, images: Sequence[Path], captions: Sequence[str]) -> None:
        pipe, buckets = self.pipe, make_buckets(self.config.resolution, self.config.bucketing)
        _move(pipe.vae, self.device, torch.float32)  # fp16 VAEs can overflow while encoding
        pipe.text_encoder.to(self.device)
        bucket_of = []
        with torch.no_grad():
            for image, caption in zip(images, captions, strict=True):
                picture = load_picture(image)
                bucket = choose_bucket(picture.width, picture.height, buckets)
                pixels = to_bucket(picture, bucket).unsqueeze(0).to(self.device)
                latent = pipe.vae.encode(pixels).latent_dist
                ids = pipe.tokenizer(
                    caption,
                    padding="max_length",
                    max_length=pipe.tokenizer.model_max_length,
                    truncation=True,
                    return_tensors="pt",
                ).input_ids
                embedding = pipe.text_encoder(ids.to(self.device))[0][0]
                self.examples.append(
                    Example(
                        latent.mean[0].float().cpu(), latent.std[0].float().cpu(), embedding.cpu()
                    )
                )
                bucket_of.append(bucket)
        _move(pipe.vae, torch.device("cpu"), self.dtype)  # off the GPU until the samples
        pipe.text_encoder.to("cpu")
        self.plan = BatchPlan(bucket_of, self.config.batch_size, self.config.seed)

    def train(self, on_step: Callable[[StepReport], None], should_stop: Callable[[], bool]) -> bool:
        """Train up to `steps`; False when stopped early (after a checkpoint)."""
        self.pipe.unet.train()
        saved = self.step
        while self.step < self.config.steps and not should_stop():
            started = time.monotonic()
            rate = learning_rate_at(self.step, self.config)
            loss = self._one_step(rate)
            self.step += 1
            self.last_loss = loss
            if math.isfinite(loss):
                previous = loss if self.smoothed_loss is None else self.smoothed_loss
                self.smoothed_loss = previous + SMOOTHING * (loss - previous)
            seconds = time.monotonic() - started
            self.training_seconds += seconds
            due = self.step % self.config.checkpoint_every == 0 or self.step == self.config.steps
            if due:
                self.save_checkpoint()
                saved = self.step
            report = StepReport(
                self.step, self.config.steps, loss, self.smoothed_loss or loss, rate, seconds, due
            )
            on_step(report)
            if self.config.step_delay_seconds:
                time.sleep(self.config.step_delay_seconds)  # testing aid
        if saved != self.step:
            self.save_checkpoint()
        self.pipe.unet.eval()
        return self.step >= self.config.steps

    def _one_step(self, rate: float) -> float:
        assert self.plan is not None, "cache() comes first"
        batch = [self.examples[i] for i in self.plan.batch(self.step)]
        generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + self.step)
        mean = torch.stack([e.mean for e in batch])
        std = torch.stack([e.std for e in batch])
        sample = mean + std * torch.randn(mean.shape, generator=generator)
        latents = sample * self.pipe.vae.config.scaling_factor
        noise = torch.randn(latents.shape, generator=generator)
        steps = self.noise_scheduler.config.num_train_timesteps
        timesteps = torch.randint(0, steps, (len(batch),), generator=generator)
        noisy = self.noise_scheduler.add_noise(latents, noise, timesteps)
        if self.noise_scheduler.config.prediction_type == "v_prediction":
            target = self.noise_scheduler.get_velocity(latents, noise, timesteps)
        else:
            target = noise
        embeddings = torch.stack([e.embedding for e in batch]).to(self.device, self.dtype)
        for group in self.optimizer.param_groups:
            group["lr"] = rate
        with torch.autocast(self.device.type, self.dtype, enabled=self.dtype != torch.float32):
            unet = self.pipe.unet
            prediction = unet(
                noisy.to(self.device, self.dtype), timesteps.to(self.device), embeddings
            )
        loss = torch.nn.functional.mse_loss(
            prediction.sample.float(), target.to(self.device).float()
        )
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.params, MAX_GRAD_NORM)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.optimizer.zero_grad(set_to_none=True)
        return float(loss.item())
