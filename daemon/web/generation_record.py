"""A generation job's folder read back: what it was asked, how far it got, its images (paths
relative to the library) or its error, bounded for the page."""

from __future__ import annotations

import enum
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from daemon.display_text import bounded

ASK_FILE = "ask.json"
OUT_FILE = "stdout.txt"  # `bunny generate` prints the images' paths there when done
ERR_FILE = "stderr.txt"  # one progress line per finished image, or the error
EXIT_FILE = "exit.txt"
MAX_COUNT = 8
MAX_PROMPT = 1000
MAX_SEED = 2**32 - 1
ERROR_LIMIT = 1500
# generate_progress.py's line for a pipe: `image 2/4 done in 12.3 s, 0:41 left: PATH`
_DONE_LINE = re.compile(r"^image (\d+)/(\d+) done in [\d.]+ s(?:, [\d:]+ left)?: (.+)$")


class JobState(enum.StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    LOST = "lost"  # the web process stopped while it ran: no exit status was kept


@dataclass(frozen=True)
class GenerationAsk:
    prompt: str
    seed: int | None  # None: random, as `bunny generate` without --seed
    count: int

    @classmethod
    def checked(cls, prompt: str, seed: str, count: str) -> GenerationAsk:
        """From the form's fields; ValueError says what is wrong."""
        prompt = prompt.strip()
        if not prompt:
            raise ValueError("the prompt is empty")
        if len(prompt) > MAX_PROMPT or not prompt.isprintable():
            raise ValueError(f"the prompt must be one line of at most {MAX_PROMPT} characters")
        return cls(prompt, _seed(seed), _count(count))

    def to_json(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "seed": self.seed, "count": self.count}


@dataclass(frozen=True)
class GenerationJob:
    id: str
    ask: GenerationAsk
    state: JobState
    done: int  # images finished so far
    images: tuple[str, ...]  # relative to the library
    error: str | None


def read_job(folder: Path, library: Path, running: bool) -> GenerationJob:
    raw = json.loads(_text(folder / ASK_FILE) or "{}")
    ask = GenerationAsk(str(raw.get("prompt", "")), raw.get("seed"), int(raw.get("count", 0)))
    exit_text = _text(folder / EXIT_FILE).strip()
    lines = _text(folder / ERR_FILE).splitlines()
    progress = [match for line in lines if (match := _DONE_LINE.match(line))]
    images = tuple(p for m in progress if (p := _inside(m[3], library)) is not None)
    state = _state(running, exit_text)
    error = _error(_text(folder / ERR_FILE)) if state is JobState.FAILED else None
    return GenerationJob(folder.name, ask, state, len(progress), images, error)


def _state(running: bool, exit_text: str) -> JobState:
    if running:
        return JobState.RUNNING
    if not exit_text:
        return JobState.LOST
    return JobState.DONE if exit_text == "0" else JobState.FAILED


def _error(stderr: str) -> str:
    """`bunny: <why>` when the command said why, else the end of what it wrote (a traceback)."""
    lines = stderr.splitlines()
    said = [line.removeprefix("bunny: ") for line in lines if line.startswith("bunny: ")]
    text = "\n".join(said) if said else "\n".join(stderr.strip().splitlines()[-6:])
    return bounded(text or "it ended without saying why", ERROR_LIMIT)


def _inside(shown_path: str, library: Path) -> str | None:
    try:
        return Path(shown_path).relative_to(library).as_posix()
    except ValueError:
        return None


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _seed(text: str) -> int | None:
    if not text.strip():
        return None
    try:
        seed = int(text)
    except ValueError:
        raise ValueError(f"the seed must be a whole number from 0 to {MAX_SEED}") from None
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be a whole number from 0 to {MAX_SEED}")
    return seed


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"the count must be from 1 to {MAX_COUNT}")
    return count
