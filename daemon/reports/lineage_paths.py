"""What `bunny lineage` was given: a dataset image or a training run, found in the library.

The argument may be absolute, relative to the current folder or relative to the library.
It must resolve (links and `..` followed) to a file in `characters/<name>/dataset/`, or to
a run folder `characters/<name>/models/<name>-vN[.partial]/` (or its training.json or
dataset.json); anything else is refused with a NotLineageError that says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from daemon.display_text import NAME_LIMIT, bounded
from daemon.training.run_folder import DATASET_FILE, SUMMARY_FILE, RunFolder

NOT_OURS = "not a dataset image the daemon made"


class NotLineageError(ValueError):
    """The argument names nothing lineage can explain; the message says why."""


@dataclass(frozen=True)
class ImageTarget:
    file: str  # relative to the library, with forward slashes (as the database keeps it)


@dataclass(frozen=True)
class RunTarget:
    folder: Path  # the run folder, absolute


def lineage_target(library: Path, argument: str, cwd: Path) -> ImageTarget | RunTarget:
    root = library.resolve()
    path = _located(Path(argument).expanduser(), root, cwd)
    argument = bounded(argument, NAME_LIMIT)  # the messages' reason must stay in view
    if path is None:
        raise NotLineageError(f"{NOT_OURS}: {argument}: no such file")
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        raise NotLineageError(f"{NOT_OURS}: {argument} is outside the library ({root})") from None
    if path.is_dir() or path.name in (SUMMARY_FILE, DATASET_FILE):
        return _run(path if path.is_dir() else path.parent, argument)
    if len(parts) == 4 and parts[0] == "characters" and parts[2] == "dataset":
        return ImageTarget("/".join(parts))
    raise NotLineageError(f"{NOT_OURS}: {argument} is not in characters/<name>/dataset/")


def _located(path: Path, root: Path, cwd: Path) -> Path | None:
    candidates = [path] if path.is_absolute() else [cwd / path, root / path]
    for candidate in candidates:
        try:
            if candidate.exists():
                return candidate.resolve()
        except OSError:  # a name too long for the system, a link loop: no such file
            continue
    return None


def _run(folder: Path, argument: str) -> RunTarget:
    try:
        run = RunFolder.of(folder)
    except ValueError:
        run = None
    in_models = folder.parent.name == "models" and folder.parent.parent.parent.name == "characters"
    if run is None or not in_models or not (folder / DATASET_FILE).is_file():
        raise NotLineageError(
            f"{NOT_OURS}: {argument} is neither a dataset image nor a training run folder "
            f"(characters/<name>/models/<name>-vN/ with its {DATASET_FILE})"
        )
    return RunTarget(folder)
