"""The arrows of DESIGN.md's layout, read from the import statements of every module.

`daemon/commands/` (and the web page's package) sit on top: nothing below imports them.
`windows_service/` wraps the daemon (and its review page) for Windows: the daemon calls into it
from one command module only, and it never imports the commands back, so there is no circle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP_LAYERS = ("daemon.commands", "daemon.web")
WINDOWS_CALLERS = {"daemon/commands/service.py"}


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def modules_under(*folders: str) -> Iterator[Path]:
    for folder in folders:
        yield from sorted((ROOT / folder).rglob("*.py"))


def within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_nothing_below_the_commands_imports_them() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules_under("daemon", "handlers")
        if not within(_dotted(path), TOP_LAYERS)
        for module in imported_modules(path)
        if within(module, TOP_LAYERS)
    ]
    assert wrong == []


def test_only_the_service_command_calls_into_windows_service() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules_under("daemon", "handlers")
        if path.relative_to(ROOT).as_posix() not in WINDOWS_CALLERS
        for module in imported_modules(path)
        if within(module, ("windows_service",))
    ]
    assert wrong == []


def test_windows_service_never_imports_the_commands() -> None:
    # It may start the review page beside the daemon (it wraps both, as `bunny run` does), but
    # the command that installs it calls into it: importing the commands back would be a circle.
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in modules_under("windows_service")
        for module in imported_modules(path)
        if within(module, ("daemon.commands",))
    ]
    assert wrong == []


def _dotted(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)
