"""`bunny export`, end to end through `python -m daemon.commands.cli` in a process of its own."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from daemon import store
from daemon.commands.cli import build_parser, main
from daemon.exports.formats import ExportFormat
from tests.daemon.exports.conftest import AMELIE, NINO, BuiltLibrary
from tests.daemon.reports import test_read_only_commands as read_only


def bunny(built: BuiltLibrary, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "BUNNY_CONFIG"}
    command = [
        sys.executable,
        "-m",
        "daemon.commands.cli",
        "export",
        *args,
        "--library",
        str(built.library),
    ]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def database_digest(built: BuiltLibrary) -> str:
    return hashlib.sha256((built.library / "bunny.db").read_bytes()).hexdigest()


def test_export_one_character_then_refuse_to_write_over_it(
    built: BuiltLibrary, tmp_path: Path
) -> None:
    before = database_digest(built)
    target = tmp_path / "exports"
    done = bunny(built, AMELIE.name, "--to", str(target), "--format", "kohya", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Amélie Poulain: 7 image(s)" in done.stdout and "7 hard-linked" in done.stdout
    toml = target / AMELIE.name / "dataset.toml"
    config = tomllib.loads(toml.read_text(encoding="utf-8"))
    image_dir = Path(config["datasets"][0]["subsets"][0]["image_dir"])
    assert image_dir.parent == target / AMELIE.name / "img"
    assert len(list(image_dir.glob("*.jpg"))) == 6
    written = toml.read_bytes()
    again = bunny(built, AMELIE.name, "--to", str(target), "--format", "onetrainer", cwd=tmp_path)
    assert again.returncode == 1 and "not empty" in again.stderr
    assert toml.read_bytes() == written and not (target / AMELIE.name / "concepts.json").exists()
    assert database_digest(built) == before, "the database is opened read-only"


def test_all_exports_each_character_into_its_own_folder(
    built: BuiltLibrary, tmp_path: Path
) -> None:
    target = tmp_path / "hf"
    done = bunny(built, "--all", "--to", str(target), "--format", "imagefolder", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in target.iterdir()) == sorted([AMELIE.name, NINO.name])
    assert "Bretodeau: no captioned images yet" in done.stdout
    lines = (target / NINO.name / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == NINO.captioned


def test_mistakes_get_a_clear_message_and_write_nothing(
    built: BuiltLibrary, tmp_path: Path
) -> None:
    target = tmp_path / "out"
    unknown = bunny(built, "Zoé", "--to", str(target), cwd=tmp_path)
    assert unknown.returncode == 1 and "no character 'Zoé' (known: " in unknown.stderr
    assert "Nino" in unknown.stderr
    neither = bunny(built, "--to", str(target), cwd=tmp_path)
    both = bunny(built, "Nino", "--all", "--to", str(target), cwd=tmp_path)
    assert neither.returncode == both.returncode == 2 and "NAME or --all" in both.stderr
    inside = bunny(built, "Nino", "--to", str(built.library / "exports"), cwd=tmp_path)
    assert inside.returncode == 1 and "inside the library" in inside.stderr
    empty = bunny(built, "Bretodeau", "--to", str(target), cwd=tmp_path)
    assert empty.returncode == 1 and "no captioned images" in empty.stdout
    wrong = bunny(built, "Nino", "--to", str(target), "--format", "diffusers", cwd=tmp_path)
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr
    assert not target.exists() and not (built.library / "exports").exists()


def test_the_format_choices_are_the_enums_values() -> None:
    parser = build_parser()
    args = parser.parse_args(["export", "Ann", "--to", "x", "--format", "ai-toolkit"])
    assert ExportFormat(args.format) is ExportFormat.AI_TOOLKIT
    for chosen in ExportFormat:
        assert parser.parse_args(["export", "--all", "--to", "x", "--format", chosen.value])


def test_an_older_database_is_refused_and_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "library"
    read_only.database_at_version(library / "bunny.db", store.SCHEMA_VERSION - 1)
    before = read_only.digest(library)
    code = main(["export", "--all", "--to", str(tmp_path / "out"), "--library", str(library)])
    assert code == 1 and "start the daemon once" in capsys.readouterr().err
    assert read_only.digest(library) == before and not (tmp_path / "out").exists()
