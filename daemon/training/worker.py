"""`python -m daemon.training.worker RUN_FOLDER`: one training run, in its own process.

Reads `run.json` and `dataset.json`, trains (resuming from `checkpoint.pt` when there is
one), writes the model files and sample images, then renames `NAME-vN.partial` to `NAME-vN`.
Progress goes to `progress.json` (see progress.py) and log lines to `train.log`. SIGTERM
stops at the end of the current step with a checkpoint. Exit status: 0 done, 1 failed
(`error` in progress.json), 69 no device allowed to train now, 75 stopped (resumable); a
process killed by a signal is resumable too.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import structlog

from daemon.config import LogConfig
from daemon.log import configure_logging, get_logger, secrets_from_environment
from daemon.service.instance_lock import AlreadyRunningError, InstanceLock
from daemon.training.progress import (
    EXIT_FAILED,
    EXIT_STOPPED,
    State,
    TrainingProgress,
    read_progress,
    write_progress,
)
from daemon.training.run_folder import LOCK_FILE, LOG_FILE, RunFolder, RunSpec, read_spec
from daemon.training.worker_run import StopFlag, StopRequestedError, run_training

log = get_logger("bunny.training")
LOCK_WAIT_SECONDS = 1.0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m daemon.training.worker RUN_FOLDER", file=sys.stderr)
        return 2
    run_dir = Path(args[0]).resolve()
    spec = read_spec(run_dir)
    log_config = LogConfig(level=spec.log_level, console="off")
    configure_logging(log_config, run_dir / LOG_FILE, secrets_from_environment())
    run = RunFolder.of(run_dir)
    structlog.contextvars.bind_contextvars(character=spec.character, run=run.name)
    stop = StopFlag(parent=os.getppid())
    signal.signal(signal.SIGTERM, stop.on_signal)
    lock = InstanceLock(run_dir / LOCK_FILE)
    try:
        _take(lock)
    except StopRequestedError:
        return EXIT_STOPPED  # the folder is another worker's still: nothing of ours to write
    try:
        return run_training(run, spec, stop)
    except StopRequestedError:
        log.info("training stopped outside its steps")
        _mark(run, spec, "stopped")
        return EXIT_STOPPED
    except Exception as exc:
        log.exception("training failed", error=str(exc))
        _mark(run, spec, "failed", _one_line(exc))
        return EXIT_FAILED
    finally:
        lock.release()


def _take(lock: InstanceLock) -> None:
    """The run folder's lock; a worker left by a dead daemon stops at its next step."""
    waiting = False
    while True:
        try:
            lock.acquire()
            return
        except AlreadyRunningError:
            if not waiting:
                log.warning("another worker still holds this run; waiting for it to stop")
                waiting = True
            time.sleep(LOCK_WAIT_SECONDS)


def _mark(run: RunFolder, spec: RunSpec, state: State, error: str = "") -> None:
    previous = read_progress(run.path) or TrainingProgress(state, steps=spec.training.steps)
    write_progress(run.path, replace(previous, state=state, error=error, pid=os.getpid()))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:2000]


if __name__ == "__main__":
    sys.exit(main())
