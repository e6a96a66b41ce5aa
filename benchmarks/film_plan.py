"""The benchmark film's plan: its shots, and which part of each shot's picture a frame shows.

Shots of 2-8 s, static, panning or zooming, some fading to black into the next, some
repeating an earlier shot (near-duplicates). The same seed gives the same film.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

import numpy as np

FADE_FRAMES = 18
FADE_EVERY = 10  # shot numbers 6, 16, 26... fade out to black into the next one
REPEAT_EVERY = 7  # shot numbers 4, 11, 18... repeat the shot two before them

Motion = Literal["static", "pan", "zoom"]


@dataclass(frozen=True)
class ShotPlan:
    frames: int
    travel: int  # frames of panning the base picture is sized for: a repeat keeps the original's
    picture: int  # seed of the base picture; a repeated shot reuses an earlier one's
    motion: Motion
    step: tuple[int, int]  # pan: pixels per frame (x, y)
    zoom: float  # zoom: the window's scale at the shot's end (below 1 zooms in)
    fade_in: bool
    fade_out: bool
    repeat: bool


def plan_shots(seconds: float, fps: int, seed: int) -> list[ShotPlan]:
    """Shots of 2-8 s until the clip is full; the same seed gives the same film's start."""
    rng = np.random.default_rng(seed)
    total = round(seconds * fps)
    shots: list[ShotPlan] = []
    used = 0
    while used < total:
        number = len(shots)
        frames = min(total - used, int(rng.integers(2 * fps, 8 * fps + 1)))
        fade_in = bool(shots) and shots[-1].fade_out
        fade_out = number % FADE_EVERY == FADE_EVERY - 4
        if number % REPEAT_EVERY == REPEAT_EVERY - 3:
            earlier = shots[number - 2]
            frames = min(frames, earlier.travel)  # a pan must not run off the same picture
            shots.append(
                dataclasses.replace(
                    earlier, frames=frames, fade_in=fade_in, fade_out=fade_out, repeat=True
                )
            )
        else:
            shots.append(_new_shot(rng, frames, seed * 1000 + number, fade_in, fade_out))
        used += frames
    return shots


def _new_shot(
    rng: np.random.Generator, frames: int, picture: int, fade_in: bool, fade_out: bool
) -> ShotPlan:
    motion: Motion = ("static", "pan", "zoom")[int(rng.choice(3, p=[0.4, 0.4, 0.2]))]
    sign = 1 if rng.random() < 0.5 else -1
    step = (sign * int(rng.integers(1, 4)), int(rng.integers(-1, 2)))
    zoom = float(rng.uniform(0.75, 0.9)) if rng.random() < 0.6 else float(rng.uniform(1.1, 1.3))
    return ShotPlan(frames, frames, picture, motion, step, zoom, fade_in, fade_out, repeat=False)


def shot_base_size(shot: ShotPlan, width: int, height: int) -> tuple[int, int]:
    if shot.motion != "pan":
        return width, height
    travel_x, travel_y = (abs(s) * _scale(width) * (shot.travel - 1) for s in shot.step)
    return width + _even(travel_x), height + _even(travel_y)


def _scale(width: int) -> int:
    return max(1, round(width / 1280))


def _even(value: float) -> int:
    return int(value) + int(value) % 2


def window(shot: ShotPlan, index: int, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """The (x, y, width, height) of the base picture that frame `index` shows; all even."""
    width, height = size
    progress = index / max(1, shot.frames - 1)
    if shot.motion == "pan":
        base_w, base_h = shot_base_size(shot, width, height)
        dx, dy = (s * _scale(width) * index for s in shot.step)
        x = dx if shot.step[0] >= 0 else base_w - width + dx
        y = dy if shot.step[1] >= 0 else base_h - height + dy
        return x - x % 2, y - y % 2, width, height
    if shot.motion == "zoom":
        # Zooming out shows the base shrink from a tighter start: scales stay within it.
        scale = 1 + (min(shot.zoom, 1 / shot.zoom) - 1) * (
            progress if shot.zoom < 1 else 1 - progress
        )
        w, h = _even(width * scale), _even(height * scale)
        return _even((width - w) / 2), _even((height - h) / 2), w, h
    return 0, 0, width, height


def fade_level(shot: ShotPlan, index: int) -> float:
    level = 1.0
    if shot.fade_in and index < FADE_FRAMES:
        level = index / FADE_FRAMES
    if shot.fade_out and index >= shot.frames - FADE_FRAMES:
        level = min(level, (shot.frames - 1 - index) / FADE_FRAMES)
    return level
