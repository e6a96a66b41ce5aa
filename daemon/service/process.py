"""What a process started by the Windows service manager lacks, made good before the daemon runs.

A service has no console: Python gives it None for sys.stdout and sys.stderr, so a stray
write (a library's progress bar, a thread's traceback) would fail or vanish. And its
sys.executable is pythonservice.exe, which cannot run `-m daemon.training.worker`: training's
child process needs the python.exe of the same installation. Elsewhere both are left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

STREAMS = ("stdout", "stderr")


def python_for_children(executable: Path, exec_prefix: Path) -> Path:
    """The interpreter to start child processes with, from the one running this process."""
    if not executable.name.lower().startswith("pythonservice"):
        return executable
    # pywin32 copies pythonservice.exe into sys.exec_prefix: the virtual environment's root
    # (python.exe in Scripts) or the Python installation's (python.exe beside it).
    for candidate in (exec_prefix / "Scripts" / "python.exe", exec_prefix / "python.exe"):
        if candidate.is_file():
            return candidate
    return executable


def prepare_service_process(output: Path) -> None:
    """Gives children a python.exe, and missing standard streams the file `output`."""
    children = python_for_children(Path(sys.executable), Path(sys.exec_prefix))
    if children != Path(sys.executable):
        sys.executable = str(children)
    missing = [name for name in STREAMS if getattr(sys, name) is None]
    if not missing:
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    stream = output.open("a", encoding="utf-8", buffering=1)
    for name in missing:
        setattr(sys, name, stream)
