"""Generation started from the review page: each job is a `bunny generate` process (the same
entry point as the command line, and no PyTorch in the web process), one at a time per
character. Its folder under `<library>/.cache/generations/` keeps what it was asked, its
output and its exit status, which `generation_record.py` reads back for the page."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

from daemon.atomic import write_bytes_atomic
from daemon.config import Config
from daemon.training.run_folder import latest_model
from daemon.web.generation_record import (
    ASK_FILE,
    ERR_FILE,
    EXIT_FILE,
    OUT_FILE,
    GenerationAsk,
    GenerationJob,
    read_job,
)

JOBS_FOLDER = Path(".cache") / "generations"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHOWN_JOBS = 6


class GenerationRefusedError(Exception):
    """The job was not started; the message says why."""


class GenerationJobs:
    """The jobs of one library; the processes this web process started, each followed by a
    thread until it ends."""

    def __init__(self, config: Config) -> None:
        self._config = config
        self._library = config.library.resolve()
        self._lock = threading.Lock()
        self._running: dict[str, Path] = {}  # each character's job folder while it runs

    def start(self, character: str, ask: GenerationAsk) -> GenerationJob:
        if latest_model(self._library, character) is None:
            raise GenerationRefusedError(f"{character} has no trained model yet: train one first")
        with self._lock:
            if character in self._running:
                raise GenerationRefusedError(
                    f"a generation for {character} is already running: wait for it to finish"
                )
            folder = self._folder(character) / _job_id()
            try:
                folder.mkdir(parents=True)
                write_bytes_atomic(folder / ASK_FILE, json.dumps(ask.to_json()).encode())
                process = self._launch(character, ask, folder)
            except OSError as exc:
                raise GenerationRefusedError(f"it could not start: {exc}") from exc
            self._running[character] = folder
        follower = threading.Thread(
            target=self._follow, args=(character, folder, process), daemon=True
        )
        follower.start()
        return read_job(folder, self._library, running=True)

    def jobs_of(self, character: str) -> tuple[GenerationJob, ...]:
        """The character's newest jobs, newest first."""
        with self._lock:
            running = set(self._running.values())
        base = self._folder(character)
        folders = sorted(base.iterdir(), reverse=True)[:SHOWN_JOBS] if base.is_dir() else []
        return tuple(read_job(f, self._library, f in running) for f in folders if f.is_dir())

    def _follow(self, character: str, folder: Path, process: subprocess.Popen[bytes]) -> None:
        """Wait for the process (a thread each: a page view only reads), keep its status."""
        code = process.wait()
        with self._lock:
            try:
                write_bytes_atomic(folder / EXIT_FILE, str(code).encode())
            finally:  # a full disk must not keep the character's next generation out
                del self._running[character]

    def _folder(self, character: str) -> Path:
        key = hashlib.sha1(character.encode(), usedforsecurity=False).hexdigest()[:16]
        return self._library / JOBS_FOLDER / key

    def _launch(self, character: str, ask: GenerationAsk, folder: Path) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "daemon.commands.cli", "generate"]
        command += ["--library", str(self._library), "--count", str(ask.count)]
        if self._config.source is not None:
            command += ["--config", str(self._config.source.resolve())]
        if ask.seed is not None:
            command += ["--seed", str(ask.seed)]
        command += ["--", character, ask.prompt]  # a prompt may start with "-"
        # Without --config the command reads ./config.yaml or $BUNNY_CONFIG: neither is ours.
        env = {k: v for k, v in os.environ.items() if k != "BUNNY_CONFIG"}
        # The same source as this process, installed or not (as training's worker is started).
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")])
        )
        with (folder / OUT_FILE).open("wb") as out, (folder / ERR_FILE).open("wb") as err:
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=folder, env=env
            )


def _job_id() -> str:
    return f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
