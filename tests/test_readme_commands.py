"""Every command README.md documents runs, each in a fresh interpreter.

The list is read from README.md when the test runs, so a command added to it is tried at
once. A command that stops (an ImportError, a traceback, a wrong subcommand name) fails the
test with the command, the README lines that document it, and its output.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.fresh_processes import ROOT, Finished, run_all
from tests.readme_commands import (
    Documented,
    Probe,
    Where,
    bunny_probe,
    bunny_probe_for,
    command_line,
    documented,
    probe_for,
    subcommand,
)
from tests.scripts.test_bootstrap import installed_copy, load_bootstrap

README = ROOT / "README.md"
# What README.md documents today: 12 subcommands in its table, 10 Python command lines. Far
# fewer means the README's layout changed under the parser, not that the commands went.
FEWEST_SUBCOMMANDS = 10
FEWEST_PYTHON_COMMANDS = 8
OUTPUT_SHOWN = 3000  # the end of a failed command's output, where its error is


@pytest.fixture(scope="module")
def installed_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scripts/bootstrap.py's folder as bootstrap finds it once installed (with the dev
    tools, so `test` installs nothing either)."""
    root = tmp_path_factory.mktemp("installed")
    installed_copy(root)
    bootstrap = load_bootstrap(root)
    bootstrap.STAMP.write_text(f"dev {bootstrap.recipe()}\n", encoding="utf-8")
    return root


def probes_of(readme: str) -> dict[Probe, list[Documented]]:
    """Each distinct probe with the README lines it stands for; unrunnable lines under None."""
    table, others = documented(readme)
    probes: dict[Probe, list[Documented]] = defaultdict(list)
    for row in table:
        probe = bunny_probe_for(row.text)
        assert probe is not None, f"README.md:{row.line}: a commands-table row without one: {row}"
        probes[probe].append(row)
    unrunnable = []
    for command in others:
        probe = probe_for(command.text)
        if probe is None:
            unrunnable.append(command)
        else:
            probes[probe].append(command)
    assert not unrunnable, "documented commands this test cannot run:\n" + "\n".join(
        f"README.md:{c.line}: {c.text}" for c in unrunnable
    )
    return probes


def failure(probe: Probe, finished: Finished, lines: list[Documented]) -> str | None:
    if finished.returncode == probe.exit_code and probe.says in finished.output:
        return None
    where = "\n".join(f"  README.md:{d.line}: {d.text}" for d in lines)
    expected = f"expected exit {probe.exit_code}" + (f" and {probe.says!r}" if probe.says else "")
    described = finished.describe()
    if len(described) > OUTPUT_SHOWN:
        described = "...\n" + described[-OUTPUT_SHOWN:]
    return f"{where}\n{expected} ({probe.where.value}), got:\n{described}"


def test_every_documented_command_runs(installed_root: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    probes = probes_of(readme)
    table, _ = documented(readme)
    subcommands = {subcommand(row.text) for row in table} - {None}
    pythons = [p for p in probes if p.args[:2] != ("-m", "daemon.commands.cli")]
    assert len(subcommands) >= FEWEST_SUBCOMMANDS, sorted(map(str, subcommands))
    assert len(pythons) >= FEWEST_PYTHON_COMMANDS, pythons
    failed = []
    for where, cwd in ((Where.REPOSITORY, ROOT), (Where.INSTALLED_COPY, installed_root)):
        chosen = [probe for probe in probes if probe.where is where]
        outcomes = run_all([command_line(probe) for probe in chosen], cwd=cwd)
        for probe, finished in zip(chosen, outcomes, strict=True):
            failed.append(failure(probe, finished, probes[probe]))
    problems = [text for text in failed if text]
    assert not problems, f"{len(problems)} documented command(s) broke:\n\n" + "\n\n".join(problems)


SAMPLE = """\
# A project

```sh
python3 scripts/bootstrap.py run      # install, then start
.venv/bin/python -m benchmarks.frames           # ~1 min
bunny generate "A B" "{trigger}" -n 4 \\
    --seed 7 --lora-weight 0.8
```

```bat
py -3 scripts\\bootstrap.py run
```

```
library/
  bunny.db     not a command: a tree
```

| command | what it does |
|---|---|
| `bunny run` | runs |
| `bunny export NAME [--to DIR]` | a new row |
| `bunny service install\\|remove` | the service |

Measured with `python benchmarks/near_duplicates.py`; `python -c "import dlib;
print(dlib.DLIB_USE_CUDA)"` says which; `python -m daemon.training.worker RUN_FOLDER` runs one.
Not commands: `library/bunny.db`, `bunny: config error`, `pipeline.stages`.
"""


def test_the_parser_finds_each_kind_of_documented_command() -> None:
    table, others = documented(SAMPLE)
    assert [subcommand(row.text) for row in table] == ["run", "export", "service"]
    texts = [command.text for command in others]
    assert "python3 scripts/bootstrap.py run      # install, then start" in texts
    assert "py -3 scripts\\bootstrap.py run" in texts
    assert 'bunny generate "A B" "{trigger}" -n 4 --seed 7 --lora-weight 0.8' in texts
    assert 'python -c "import dlib; print(dlib.DLIB_USE_CUDA)"' in texts
    assert not [t for t in texts if "library/" in t or t.startswith("bunny:")]
    probes = probes_of(SAMPLE)
    bootstrap = Probe(("scripts/bootstrap.py", "run", "--help"), Where.INSTALLED_COPY, 0, "usage:")
    assert len(probes[bootstrap]) == 2  # the sh line and the Windows line are one command
    assert bunny_probe("export") in probes
    assert Probe(("-m", "benchmarks.frames", "--help"), Where.REPOSITORY, 0, "usage:") in probes
    dlib = "import dlib; print(dlib.DLIB_USE_CUDA)"
    assert Probe(("-c", dlib), Where.REPOSITORY, 0, "") in probes
    assert Probe(("-m", "daemon.training.worker"), Where.REPOSITORY, 2, "usage:") in probes


def test_a_shell_line_the_test_cannot_run_fails_it() -> None:
    with pytest.raises(AssertionError, match="systemctl start diffusion-bunny"):
        probes_of("```sh\nsudo systemctl start diffusion-bunny\n```\n")
