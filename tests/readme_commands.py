"""The commands README.md documents, read from its text, and how to try each one.

Three places hold commands: the rows of the commands table (`bunny <subcommand> ...`), the lines
of its shell code blocks, and inline code that starts with a Python interpreter or `bunny`.
Each becomes a probe: the same program with `--help` (a probe that loads everything the
command imports, which is where an entry point breaks), or a tiny real run where `--help`
would not be understood.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from enum import Enum

SHELL_BLOCKS = {"sh", "bash", "shell", "console", "bat", "cmd", "powershell", "ps1"}
PYTHONS = {"python", "python3", "py", ".venv/bin/python", ".venv/Scripts/python"}
BUNNIES = {"bunny", ".venv/bin/bunny", ".venv/Scripts/bunny"}
BOOTSTRAP = "scripts/bootstrap.py"
FENCE = re.compile(r"^```(\S*)\s*$")
INLINE = re.compile(r"`([^`]+)`")
TABLE_COMMAND = re.compile(r"^\|\s*`(bunny [^`]*)`")


class Where(Enum):
    REPOSITORY = "repository"  # the checkout itself
    INSTALLED_COPY = "installed copy"  # bootstrap.py would install: a copy it finds installed


@dataclass(frozen=True)
class Documented:
    text: str  # as the README writes it
    line: int


@dataclass(frozen=True)
class Probe:
    args: tuple[str, ...]  # after the interpreter
    where: Where
    exit_code: int
    says: str  # text the output must hold


# Commands that take no --help: what runs them instead, and what they answer.
NO_HELP = {
    # python -m daemon.training.worker RUN_FOLDER: without its folder it prints its usage.
    "daemon.training.worker": Probe(("-m", "daemon.training.worker"), Where.REPOSITORY, 2, "usage:")
}


def documented(readme: str) -> tuple[list[Documented], list[Documented]]:
    """(table rows' commands, every other command) in README order."""
    table: list[Documented] = []
    others: list[Documented] = []
    language: str | None = None
    prose: list[tuple[int, str]] = []
    continued: Documented | None = None  # a shell line ending in a backslash goes on below
    for number, line in enumerate(readme.splitlines(), start=1):
        fence = FENCE.match(line)
        if fence:
            language = None if language is not None else fence.group(1).lower()
            continue
        if language is not None:
            text = line.strip().removeprefix("$ ").strip()
            if continued is not None:
                text, number = f"{continued.text} {text}", continued.line
                continued = None
            if text.endswith("\\") and language in SHELL_BLOCKS:
                continued = Documented(text.removesuffix("\\").rstrip(), number)
            elif language in SHELL_BLOCKS and text and not text.startswith(("#", "REM ")):
                others.append(Documented(text, number))
            continue
        row = TABLE_COMMAND.match(line)
        if row:
            table.append(Documented(row.group(1), number))
        prose.append((number, line))
    others.extend(_inline_commands(prose))
    return table, sorted(others, key=lambda d: d.line)


def _inline_commands(prose: list[tuple[int, str]]) -> list[Documented]:
    # Inline code may run over a line break: read the prose as one text, keep line numbers.
    text = "\n".join(line for _, line in prose)
    starts = [0]
    for _, line in prose:
        starts.append(starts[-1] + len(line) + 1)
    found = []
    for match in INLINE.finditer(text):
        span = " ".join(match.group(1).split())
        if _program(span) is not None:
            position = max(i for i, start in enumerate(starts) if start <= match.start())
            found.append(Documented(span, prose[min(position, len(prose) - 1)][0]))
    return found


def _words(text: str) -> list[str] | None:
    try:
        return shlex.split(text.replace("\\", "/"), comments=True)
    except ValueError:
        return None


def _program(text: str) -> str | None:
    """The program a command runs; None for other text, and for a bare program name (the
    prose's "the `bunny` command" names it, it runs nothing)."""
    words = _words(text)
    if not words or len(words) < 2 or words[0] not in PYTHONS | BUNNIES:
        return None
    return words[0]


def subcommand(text: str) -> str | None:
    """`bunny name CLUSTER NAME` -> `name`."""
    words = _words(text) or []
    if len(words) < 2 or words[0] not in BUNNIES or words[1].startswith("-"):
        return None
    return words[1]


def bunny_probe(sub: str) -> Probe:
    return Probe(
        ("-m", "daemon.commands.cli", sub, "--help"), Where.REPOSITORY, 0, f"usage: bunny {sub}"
    )


def bunny_probe_for(text: str) -> Probe | None:
    """`bunny SUB ...` tries `SUB --help`; `bunny --version` itself; None for other text."""
    words = _words(text) or []
    if words[1:2] == ["--version"] and words[0] in BUNNIES:
        return Probe(("-m", "daemon.commands.cli", "--version"), Where.REPOSITORY, 0, "bunny ")
    sub = subcommand(text)
    return bunny_probe(sub) if sub else None


def probe_for(text: str) -> Probe | None:
    """How to try a documented command line; None when it is not one this module can run."""
    words = _words(text)
    if not words:
        return None
    if words[0] in BUNNIES:
        return bunny_probe_for(text)
    if words[0] not in PYTHONS:
        return None
    args = words[2:] if words[0] == "py" and words[1:2] == ["-3"] else words[1:]
    if not args:
        return None
    if args[0] == "-c" and len(args) >= 2:
        return Probe(("-c", args[1]), Where.REPOSITORY, 0, "")
    if args[0] == "-m" and len(args) >= 2:
        if args[1] in NO_HELP:
            return NO_HELP[args[1]]
        return Probe((*args, "--help"), Where.REPOSITORY, 0, "usage:")
    if args[0].startswith("-"):
        return None
    where = Where.INSTALLED_COPY if args[0] == BOOTSTRAP else Where.REPOSITORY
    return Probe((*args, "--help"), where, 0, "usage:")


def command_line(probe: Probe) -> list[str]:
    return [sys.executable, *probe.args]
