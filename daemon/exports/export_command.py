"""`bunny export NAME --to DIR --format F` (or `--all`): the command line's side of the export.

Only reads the library and the database (opened read-only, as `status` does), so it runs
beside a working daemon and on a full library disk.
"""

from __future__ import annotations

import sys
from pathlib import Path

from daemon.config import Config
from daemon.display_text import REASON_LIMIT, shown
from daemon.exports.dataset_reader import read_dataset
from daemon.exports.formats import (
    CharacterDataset,
    ExportedCharacter,
    ExportRefusedError,
    ExportRequest,
)
from daemon.exports.layout import Layout, export_character
from daemon.exports.registry import layout_for
from daemon.reports.status import EXIT_NO_DATABASE, has_database
from daemon.repository import Repository

EXIT_REFUSED = 1
EXIT_USAGE = 2  # as argparse's own usage errors


def run_export(config: Config, request: ExportRequest) -> int:
    if (request.name is None) == (not request.every):
        return _fail("give a character NAME or --all (not both)", EXIT_USAGE)
    target = request.target.expanduser().resolve()
    if target.is_relative_to(config.library.resolve()):
        return _fail(f"{target} is inside the library; export to a folder outside it")
    if not has_database(config):
        return EXIT_NO_DATABASE
    try:
        datasets = _datasets(config, request)
    except LookupError as exc:
        return _fail(str(exc.args[0]))
    layout = layout_for(request.format)
    outcomes = [_export(layout, dataset, target, config, request.every) for dataset in datasets]
    return max(outcomes, default=0)


def _export(
    layout: Layout, dataset: CharacterDataset, target: Path, config: Config, every: bool
) -> int:
    """One character; its exit status (an empty character is no error among all of them)."""
    if not dataset.images:
        print(f"{shown(dataset.name)}: no captioned images yet; nothing exported")
        return 0 if every else EXIT_REFUSED
    try:
        done = export_character(layout, dataset, target, config.training)
    except (ExportRefusedError, OSError) as exc:
        return _fail(f"{dataset.name}: {exc}")
    _report(done)
    return 0


def _datasets(config: Config, request: ExportRequest) -> list[CharacterDataset]:
    """LookupError names the characters there are when NAME is none of them."""
    repo = Repository(config.database_path, read_only=True)
    try:
        records = repo.characters()
        if request.name is not None:
            chosen = repo.character(request.name)
            if chosen is None:
                known = ", ".join(r.name for r in records) or "none yet"
                raise LookupError(f"no character {request.name!r} (known: {known})")
            records = [chosen]
    finally:
        repo.close()
    return [read_dataset(config.library, r.name, r.trigger_word, r.class_word) for r in records]


def _report(done: ExportedCharacter) -> None:
    how = f"{done.linked} hard-linked, {done.images - done.linked} copied"
    print(f"{shown(done.name)}: {done.images} image(s) -> {shown(str(done.folder))} ({how})")
    for left in done.left_out:
        print(f"  left out: {shown(left.file)}: {shown(left.reason, REASON_LIMIT)}")


def _fail(message: str, code: int = EXIT_REFUSED) -> int:
    print(f"bunny: {shown(message, REASON_LIMIT)}", file=sys.stderr)
    return code
