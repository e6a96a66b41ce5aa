"""Imports point one way: the daemon's parts use the handlers; a handler never uses the
repository.

daemon/repository/__init__.py imports every part of the repository, and those parts import
handler records (face boxes, caption records). A handler that imported the repository closed
a circle, and whichever entry point imported that handler before the repository stopped with
an ImportError (`python -m benchmarks.frames`, `python -m evaluation`); the suite and `bunny`
happened to import in the other order.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.fresh_processes import run_all
from tests.import_graph import ROOT, imports_in, module_name

HANDLERS = sorted((ROOT / "handlers").glob("*.py"))
REPOSITORY = "daemon.repository"
FEWEST_HANDLER_FILES = 20  # there are 26: a glob that finds far fewer looks in the wrong place


def test_no_handler_imports_the_repository() -> None:
    assert len(HANDLERS) >= FEWEST_HANDLER_FILES, HANDLERS
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}"
        for path in HANDLERS
        for line, imported in imports_in(path)  # deferred and type-only imports too
        if imported == REPOSITORY or imported.startswith(REPOSITORY + ".")
    ]
    assert not offending, "\n".join(offending)


SAMPLE = """
from typing import TYPE_CHECKING
import a.b
if TYPE_CHECKING:
    from c import d
try:
    from e import f
except ImportError:
    import g
class H:
    import i
def j() -> None:
    from daemon import repository
"""


def test_the_scan_reads_every_kind_of_import(tmp_path: Path) -> None:
    # A scan that missed deferred or type-only imports would pass the rule above too easily.
    sample = tmp_path / "sample.py"
    sample.write_text(SAMPLE, encoding="utf-8")
    everywhere = {imported for _, imported in imports_in(sample)}
    assert {"a.b", "c.d", "e.f", "g", "i", "daemon.repository"} <= everywhere
    at_import = {imported for _, imported in imports_in(sample, at_import_time=True)}
    assert {"a.b", "e.f", "g", "i"} <= at_import
    assert not {"c", "c.d", "daemon", "daemon.repository"} & at_import


def test_each_handler_module_imports_first_in_a_fresh_interpreter() -> None:
    modules = [module_name(path) for path in HANDLERS]
    outcomes = run_all([[sys.executable, "-c", f"import {module}"] for module in modules])
    failed = [outcome.describe() for outcome in outcomes if outcome.returncode != 0]
    assert not failed, "\n\n".join(failed)
