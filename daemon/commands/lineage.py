"""`bunny lineage FILE [--json]`: where a dataset image came from and what happened to it, or
a training run's images with their sources (see daemon/reports/lineage.py)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path

from daemon.commands.exit_codes import EXIT_NOT_FOUND
from daemon.config import Config
from daemon.display_text import REASON_LIMIT, shown
from daemon.reports.lineage import image_lineage, run_lineage
from daemon.reports.lineage_paths import ImageTarget, NotLineageError, lineage_target
from daemon.reports.lineage_text import render_lineage, render_run
from daemon.reports.status import EXIT_NO_DATABASE, has_database
from daemon.repository import Repository


def print_lineage(config: Config, argument: str, as_json: bool) -> int:
    try:
        target = lineage_target(config.library, argument, Path.cwd())
    except NotLineageError as exc:
        return _refused(exc)
    if not has_database(config):
        return EXIT_NO_DATABASE
    repo = Repository(config.database_path, read_only=True)
    try:
        if isinstance(target, ImageTarget):
            image = image_lineage(repo, config.library, target.file)
            text = render_lineage(image)
            document = asdict(image)
        else:
            run = run_lineage(repo, config.library, target.folder)
            text = render_run(run)
            document = asdict(run)
    except NotLineageError as exc:
        return _refused(exc)
    finally:
        repo.close()
    # default=str: times and enums as text; ASCII, so nothing in a name drives the terminal.
    print(json.dumps(document, indent=2, default=str) if as_json else text)
    return 0


def _refused(exc: NotLineageError) -> int:
    print(f"bunny: {shown(str(exc), REASON_LIMIT)}", file=sys.stderr)
    return EXIT_NOT_FOUND
